/**
 * The card's contacts other than I/O: supply (VCC with a voltage class), CLK, RST and the
 * card-presence switch. ECMA-419 shape: one options object, fixed at construction; `close()` is
 * idempotent and silences callbacks. Pins and chips are the board's business, not this interface's.
 */

/** ISO 7816-3 §5.1.3 operating classes: A = 5 V, B = 3 V, C = 1.8 V. */
export type VoltageClass = 'A' | 'B' | 'C';

/** Faults a contact interface can detect by itself. */
export type ContactFault = 'overcurrent';

export interface CardContactsOptions {
  /** Called (asynchronously, after debouncing if the board does it) when presence changes. */
  onPresence?(present: boolean): void;
  /** Called when the supply detects a fault; the board has already removed power. */
  onFault?(fault: ContactFault): void;
}

export interface CardContactsCapabilities {
  /** Voltage classes the board can supply, lowest voltage first. */
  readonly classes: readonly VoltageClass[];
  /** CLK frequencies (Hz) the board can produce, lowest first. The first is the default. */
  readonly clocksHz: readonly number[];
  /** Whether CLK can be stopped (clock-stop mode, ISO 7816-3 §6.3.2). */
  readonly clockStop: boolean;
}

export interface CardContacts {
  readonly capabilities: CardContactsCapabilities;
  /** Card present in the socket (after debouncing). */
  readonly present: boolean;
  /** Switch VCC on at the given class, or off with `null`. */
  setSupply(voltage: VoltageClass | null): void;
  /** Start CLK at `hz` (one of `capabilities.clocksHz`), or stop it at level 0 or 1 with `hz` = 0. */
  setClock(hz: number, stopLevel?: 0 | 1): void;
  /** Drive RST. */
  setReset(level: 0 | 1): void;
  close(): void;
}

export interface CardContactsConstructor {
  new (options: CardContactsOptions): CardContacts;
}
