/**
 * The slot interface: one card slot as the CCID class (or the host-side `sim` driver) sees it, the
 * seam between the CCID layer and ISO 7816-3. On the device the firmware's own session implements it
 * over CardContacts and CardUart; a reader IC that runs ISO 7816-3 itself could implement it directly,
 * and a simulated slot replaces the whole ISO 7816-3 stack in CCID tests. Types only, like the rest
 * of this folder, so both the firmware and the simulator implement it without importing each other.
 * Everything completes through callbacks called from the scheduler's loop, never re-entrantly.
 */
import type { ContactFault, VoltageClass } from './card-contacts.js';

/**
 * Failures, named as the CCID bError values they become (CCID Rev 1.1 §6.2.6), so every layer
 * speaks one vocabulary and `sim --json` can print them as they are.
 */
export type SlotError =
  | 'CMD_ABORTED'
  | 'ICC_MUTE'
  | 'XFR_PARITY_ERROR'
  | 'XFR_OVERRUN'
  | 'HW_ERROR'
  | 'BAD_ATR_TS'
  | 'BAD_ATR_TCK'
  | 'ICC_PROTOCOL_NOT_SUPPORTED'
  | 'ICC_CLASS_NOT_SUPPORTED'
  | 'PROCEDURE_BYTE_CONFLICT'
  | 'DEACTIVATED_PROTOCOL'
  | 'BUSY_WITH_AUTO_SEQUENCE'
  | 'CMD_SLOT_BUSY'
  /**
   * transmitApdu: the bytes are no command APDU (ISO 7816-4 §5.1: shorter than a header, or lengths
   * that do not add up); nothing was sent, on either protocol. Not in CCID Table 6.2-2: the CCID
   * layer reports it as a length error, bError = offset of dwLength (1).
   */
  | 'BAD_APDU_LENGTH';

/** Reader states of the reader-driver model (ISO 7816-3 §6 activation, §9 PPS). */
export type ReaderState = 'ABSENT' | 'PRESENT' | 'SWALLOWED' | 'POWERED' | 'NEGOTIABLE' | 'SPECIFIC';

/** The attributes a host can read (CCID Escape, Get/SetParameters), current values. */
export interface SlotAttributes {
  readonly state: ReaderState;
  readonly voltage: VoltageClass | null;
  readonly atr: Uint8Array | null;
  readonly protocol: 0 | 1 | null;
  /** TA1-style indices and their values in force now. */
  readonly fiIndex: number;
  readonly diIndex: number;
  readonly F: number;
  readonly D: number;
  /**
   * The Fi of ISO 7816-3 §10.2's waiting time WT = WI · 960 · Fi / f: the card's (TA1; Fd = 372 when
   * absent or when a specific mode's parameters are implicit). It holds while the card works at Fd
   * because no PPS changed the rate, so it may differ from F.
   */
  readonly waitFi: number;
  /** Extra guard time N (TC1). */
  readonly N: number;
  /** T=0 waiting integer (TC2). */
  readonly WI: number;
  readonly clockHz: number;
  readonly clockStopped: boolean;
  /** T=1 parameters (meaningful when protocol = 1). */
  readonly ifsc: number;
  readonly ifsd: number;
  readonly bwi: number;
  readonly cwi: number;
  readonly edc: 'lrc' | 'crc';
  readonly nad: number;
  /** Bit convention of the card in force (from TS); absent means direct. */
  readonly convention?: 'direct' | 'inverse';
  /** Clock stop indicator XI of the ATR's first TA for T=15 (ISO 7816-3 §8.3); null when absent. */
  readonly clockStop?: SlotClockStop | null;
}

/** Clock stop indicator (ISO 7816-3 §8.3 Table 11): what the card allows when CLK is stopped. */
export type SlotClockStop = 'not-supported' | 'low' | 'high' | 'no-preference';

/**
 * Transmission parameters as a host sets them (CCID §6.1.7 SetParameters abProtocolData), in
 * ISO 7816-3 terms. T=0 uses protocol, fiIndex, diIndex, convention, N, WI, clockStop; T=1 uses
 * protocol, fiIndex, diIndex, convention, N, edc, bwi, cwi, ifsc, nad, clockStop.
 */
export interface SlotParameters {
  readonly protocol: 0 | 1;
  readonly fiIndex: number;
  readonly diIndex: number;
  readonly convention: 'direct' | 'inverse';
  /** Extra guard time N (0–255). */
  readonly N: number;
  /** T=0 waiting integer (1–255). */
  readonly WI: number;
  readonly edc: 'lrc' | 'crc';
  readonly bwi: number;
  readonly cwi: number;
  readonly ifsc: number;
  readonly nad: number;
  /** Clock stop the host allows (CCID bClockStop 0 not allowed, 1 low, 2 high, 3 either). */
  readonly clockStop: SlotClockStop;
}

/**
 * How one powerOn treats a card in negotiable mode (ISO 7816-3 §9). The CCID class chooses it from
 * its dwFeatures: 'reader' when it advertises automatic parameter negotiation or automatic PPS
 * (0x40 / 0x80) or an APDU exchange level; 'host' at the TPDU level without 0x40 and 0x80, where
 * libccid sends its own PPS in an XfrBlock right after IccPowerOn, then SetParameters, then its own
 * T=1 blocks including S(IFS request) (unless 0x400 is advertised).
 */
export interface PowerOnOptions {
  /**
   * 'reader' (default): the slot runs PPS itself when useful and opens the protocol (T=1: with its
   * S(IFS request)); powerOn ends in SPECIFIC. 'host': after an ATR in negotiable mode powerOn ends
   * in NEGOTIABLE at Fd/Dd, and the host's first transmitTpdu decides (see transmitTpdu); the slot
   * sends no S(IFS) of its own, now or after SetParameters. A card in specific mode (TA2) ends in
   * SPECIFIC either way. The choice holds until the next powerOn.
   */
  readonly negotiation?: 'reader' | 'host';
}

export interface PowerOnResult {
  error: SlotError | null;
  atr: Uint8Array | null;
}

export interface TransmitResult {
  error: SlotError | null;
  /**
   * The response (APDU response with SW1 SW2), or null on error: a view of the protocol's own
   * buffer (no copy), valid until the slot's next command; a caller that keeps it longer copies it.
   */
  response: Uint8Array | null;
}

export interface Slot {
  readonly attributes: SlotAttributes;
  /**
   * Optional: `attributes.state` without a snapshot of every attribute. The CCID layer reads the state
   * for each reply's bStatus and each time extension; a slot whose `attributes` costs more than a
   * field read offers this.
   */
  readonly readerState?: ReaderState;
  /**
   * Optional: the card's waiting time in force, in ns (ISO 7816-3 §11.4.3 BWT for T=1, §10.2 WWT for
   * T=0; 0 without a protocol), as the slot enforces it, without a snapshot of every attribute. The
   * CCID layer paces its time extensions by it at each card command.
   */
  readonly waitingTimeNs?: number;
  /** Card present (debounced). */
  readonly present: boolean;
  /**
   * Cold reset if unpowered, warm reset if powered; then ATR, PPS and protocol set-up.
   * `voltage` 'auto' starts at the lowest class the board has and goes up as the ISO rules allow.
   */
  powerOn(voltage: 'auto' | VoltageClass, done: (result: PowerOnResult) => void, options?: PowerOnOptions): void;
  /** Deactivate (ISO 7816-3 §6.4). Harmless when already off. */
  powerOff(): void;
  /**
   * Send one APDU (short or extended) and get the response APDU. `onWaiting` is called while the card
   * asks for more time (T=0 NULL byte, T=1 WTX; `multiplier` ≥ 1) so the caller can send a CCID time
   * extension. In state NEGOTIABLE the card first takes its default protocol at Fd/Dd (ISO 7816-3 §9).
   */
  transmitApdu(apdu: Uint8Array, done: (result: TransmitResult) => void, onWaiting?: (multiplier: number) => void): void;
  /**
   * Abandon the command in progress; its `done` is called with CMD_ABORTED. A PPS exchange or the
   * opening of the default protocol (state NEGOTIABLE, see transmitTpdu) cannot stop halfway: the
   * card is deactivated, as when an activation is aborted.
   */
  abort(): void;
  /** Presence changes (debounced), for NotifySlotChange. */
  onPresence: ((present: boolean) => void) | null;

  /*
   * Optional members for the CCID class (CCID Rev 1.1). A slot without one of them makes the
   * corresponding CCID command answer "not supported" (or use stored values only, as noted).
   */

  /**
   * CCID §6.1.7 SetParameters / §6.1.6 ResetParameters on a powered card: make `parameters` the
   * ones in force. When protocol, Fi or Di differ from those in force and the card is in negotiable
   * mode, run PPS (ISO 7816-3 §9) first; in specific mode a different protocol or Fi/Di fails with
   * ICC_PROTOCOL_NOT_SUPPORTED. Then reconfigure the UART (N, convention) and the transport (WI; IFSC,
   * BWI, CWI, EDC, NAD). `done(null)` when `attributes` show the new values; `done(error)` otherwise,
   * with `attributes` showing whatever is in force after the failure. Without this member the CCID
   * class only stores parameters. In state NEGOTIABLE (no PPS was sent: §9, the card takes its
   * default protocol at Fd/Dd) parameters naming the default protocol and FI/DI 1/1 apply directly
   * (libccid's SetParameters after it decided that no PPS was needed); others as above, by PPS.
   */
  setParameters?(parameters: SlotParameters, done: (error: SlotError | null) => void): void;
  /**
   * The TPDU exchange level (CCID dwFeatures 0x00010000): send `tpdu` exactly as given and return what
   * the card answers, without APDU mapping. T=0: a 5-byte header plus data, procedure bytes handled,
   * the response is the data received plus SW1 SW2. T=1: one whole block (prologue, information, EDC)
   * sent as is; the response is the card's next whole block. `bwiMultiplier` is CCID bBWI: when ≥ 1,
   * wait that many times BWT (T=1) or WWT (T=0) for this exchange; CWT (T=1) bounds the characters
   * after the first. `onWaiting` as for transmitApdu.
   *
   * State NEGOTIABLE (powerOn with `negotiation: 'host'`), ISO 7816-3 §9:
   * - A `tpdu` starting with PPSS 0xFF is a PPS request. It must be whole with a valid PCK (else
   *   CMD_ABORTED, nothing sent), without PPS2/PPS3, for a protocol the ATR offers and the slot
   *   speaks, and with a PPS1 rate the board can produce (else ICC_PROTOCOL_NOT_SUPPORTED, nothing
   *   sent; the card stays NEGOTIABLE). It is sent at Fd/Dd and the card's PPS response returned
   *   as `response`. On success (§9.3) the protocol of PPS0 and the FI/DI of PPS1 (Fd/Dd when the
   *   card left PPS1 out) are in force and the slot is SPECIFIC; SetParameters then sets the rest.
   *   An unsuccessful exchange deactivates the card (§9.3; state SWALLOWED, the host must power on
   *   again): no reply within the initial waiting time → ICC_MUTE, a character error →
   *   XFR_PARITY_ERROR / XFR_OVERRUN, a complete reply that does not match (§9.3) →
   *   ICC_PROTOCOL_NOT_SUPPORTED, with `response` null.
   * - Any other `tpdu` makes the card take its default protocol at Fd/Dd (the slot moves to SPECIFIC)
   *   and is then exchanged as above; ICC_PROTOCOL_NOT_SUPPORTED, nothing sent, when the slot lacks
   *   the default protocol.
   */
  transmitTpdu?(
    tpdu: Uint8Array,
    bwiMultiplier: number,
    done: (result: TransmitResult) => void,
    onWaiting?: (multiplier: number) => void,
  ): void;
  /**
   * CCID §6.1.9 IccClock: stop CLK (at the level `attributes.clockStop` asks for, `no-preference`:
   * low) or restart it, observing ISO 7816-3 §6.3.2 (stop no earlier than 1860 clock cycles after the
   * last character; restart at least 700 cycles before the next). Called only with a powered card
   * whose clock stop indicator allows it, and no exchange in progress. `attributes.clockStopped`
   * follows.
   */
  setClock?(stopped: boolean, done: (error: SlotError | null) => void): void;
  /** CCID §6.1.10 T0APDU: class bytes for the GET RESPONSE and ENVELOPE the slot sends (0xFF: the command's CLA). */
  setClassBytes?(getResponse: number, envelope: number): void;
  /** Supply faults (the board has already removed power), for CCID HardwareError. */
  onFault?: ((fault: ContactFault) => void) | null;
}
