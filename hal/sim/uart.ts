/**
 * The reader's card UART on the simulated line (`SimCardUart implements CardUart`): characters go
 * out and come in bit by bit through a LinePort, callbacks reach the firmware asynchronously through
 * the scheduler, and the receive deadlines of `setDeadlines` are kept in etu. The
 * block level (T=1 blocks, T=0 TPDUs) is block-transfer.ts on top of the same characters. Times are
 * the scheduler's exact ticks (picoseconds).
 */
import type {
  BlockEnd, CardCharError, CardUart, CardUartCapabilities, CardUartOptions, Convention,
} from '../interfaces/card-uart.js';
import type { SimLine } from './line.js';
import { BURST_SAFE_ETU, LinePort } from './port.js';
import { BlockTransfer } from './block-transfer.js';
import { TICKS_PER_NS } from './scheduler.js';

/** Receive and transmit buffer sizes: room for a whole T=1 block (3 + 254 + 2) with margin. */
export const UART_BUFFER = 300;

/** Etu in ns for F, D and a CLK frequency: etu = F / (D · f) (ISO 7816-3 §7.1). */
export function etuNs(F: number, D: number, clockHz: number): number {
  return (F * 1e9) / (D * clockHz);
}

/** The same etu in ticks (picoseconds), rounded to the nearest: every time counted in etu is a whole number of ticks. */
export function etuTicks(F: number, D: number, clockHz: number): number {
  return Math.round((F * 1e9 * TICKS_PER_NS) / (D * clockHz));
}

export class SimCardUart implements CardUart {
  readonly #line: SimLine;
  readonly #options: CardUartOptions;
  readonly #port: LinePort;
  readonly #transfer: BlockTransfer;
  /** Etu in ticks. */
  readonly #etu: number;
  #rx: number[] = [];
  #closed = false;
  #readablePosted = false;
  #writablePosted = false;
  /** A write filled the transmit buffer: onWritable is owed as soon as there is room. */
  #full = false;
  #firstEtu = 0;
  #nextEtu = 0;
  /**
   * T=1 block characters held back until BGT has passed (22 etu after the card's last leading
   * edge, §11.2): a card character that starts meanwhile (a stray) moves the release, as the
   * ESP32-S3 driver's does. The port itself only sees the line when it queues.
   */
  readonly #held = new Uint8Array(UART_BUFFER);
  #heldCount = 0;
  #release: number | undefined;
  readonly #onRelease = (): void => {
    // A card character that started meanwhile in a burst (its leading edge handed over after the
    // fact) moves the release (#incomingEdge): then this event is not the release any more.
    const fired = this.#release;
    this.#port.catchUp();
    if (this.#release !== fired) return;
    this.#release = undefined;
    if (this.#closed) return;
    this.#writeBytes(this.#held, 0, this.#heldCount);
    this.#heldCount = 0;
    if (this.#firstEtu > 0 || this.#nextEtu > 0) this.setDeadlines(this.#firstEtu, this.#nextEtu);
  };
  /**
   * The receive deadline (ticks; NaN when disarmed) and the one event that watches it. Every
   * character moves the deadline; the event is only moved when the deadline comes earlier: when
   * it fires at an older time it just waits for the new one.
   */
  #deadlineAt = NaN;
  #deadlineTimer: number | undefined;
  #timerAt = NaN;
  /** The event sits later than the deadline: the characters of a burst coming in are sure to move it there (burstLastEdge). */
  #foreseen = false;
  /** The deadline found expired once, looked at again after the other events of its tick (#onDeadline). */
  #expiring = NaN;
  #lastEdge = -Infinity;
  // Callbacks made once: nothing is allocated per character.
  readonly #onDeadline = (): void => {
    // A burst of characters on the port may have moved the deadline after the fact (the handle
    // stays set meanwhile: a later deadline keeps this event, which re-arms below).
    // The second look at an expiring deadline comes after the events of its tick: a burst character
    // starting on it has started by now.
    if (this.#expiring === this.#line.scheduler.ticks) this.#port.catchUpThisTick();
    else this.#port.catchUp();
    this.#deadlineTimer = undefined;
    const at = this.#deadlineAt;
    if (Number.isNaN(at)) return;
    if (at > this.#line.scheduler.ticks) {
      // The characters of a burst still coming in, each less than the character deadline after the
      // one before, keep moving it: watch from the last of them (re-armed if the burst is cut).
      const gap = this.#nextEtu * this.#etu;
      const edge = gap > 0 ? this.#port.burstLastEdge(gap) : NaN;
      if (edge + gap > at) {
        this.#watchDeadline(edge + gap);
        this.#foreseen = true;
      } else this.#watchDeadline(at);
      return;
    }
    if (this.#expiring !== at) {
      // A character whose leading edge falls on this very tick is in time (the delay between leading
      // edges "shall not exceed" WT, §7.2 / §11.4.3): look again once the events already due at
      // this tick have run, whichever was scheduled first.
      this.#expiring = at;
      this.#watchDeadline(at);
      return;
    }
    this.#expiring = NaN;
    this.#deadlineAt = NaN;
    this.#firstEtu = this.#nextEtu = 0;
    if (this.#closed) return;
    this.#transfer.interrupted(true);
    this.#port.reabsorb();
    this.#options.onError?.('timeout');
  };
  readonly #onReadable = (): void => {
    if (this.#closed) return;
    this.#readablePosted = false;
    const count = this.#rx.length + this.#transfer.pending;
    if (count > 0) this.#options.onReadable?.(count);
  };
  readonly #onWaiting = (): void => {
    if (!this.#closed) this.#options.onWaiting?.();
  };
  readonly #onWritable = (): void => {
    if (this.#closed) return;
    this.#writablePosted = false;
    this.#options.onWritable?.(this.writable);
  };

  /**
   * `capabilities`: the board's UART (CardUartConstructor.capabilities); a subclass may declare
   * them static instead.
   */
  constructor(line: SimLine, options: CardUartOptions, capabilities?: CardUartCapabilities) {
    const { clockHz, F, D, N, protocol, repetitions } = options;
    if (!(clockHz > 0 && F > 0 && D > 0)) throw new RangeError('CardUart: clockHz, F and D must be positive');
    if (!(N >= 0 && N <= 255) || (protocol !== 0 && protocol !== 1) || !(repetitions >= 0)) {
      throw new RangeError('CardUart: N must be 0..255, protocol 0 or 1, repetitions ≥ 0');
    }
    this.#line = line;
    this.#options = { ...options };
    // A board that declares UART capabilities (static, on the constructor) gets its UART's real
    // rate: the divider's rounding makes the reader's bit time differ from the card's, as on hardware.
    capabilities ??= (new.target as unknown as { capabilities?: CardUartCapabilities }).capabilities;
    const baud = (D * clockHz) / F;
    if (capabilities && baud > capabilities.maxBaud) throw new RangeError(`CardUart: ${baud} bit/s is above the UART's ${capabilities.maxBaud}`);
    const actual = capabilities?.closestBaud?.(baud) ?? baud;
    this.#etu = capabilities?.closestBaud && actual > 0 ? Math.round((1e9 * TICKS_PER_NS) / actual) : etuTicks(F, D, clockHz);
    this.#port = new LinePort(line, 'reader', {
      received: (byte, parityOk) => this.#received(byte, parityOk),
      framing: () => this.#error('framing'),
      leadingEdge: (t) => this.#incomingEdge(t),
      sending: (t, last) => this.#sending(t, last),
      sendFailed: () => this.#error('parity'),
      sent: () => this.#sent(),
      wantsSent: (last) => this.#options.onWritable !== undefined && (this.#full || last),
      burstCut: () => {
        if (this.#deadlineTimer !== undefined && this.#foreseen) this.#watchDeadline(this.#deadlineAt);
      },
      absorbable: () => this.#transfer.absorbable,
      burstable: () => (this.#firstEtu === 0 || this.#firstEtu >= BURST_SAFE_ETU) && (this.#nextEtu === 0 || this.#nextEtu >= BURST_SAFE_ETU),
      rebase: (delta) => {
        this.#lastEdge -= delta;
        this.#deadlineAt -= delta;
        this.#expiring -= delta;
        this.#timerAt -= delta;
      },
    }, this.#etu, options.convention, repetitions);
    this.#port.protocol = protocol;
    // §7.2: 12 etu + N etu between leading edges; N = 255 means the minimum, 11 etu in T=1.
    this.#port.guardEtu = N === 255 ? (protocol === 1 ? 11 : 12) : 12 + N;
    // §7.2 (T=0: 16 etu between characters in opposite directions), §11.2 (T=1: BGT 22 etu).
    this.#port.turnaroundEtu = protocol === 1 ? 22 : 16;
    const port = this.#port;
    // The getter below has its own `this`.
    const uart = this;
    this.#transfer = new BlockTransfer({
      send: (byte) => this.#sendBlockByte(byte),
      sendBytes: (bytes, from, count) => this.#sendBlockBytes(bytes, from, count),
      get sending() {
        return port.busy || uart.#heldCount > 0;
      },
      deadlines: (first, next) => this.setDeadlines(first, next),
      ended: () => this.#postReadable(),
      waiting: () => this.#line.scheduler.atTicks(this.#line.scheduler.ticks, this.#onWaiting),
    }, options.edc ?? 'lrc');
    if (options.onWritable) this.#postWritable();
  }

  get convention(): Convention | 'detect' {
    return this.#port.convention;
  }

  get writable(): number {
    return this.#closed ? 0 : UART_BUFFER - this.#port.queued;
  }

  read(): number | undefined {
    return this.#rx.shift();
  }

  write(byte: number): void {
    if (this.#closed) throw new Error('CardUart: closed');
    if (this.#port.queued >= UART_BUFFER) throw new Error('CardUart: transmit buffer full');
    const convention = this.#port.convention === 'detect' ? 'direct' : this.#port.convention;
    this.#port.send(byte, this.#etu, convention);
    if (this.#port.queued >= UART_BUFFER) this.#full = true;
  }

  writeBlock(block: Uint8Array, length: number, addEdc: boolean, waitEtu: number, characterEtu: number): void {
    if (this.#closed) throw new Error('CardUart: closed');
    // Characters of the card's the line hands over after the fact belong to the transfer before this one.
    this.#port.catchUp();
    this.#transfer.writeBlock(block, length, addEdc, waitEtu, characterEtu);
    this.#port.reabsorb();
  }

  writeTpdu(command: Uint8Array, length: number, expected: number, waitEtu: number): void {
    if (this.#closed) throw new Error('CardUart: closed');
    // Characters of the card's the line hands over after the fact belong to the transfer before this one.
    this.#port.catchUp();
    this.#transfer.writeTpdu(command, length, expected, waitEtu);
    this.#port.reabsorb();
  }

  readBlock(into: Uint8Array, offset: number): number {
    return this.#transfer.readBlock(into, offset);
  }

  get blockEnd(): BlockEnd {
    return this.#transfer.end;
  }

  setDeadlines(firstEtu: number, nextEtu: number): void {
    if (this.#closed) return;
    this.#port.catchUp();
    this.#cancelDeadline();
    this.#firstEtu = firstEtu > 0 ? firstEtu : 0;
    this.#nextEtu = nextEtu > 0 ? nextEtu : 0;
    this.#port.recheck();
    if (this.#firstEtu === 0 && this.#nextEtu === 0) return;
    if (this.#port.busy || this.#heldCount > 0) return; // armed when the last queued character starts (#sending)
    // Counted from the last leading edge on the line; if that would already have expired, the line
    // has been idle and the deadline counts from this call.
    const now = this.#line.scheduler.ticks;
    let ref = this.#lastEdge;
    if (ref + this.#firstEtu * this.#etu <= now) ref = now;
    this.#armAt(ref + this.#firstEtu * this.#etu);
  }

  flush(): void {
    this.#port.catchUp();
    this.#rx.length = 0;
    this.#dropHeld();
    this.#port.dropQueue();
    this.#transfer.abandon();
    this.#port.reabsorb();
  }

  close(): void {
    if (this.#closed) return;
    this.#port.catchUp();
    this.#transfer.abandon();
    this.#dropHeld();
    this.#closed = true;
    this.#cancelDeadline();
    this.#firstEtu = this.#nextEtu = 0;
    this.#rx.length = 0;
    this.#port.close();
  }

  #received(byte: number, parityOk: boolean): void {
    if (this.#closed) return;
    if (this.#rx.length >= UART_BUFFER) {
      this.#error('overrun');
      return;
    }
    if (parityOk) {
      if (this.#transfer.receive(byte)) return;
      this.#rx.push(byte);
      this.#postReadable();
      return;
    }
    // The corrupted character is still delivered (after its error) so T=1 block lengths stay in step.
    this.#post(() => {
      this.#transfer.interrupted(false);
      this.#port.reabsorb();
      this.#options.onError?.('parity');
      if (this.#closed || this.#transfer.receive(byte)) return;
      this.#rx.push(byte);
      this.#postReadable();
    });
  }

  #error(error: CardCharError): void {
    this.#post(() => {
      this.#transfer.interrupted(false);
      this.#port.reabsorb();
      this.#options.onError?.(error);
    });
  }

  /** A character of a block transfer: in T=1 the first one waits for BGT (see #held). */
  #sendBlockByte(byte: number): void {
    if (this.#mayWrite()) this.write(byte);
    else this.#hold(byte);
  }

  /** `#sendBlockByte` for each of `count` characters of `bytes` from `from`, queued at once. */
  #sendBlockBytes(bytes: Uint8Array, from: number, count: number): void {
    if (count <= 0) return;
    if (this.#mayWrite()) {
      this.#writeBytes(bytes, from, count);
      return;
    }
    if (this.#heldCount + count + this.#port.queued > UART_BUFFER) throw new Error('CardUart: transmit buffer full');
    this.#held.set(bytes.subarray(from, from + count), this.#heldCount);
    this.#heldCount += count;
  }

  /**
   * Whether a block character goes to the line now: nothing held, and in T=1 BGT over or our own
   * block going out. When it has to wait for BGT, the release at its end is scheduled here.
   */
  #mayWrite(): boolean {
    if (this.#heldCount > 0) return false;
    if (this.#options.protocol === 0 || this.#port.busy) return true;
    const bgtEnd = this.#line.lastEdge('card') + this.#port.turnaroundEtu * this.#etu;
    if (bgtEnd <= this.#line.scheduler.ticks) return true;
    this.#release = this.#line.scheduler.atTicks(bgtEnd, this.#onRelease);
    return false;
  }

  #hold(byte: number): void {
    if (this.#heldCount + this.#port.queued >= UART_BUFFER) throw new Error('CardUart: transmit buffer full');
    this.#held[this.#heldCount++] = byte;
  }

  /** `write` for each of `count` characters, queued at once. */
  #writeBytes(bytes: Uint8Array, from: number, count: number): void {
    if (this.#closed) throw new Error('CardUart: closed');
    if (this.#port.queued + count > UART_BUFFER) {
      for (let i = 0; i < count; i++) this.write(bytes[from + i]);
      return;
    }
    const convention = this.#port.convention === 'detect' ? 'direct' : this.#port.convention;
    this.#port.sendBytes(bytes, from, count, this.#etu, convention);
    if (this.#port.queued >= UART_BUFFER) this.#full = true;
  }

  #dropHeld(): void {
    if (this.#release !== undefined) this.#line.scheduler.cancel(this.#release);
    this.#release = undefined;
    this.#heldCount = 0;
  }

  #incomingEdge(t: number): void {
    if (this.#release !== undefined) {
      // §11.2: BGT counts from this character now.
      this.#line.scheduler.cancel(this.#release);
      this.#release = this.#line.scheduler.atTicks(t + this.#port.turnaroundEtu * this.#etu, this.#onRelease);
    }
    this.#lastEdge = t;
    if (this.#firstEtu === 0 && this.#nextEtu === 0) return;
    // Moving the deadline later keeps its event (it waits on when it fires): no heap work per character.
    if (this.#nextEtu > 0) this.#armAt(t + this.#nextEtu * this.#etu);
    else {
      this.#cancelDeadline();
      this.#firstEtu = 0; // the first-character deadline is met and nothing follows it
    }
  }

  #sending(t: number, last: boolean): void {
    this.#lastEdge = t;
    this.#cancelDeadline();
    if (last && this.#firstEtu > 0) this.#armAt(t + this.#firstEtu * this.#etu);
  }

  #armAt(time: number): void {
    this.#deadlineAt = time;
    if (this.#deadlineTimer === undefined || (this.#timerAt > time && !this.#foreseen)) this.#watchDeadline(time);
  }

  #watchDeadline(time: number): void {
    if (this.#deadlineTimer !== undefined) this.#line.scheduler.cancel(this.#deadlineTimer);
    this.#foreseen = false;
    this.#timerAt = time;
    this.#deadlineTimer = this.#line.scheduler.atTicks(time, this.#onDeadline);
  }

  /** Disarm: the watching event goes too (a dead one would still pull the clock forward when run until idle). */
  #cancelDeadline(): void {
    this.#deadlineAt = NaN;
    if (this.#deadlineTimer !== undefined) this.#line.scheduler.cancel(this.#deadlineTimer);
    this.#deadlineTimer = undefined;
    this.#foreseen = false;
  }

  #post(fn: () => void): void {
    this.#line.scheduler.atTicks(this.#line.scheduler.ticks, () => {
      if (!this.#closed) fn();
    });
  }

  #postReadable(): void {
    if (this.#readablePosted || !this.#options.onReadable) return;
    this.#readablePosted = true;
    this.#line.scheduler.atTicks(this.#line.scheduler.ticks, this.#onReadable);
  }

  /**
   * A character left the transmit queue. Like a UART's transmit-empty interrupt, onWritable comes
   * when the queue has emptied, or as soon as there is room again after a write filled it.
   */
  #sent(): void {
    if (this.#full || this.#port.queued === 0) {
      this.#full = false;
      this.#postWritable();
    }
  }

  #postWritable(): void {
    if (this.#writablePosted || !this.#options.onWritable) return;
    this.#writablePosted = true;
    this.#line.scheduler.atTicks(this.#line.scheduler.ticks, this.#onWritable);
  }
}
