/**
 * The card side of T=1 (ISO/IEC 7816-3 §11), written apart from the reader's link in
 * firmware/iso7816/t1 (own block coding, own EDC, own rules) so that a misreading of the standard
 * on one side is not hidden by the same misreading on the other.
 *
 * The card answers every block it receives (it never speaks first):
 * - a valid I-block with the expected N(S): collect its INF; M = 1 → R(next N(S)) (rule 5); M = 0 →
 *   run the APDU and send the response as I-blocks of at most IFSD bytes (rule 2), chained (rule 5);
 * - an R-block: next block of its chain when N(R) ≠ N(S) of its last chained I-block (rule 5),
 *   otherwise its last I-block again (rule 7.1 as the reader asked); after one of its R- or S-blocks,
 *   that block again (rules 7.2, 7.3);
 * - S(RESYNCH/IFS/ABORT request): the response, with state reset (rule 6.3), new IFSD (rule 4) or the
 *   chain dropped (rule 9);
 * - anything invalid: R-block with the error (rule 7.1), or its last R-block / S request again (7.2, 7.3).
 *
 * Fault injection (seeded, deterministic): a plan of faults for the blocks it sends, the blocks it
 * receives, and its own requests at its turn (WTX, IFS, ABORT). Scripts force faults on given blocks
 * (Annex A scenarios); `rate` draws random ones (fault campaigns).
 */
import type { CardIo } from '../card.js';
import { SimRandom } from '../random.js';
import { parseApdu, type CommandApdu } from './apdu.js';
import { appendGrowing } from './buffer.js';
import type { ApduResponse } from './fs-applet.js';

/** Faults on a block the card sends. */
export type T1SendFault =
  /** EDC byte inverted. */
  | 'bad-edc'
  /** One character sent with wrong parity. */
  | 'bad-parity'
  /** One character in the middle left out (the reader sees CWT expire). */
  | 'lost-char'
  /** One stray character after the block. */
  | 'extra-char'
  /** An I-block with the other N(S) (EDC recomputed). */
  | 'wrong-ns'
  /** LEN = 255 (EDC recomputed). */
  | 'bad-len'
  /** The block starts later than usual but within BWT. */
  | 'slow'
  /** The block would start after BWT (the reader's next block cancels it). */
  | 'late'
  /** A pause longer than CWT inside the block. */
  | 'cwt-gap'
  /** The block stops after a few characters. */
  | 'mid-silence';
/** Requests the card makes when it has the turn. */
export type T1TurnFault = 'wtx' | 'ifs' | 'abort';
/** Faults on a block the card receives. */
export type T1ReceiveFault =
  /** The block never reached the card. */
  | 'deaf'
  /** The block reached the card corrupted (EDC error). */
  | 'mishear';
export type T1Fault = T1SendFault | T1TurnFault | T1ReceiveFault;

export const T1_SEND_FAULTS: readonly T1SendFault[] = Object.freeze([
  'bad-edc', 'bad-parity', 'lost-char', 'extra-char', 'wrong-ns', 'bad-len', 'slow', 'late', 'cwt-gap', 'mid-silence',
] as T1SendFault[]);
export const T1_TURN_FAULTS: readonly T1TurnFault[] = Object.freeze(['wtx', 'ifs', 'abort'] as T1TurnFault[]);
export const T1_RECEIVE_FAULTS: readonly T1ReceiveFault[] = Object.freeze(['deaf', 'mishear'] as T1ReceiveFault[]);

export interface T1FaultPlan {
  seed?: number;
  /** Probability (0–1) of a random fault at each opportunity (each block sent, received, each turn). */
  rate?: number;
  /** Kinds drawn at random (default: all). */
  faults?: readonly T1Fault[];
  /** Forced faults for the card's successive blocks sent / received / turns (null: none), before random ones. */
  send?: readonly (T1SendFault | null)[];
  receive?: readonly (T1ReceiveFault | null)[];
  turn?: readonly (T1TurnFault | null)[];
  /** Value of a forced S(WTX request) (default 2) and S(IFS request) (default 16). */
  wtx?: number;
  ifs?: number;
}

export interface T1CardEngineOptions {
  edc: 'lrc' | 'crc';
  /** The card's IFSC (its ATR's), BWI and CWI. */
  ifsc: number;
  bwi: number;
  cwi: number;
  /** NAD the card expects (default 0: it answers with SAD and DAD exchanged). */
  nad?: number;
  plan?: T1FaultPlan;
  /** Keep a human-readable history of blocks ("> I(0)" sent, "< R(1,edc)" received) for tests. */
  record?: boolean;
}

export interface T1CardStats {
  blocksSent: number;
  blocksReceived: number;
  apdus: number;
  resynchs: number;
  faults: Record<string, number>;
}

export interface T1Processor {
  process(apdu: CommandApdu): ApduResponse;
}

const RX_MAX = 3 + 255 + 2;

// Independent EDC: LRC, and the CRC register (reflected 0x1021, preset FFFF) sent high byte first as
// libccid does; computed bit by bit here (the reader uses a table).
function lrcOf(b: ArrayLike<number>, end: number): number {
  let v = 0;
  for (let i = 0; i < end; i++) v ^= b[i];
  return v;
}
function crcOf(b: ArrayLike<number>, end: number): number {
  let v = 0xffff;
  for (let i = 0; i < end; i++) {
    v ^= b[i];
    for (let k = 0; k < 8; k++) v = v & 1 ? (v >>> 1) ^ 0x8408 : v >>> 1;
  }
  return v;
}

type Sent =
  | { kind: 'none' }
  | { kind: 'I'; bytes: number[]; more: boolean; ns: number }
  /** `error`: sent because a block arrived invalid (not an acknowledgement). */
  | { kind: 'R'; bytes: number[]; error: boolean }
  | { kind: 'S'; bytes: number[]; request: boolean };

/** What the card is waiting for after its own S request. */
type Waiting = { type: number; value: number; then: () => void } | null;

export class T1CardEngine {
  readonly stats: T1CardStats = { blocksSent: 0, blocksReceived: 0, apdus: 0, resynchs: 0, faults: {} };
  readonly history: string[] = [];
  readonly #app: T1Processor;
  readonly #o: T1CardEngineOptions;
  #random: SimRandom;
  readonly #nad: number;
  #plan: T1FaultPlan | undefined;
  #io: CardIo | null = null;

  #rx = new Uint8Array(RX_MAX + 8);
  #rxCount = 0;
  #rxParity = true;
  #rxLastNs = -Infinity;
  #cwtF = 0;
  #cwtD = 0;
  #cwtClock = 0;
  #cwtCheck = 0;

  #ns = 0;
  #nr = 0;
  #ifsd = 32;
  #ifsc = 32;
  /** The command APDU being chained in (its first #commandLength bytes; the buffer grows and is kept). */
  #command = new Uint8Array(512);
  #commandLength = 0;
  #response: Uint8Array | null = null;
  #responseOffset = 0;
  #last: Sent = { kind: 'none' };
  /** Our last I-block while the reader has not yet acknowledged it (kept across our error R-blocks). */
  #lastI: Sent | null = null;
  #waiting: Waiting = null;
  #pendingSend: number | null = null;
  #pendingFn: (() => void) | null = null;
  /** A delayed block the reader's next block interrupted: an R-block from the reader gets it at once. */
  #interrupted: (() => void) | null = null;
  #sendIndex = 0;
  #receiveIndex = 0;
  #turnIndex = 0;

  constructor(app: T1Processor, options: T1CardEngineOptions) {
    this.#app = app;
    this.#o = options;
    this.#plan = options.plan;
    this.#random = new SimRandom(options.plan?.seed ?? 1);
    const nad = options.nad ?? 0;
    this.#nad = nad;
  }

  /** Start (after ATR/PPS, or after a reset) with N(S) = N(R) = 0, IFSD 32 and the ATR's IFSC. */
  start(io: CardIo): void {
    this.#io = io;
    this.#rxCount = 0;
    this.#rxParity = true;
    this.#ns = this.#nr = 0;
    this.#ifsd = 32;
    this.#ifsc = this.#o.ifsc;
    this.#commandLength = 0;
    this.#response = null;
    this.#last = { kind: 'none' };
    this.#lastI = null;
    this.#waiting = null;
    this.#pendingSend = null;
    this.#pendingFn = null;
    this.#interrupted = null;
  }

  /** Test backdoor: a new fault plan from now on (scripts count from here; history cleared). */
  setPlan(plan: T1FaultPlan | undefined): void {
    this.#plan = plan;
    this.#random = new SimRandom(plan?.seed ?? 1);
    this.#sendIndex = this.#receiveIndex = this.#turnIndex = 0;
    this.history.length = 0;
  }

  stop(): void {
    this.#io = null;
  }

  get ifsd(): number {
    return this.#ifsd;
  }

  /**
   * SimCard.absorbable: the characters of the reader's block before its last, when they come less
   * than CWT apart (a longer pause would start a new block) and nothing of ours waits to go out;
   * the first at `firstNs` starts a new block itself when it comes more than CWT after the last.
   */
  absorbable(gapNs: number, firstNs: number): number {
    const cwt = this.#io ? this.#cwtCheckNs() : 0;
    if (!this.#io || this.#pendingSend !== null || !(gapNs < cwt)) return 0;
    const count = this.#rxCount > 0 && firstNs - this.#rxLastNs > cwt ? 0 : this.#rxCount;
    if (count < 3) return 3 - count;
    return Math.max(0, 3 + this.#rx[2] + (this.#o.edc === 'crc' ? 2 : 1) - count - 1);
  }

  receive(byte: number, parityOk: boolean): void {
    const io = this.#io;
    if (!io) return;
    // The character's own time: the line may hand it over after the fact (absorbable).
    const now = io.receivedAtNs ?? io.scheduler.now();
    if (this.#pendingSend !== null) {
      // The reader spoke first (our block was late): the block waits for the reader's R-block.
      io.cancel(this.#pendingSend);
      this.#pendingSend = null;
      this.#interrupted = this.#pendingFn;
      this.#pendingFn = null;
    }
    // CWT on the card side, checked lazily: a pause longer than CWT starts a new block.
    if (this.#rxCount > 0 && now - this.#rxLastNs > this.#cwtCheckNs()) {
      this.#rxCount = 0;
      this.#rxParity = true;
    }
    this.#rxLastNs = now;
    if (this.#rxCount < this.#rx.length) this.#rx[this.#rxCount] = byte;
    this.#rxCount++;
    if (!parityOk) this.#rxParity = false;
    const edcLen = this.#o.edc === 'crc' ? 2 : 1;
    if (this.#rxCount >= 3 && this.#rxCount === 3 + this.#rx[2] + edcLen) {
      const length = this.#rxCount;
      const parity = this.#rxParity;
      this.#rxCount = 0;
      this.#rxParity = true;
      this.#block(length, parity);
    }
  }

  // ---- blocks in ----

  #block(length: number, parityOk: boolean): void {
    this.stats.blocksReceived++;
    const b = this.#rx;
    const edcLen = this.#o.edc === 'crc' ? 2 : 1;
    const fault = this.#draw(this.#plan?.receive, this.#receiveIndex++, T1_RECEIVE_FAULTS);
    if (fault) this.stats.faults[fault] = (this.stats.faults[fault] ?? 0) + 1;
    if (fault === 'deaf') return;
    const interrupted = this.#interrupted;
    this.#interrupted = null;
    let edcOk = parityOk && fault !== 'mishear';
    if (edcOk) {
      if (edcLen === 1) edcOk = lrcOf(b, length) === 0;
      else {
        const v = crcOf(b, length - 2);
        edcOk = b[length - 2] === v >> 8 && b[length - 1] === (v & 0xff);
      }
    }
    const pcb = b[1];
    const len = b[2];
    if (this.#o.record) this.history.push(`< ${edcOk ? describe(pcb) : 'invalid'}`);
    if (!edcOk) return this.#invalid(1);
    if (b[0] !== this.#nad || len === 255) return this.#invalid(2);
    if ((pcb & 0x80) === 0) {
      if ((pcb & 0x1f) !== 0) return this.#invalid(2);
      return this.#iBlock((pcb >> 6) & 1, (pcb & 0x20) !== 0, b.subarray(3, 3 + len));
    }
    if ((pcb & 0xc0) === 0x80) {
      if (len !== 0 || (pcb & 0x2c) !== 0) return this.#invalid(2);
      if (interrupted) return interrupted();
      return this.#rBlock((pcb >> 4) & 1);
    }
    const type = pcb & 0x1f;
    const needs = type === 1 || type === 3 ? 1 : 0;
    if (type > 3 || len !== needs) return this.#invalid(2);
    const value = needs ? b[3] : 0;
    if ((pcb & 0x20) !== 0) return this.#sResponse(type, value);
    return this.#sRequest(type, value);
  }

  /** Rules 7.1–7.3 seen from the card. */
  #invalid(error: 1 | 2): void {
    const last = this.#last;
    if (last.kind === 'R' || (last.kind === 'S' && last.request)) {
      this.#resend(); // Rule 7.2 / 7.3
      return;
    }
    this.#sendR(this.#nr, error); // Rule 7.1
  }

  #iBlock(ns: number, more: boolean, inf: Uint8Array): void {
    if (this.#waiting !== null || (this.#last.kind === 'I' && this.#last.more)) return this.#invalid(2);
    if (ns !== this.#nr || inf.length > this.#ifsc) return this.#sendR(this.#nr, 2); // Rule 7.1
    this.#nr ^= 1;
    this.#lastI = null;
    this.#command = appendGrowing(this.#command, this.#commandLength, inf);
    this.#commandLength += inf.length;
    if (more) {
      this.#turn(() => this.#sendR(this.#nr, 0), true); // Rule 5
      return;
    }
    const command = this.#command.slice(0, this.#commandLength);
    this.#commandLength = 0;
    this.stats.apdus++;
    const parsed = parseApdu(command);
    const result: ApduResponse = 'apdu' in parsed ? this.#app.process(parsed.apdu) : { data: new Uint8Array(0), sw: 0x6700 };
    const response = new Uint8Array(result.data.length + 2);
    response.set(result.data);
    response[result.data.length] = result.sw >> 8;
    response[result.data.length + 1] = result.sw & 0xff;
    this.#response = response;
    this.#responseOffset = 0;
    this.#turn(() => this.#sendChunk(), false, result.busyEtu ?? 0);
  }

  #rBlock(nr: number): void {
    let last = this.#last;
    // After our error R-block, the reader's R-block still refers to our last I-block.
    if (last.kind === 'R' && last.error && this.#lastI !== null) last = this.#lastI;
    if (this.#waiting !== null) return this.#resend(); // Rule 7.3: our S request again
    if (last.kind === 'I') {
      if (last.more && nr !== last.ns) {
        // Rule 5: the reader acknowledged our chained block.
        this.#responseOffset += last.bytes[2];
        this.#last = { kind: 'none' };
        this.#lastI = null;
        this.#turn(() => this.#sendChunk(), true);
        return;
      }
      if (nr === last.ns) {
        this.#last = last; // the reader asks for our I-block again
        return this.#emit(last.bytes, true);
      }
      return this.#sendR(this.#nr, 2); // the reader expects something we have not got: say which I-block we expect
    }
    if (last.kind === 'none' || (last.kind === 'S' && !last.request)) return this.#sendR(this.#nr, 2);
    this.#resend(); // Rule 7.2
  }

  #sRequest(type: number, value: number): void {
    const io = this.#io!;
    switch (type) {
      case 0: // Rule 6.3: RESYNCH
        this.stats.resynchs++;
        this.#ns = this.#nr = 0;
        this.#ifsd = 32;
        this.#ifsc = this.#o.ifsc;
        this.#commandLength = 0;
        this.#response = null;
        this.#waiting = null;
        this.#lastI = null;
        return this.#sendS(0x20, null);
      case 1: // Rule 4: IFSD
        if (value === 0 || value === 255) return this.#invalid(2);
        this.#ifsd = value;
        return this.#sendS(0x21, value);
      case 2: // Rule 9: the reader aborts the chain
        this.#commandLength = 0;
        this.#response = null;
        return this.#sendS(0x22, null);
      default:
        void io;
        return this.#invalid(2); // the reader may not ask for WTX
    }
  }

  #sResponse(type: number, value: number): void {
    const waiting = this.#waiting;
    if (waiting === null || waiting.type !== type || (type !== 2 && waiting.value !== value)) return this.#invalid(2);
    this.#waiting = null;
    waiting.then();
  }

  // ---- blocks out ----

  /**
   * The card has the turn: maybe make a request first (forced or random WTX / IFS / ABORT), then do
   * `next`. `inChain`: ABORT is only meaningful inside a chain.
   */
  #turn(next: () => void, inChain: boolean, busyEtu = 0): void {
    const fault = this.#draw(this.#plan?.turn, this.#turnIndex++, T1_TURN_FAULTS);
    if (fault && (fault !== 'abort' || inChain) && (fault !== 'wtx' || !inChain)) this.stats.faults[fault] = (this.stats.faults[fault] ?? 0) + 1;
    const bwt = this.#bwtEtu();
    if (fault === 'wtx' && !inChain) {
      const m = this.#plan?.wtx ?? 1 + this.#random.nextInt(3);
      this.#request(0x03, m, () => this.#later(Math.max(busyEtu, bwt * (m - 0.5)), next));
      return;
    }
    if (fault === 'ifs') {
      const v = this.#plan?.ifs ?? 16 + this.#random.nextInt(239);
      this.#request(0x01, v, () => {
        this.#ifsc = v;
        next();
      });
      return;
    }
    if (fault === 'abort' && inChain) {
      this.#request(0x02, 0, () => {
        this.#commandLength = 0;
        this.#response = null;
        this.#last = { kind: 'none' };
      });
      return;
    }
    if (busyEtu > bwt - 50) {
      // A long command: ask for time (rule 3) so the reader's BWT does not expire.
      const m = Math.ceil(busyEtu / bwt) + 1;
      this.#request(0x03, m, () => this.#later(busyEtu, next));
      return;
    }
    if (busyEtu > 0) this.#later(busyEtu, next);
    else next();
  }

  #later(etu: number, fn: () => void): void {
    const io = this.#io!;
    this.#pendingFn = fn;
    this.#pendingSend = io.after(etu, () => {
      this.#pendingSend = null;
      this.#pendingFn = null;
      fn();
    });
  }

  #request(type: number, value: number, then: () => void): void {
    this.#waiting = { type, value, then };
    this.#sendS(type, type === 1 || type === 3 ? value : null);
  }

  #sendChunk(): void {
    const response = this.#response;
    if (!response) return;
    const remaining = response.length - this.#responseOffset;
    const size = Math.min(this.#ifsd, 254);
    const count = Math.min(size, remaining);
    const more = remaining > size;
    // Sized once: prologue, INF and EDC (§11.3.1).
    const crc = this.#o.edc === 'crc';
    const length = 3 + count;
    const bytes = new Array<number>(length + (crc ? 2 : 1)).fill(0);
    bytes[0] = this.#nadOut();
    bytes[1] = (this.#ns << 6) | (more ? 0x20 : 0);
    bytes[2] = count;
    for (let i = 0; i < count; i++) bytes[3 + i] = response[this.#responseOffset + i];
    if (crc) {
      const v = crcOf(bytes, length);
      bytes[length] = v >> 8;
      bytes[length + 1] = v & 0xff;
    } else bytes[length] = lrcOf(bytes, length);
    this.#last = { kind: 'I', bytes, more, ns: this.#ns };
    this.#lastI = this.#last;
    this.#ns ^= 1;
    if (!more) this.#response = null;
    this.#emit(bytes, true);
  }

  #sendR(nr: number, error: number): void {
    const bytes = [this.#nadOut(), 0x80 | (nr << 4) | error, 0];
    this.#withEdc(bytes);
    this.#last = { kind: 'R', bytes, error: error !== 0 };
    this.#emit(bytes, false);
  }

  #sendS(pcbLow: number, value: number | null): void {
    const bytes = value === null ? [this.#nadOut(), 0xc0 | pcbLow, 0] : [this.#nadOut(), 0xc0 | pcbLow, 1, value];
    this.#withEdc(bytes);
    this.#last = { kind: 'S', bytes, request: (pcbLow & 0x20) === 0 };
    this.#emit(bytes, false);
  }

  #resend(): void {
    const last = this.#last;
    if (last.kind === 'none') return this.#sendR(this.#nr, 2);
    this.#emit(last.bytes, last.kind === 'I');
  }

  #nadOut(): number {
    return ((this.#nad >> 4) & 0x0f) | ((this.#nad & 0x0f) << 4);
  }

  #withEdc(bytes: number[]): void {
    if (this.#o.edc === 'crc') {
      const v = crcOf(bytes, bytes.length);
      bytes.push(v >> 8, v & 0xff);
    } else bytes.push(lrcOf(bytes, bytes.length));
  }

  /** Put a block on the line, with the send fault the plan asks for (the stored block stays intact). */
  #emit(block: number[], isI: boolean): void {
    const io = this.#io;
    if (!io) return;
    this.stats.blocksSent++;
    if (this.#o.record) this.history.push(`> ${describe(block[1])}`);
    let fault = this.#draw(this.#plan?.send, this.#sendIndex++, T1_SEND_FAULTS);
    if (fault === 'wrong-ns' && !isI) fault = 'bad-edc';
    if (fault === null) {
      if (io.sendBytes) io.sendBytes(block);
      else for (let i = 0; i < block.length; i++) io.send(block[i]);
      return;
    }
    this.stats.faults[fault] = (this.stats.faults[fault] ?? 0) + 1;
    if (this.#o.record) this.history.push(`  fault ${fault}`);
    const edcLen = this.#o.edc === 'crc' ? 2 : 1;
    const n = block.length;
    const bytes = block.slice();
    const cwt = 11 + 2 ** this.#o.cwi;
    switch (fault) {
      case 'bad-edc':
        bytes[n - 1] ^= 0xff;
        break;
      case 'wrong-ns':
      case 'bad-len': {
        if (fault === 'wrong-ns') bytes[1] ^= 0x40;
        else bytes[2] = 255;
        bytes.length = n - edcLen;
        this.#withEdc(bytes);
        break;
      }
      default:
        break;
    }
    const bad = fault === 'bad-parity' ? this.#random.nextInt(n) : -1;
    const lost = fault === 'lost-char' ? 1 + this.#random.nextInt(n - 2) : -1;
    const stop = fault === 'mid-silence' ? 1 + this.#random.nextInt(n - 1) : n;
    const gapAt = fault === 'cwt-gap' ? 1 + this.#random.nextInt(n - 1) : -1;
    const send = (): void => {
      for (let i = 0; i < stop; i++) {
        if (i === lost) continue;
        if (i === gapAt) io.send(bytes[i], { delayEtu: cwt + 5 });
        else if (i === bad) io.send(bytes[i], { badParity: true });
        else io.send(bytes[i]);
      }
      if (fault === 'extra-char') io.send(0x5a);
    };
    if (fault === 'slow') this.#later(this.#random.nextInt(Math.max(1, this.#bwtEtu() - 60)), send);
    else if (fault === 'late') this.#later(this.#bwtEtu() + 40, send);
    else send();
  }

  #draw<T extends T1Fault>(script: readonly (T | null)[] | undefined, index: number, kinds: readonly T[]): T | null {
    if (script && index < script.length) return script[index];
    const plan = this.#plan;
    if (!plan || !plan.rate) return null;
    if (this.#random.nextFloat() >= plan.rate) return null;
    const allowed = plan.faults ? kinds.filter((k) => plan.faults!.includes(k)) : kinds;
    if (allowed.length === 0) return null;
    return allowed[this.#random.nextInt(allowed.length)];
  }

  /** CWT + 2 etu in ns (§11.4.3), for the lazy CWT check on every character: worked out once per rate. */
  #cwtCheckNs(): number {
    const io = this.#io!;
    const F = io.F;
    const D = io.D;
    const clockHz = io.clockHz;
    if (F !== this.#cwtF || D !== this.#cwtD || clockHz !== this.#cwtClock) {
      this.#cwtF = F;
      this.#cwtD = D;
      this.#cwtClock = clockHz;
      this.#cwtCheck = (11 + 2 ** this.#o.cwi + 2) * ((F * 1e9) / (D * clockHz));
    }
    return this.#cwtCheck;
  }

  #etuNs(): number {
    const io = this.#io!;
    return (io.F * 1e9) / (io.D * io.clockHz);
  }

  /** BWT in the card's etu (§11.4.3), measured by the card from the end of the reader's block. */
  #bwtEtu(): number {
    const io = this.#io!;
    return 11 + (2 ** this.#o.bwi * 960 * 372 * io.D) / io.F;
  }
}

/** "I(0,M)", "R(1,edc)", "S(WTX req)" — the card's own spelling, for histories. */
export function describe(pcb: number): string {
  if ((pcb & 0x80) === 0) return `I(${(pcb >> 6) & 1}${pcb & 0x20 ? ',M' : ''})`;
  if ((pcb & 0xc0) === 0x80) {
    const e = pcb & 3;
    return `R(${(pcb >> 4) & 1}${e === 1 ? ',edc' : e === 2 ? ',other' : ''})`;
  }
  return `S(${['RESYNCH', 'IFS', 'ABORT', 'WTX'][pcb & 3]} ${pcb & 0x20 ? 'resp' : 'req'})`;
}
