/**
 * The firmware-cost rig: the firmware alone (CCID class → slot engine → ISO 7816-3 session → T=0 /
 * T=1) between two allocation-free doubles, so that XS's meter counts the firmware and hardly
 * anything else:
 * - below, a "wire" CardUart: each character the firmware's UART would send goes straight to a card
 *   peer, and the card's come back through `onReadable` from the scheduler, with no bit-level line.
 *   The peer is first a real simulated card (hal/sim/cards, through a minimal CardIo) while a session
 *   is set up and two APDUs are recorded, one block-level transfer (a T=1 block, a T=0 TPDU) at a
 *   time; then the recording is replayed, one delivery per transfer as the device's native driver
 *   makes it, checking (when asked) what the firmware hands over against it (the simulated cards
 *   allocate per block; a replay costs nothing);
 * - above, a USB device double that feeds prebuilt CCID messages to the class's bulk OUT and reads
 *   its bulk IN replies in place, playing the host's side of CCID chaining;
 * - a pooled scheduler (no object per event), where the device has Esp32Scheduler.
 * No Node API: this runs inside XS (firmware-cost.ts drives it).
 */
import type {
  CardContacts, CardContactsCapabilities, CardContactsOptions, VoltageClass,
} from '../../hal/interfaces/card-contacts.js';
import type { BlockEnd, CardUart, CardUartOptions, Convention } from '../../hal/interfaces/card-uart.js';
import type { Scheduler, TimerHandle } from '../../hal/interfaces/scheduler.js';
import type { Trace } from '../../hal/interfaces/trace.js';
import type { UsbDevice, UsbDeviceOptions } from '../../hal/interfaces/usb-device.js';
import type { CardIo, SimCard } from '../../hal/sim/card.js';
import { findCard } from '../../hal/sim/cards/registry.js';
import { BlockTransfer, TRANSFER_MAX } from '../../hal/sim/block-transfer.js';
import { CcidClass } from '../../firmware/ccid/ccid-class.js';
import type { ReaderConfig } from '../../firmware/ccid/descriptors.js';
import { createCardSlot } from '../../firmware/iso7816/session/session.js';
import { cardUartCapabilities } from '../../hal/moddable/card-line.js';
import { hex as bytes, toHex as hex } from '../../hal/sim/hex.js';

// ——— Scheduler ———————————————————————————————————————————————————————————————————

const POOL = 256;

/**
 * Virtual time without an object per event: entries live in parallel arrays, a binary heap of
 * entry indices orders them by (time, sequence). A handle names an entry and its generation, so a
 * stale handle cancels nothing.
 */
export class PoolScheduler implements Scheduler {
  #now = 0;
  #seq = 0;
  readonly #time = new Float64Array(POOL);
  readonly #order = new Float64Array(POOL);
  readonly #handle = new Float64Array(POOL);
  readonly #callback: ((() => void) | null)[] = new Array<(() => void) | null>(POOL).fill(null);
  readonly #heap = new Int32Array(POOL);
  #heapCount = 0;
  readonly #free = new Int32Array(POOL);
  #freeCount = POOL;
  #generation = 0;

  constructor() {
    for (let i = 0; i < POOL; i++) this.#free[i] = POOL - 1 - i;
  }

  now(): number {
    return this.#now;
  }

  at(timeNs: number, callback: () => void): TimerHandle {
    if (this.#freeCount === 0) throw new Error('PoolScheduler: more than POOL pending events');
    const e = this.#free[--this.#freeCount];
    this.#time[e] = timeNs > this.#now ? timeNs : this.#now;
    this.#order[e] = ++this.#seq;
    const handle = ++this.#generation * POOL + e;
    this.#handle[e] = handle;
    this.#callback[e] = callback;
    let i = this.#heapCount++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#less(e, this.#heap[parent])) break;
      this.#heap[i] = this.#heap[parent];
      i = parent;
    }
    this.#heap[i] = e;
    return handle;
  }

  cancel(handle: TimerHandle): void {
    const e = handle % POOL;
    if (this.#handle[e] === handle) {
      this.#handle[e] = 0;
      this.#callback[e] = null;
    }
  }

  /** Run events in order until none is left. */
  runUntilIdle(): void {
    while (this.#heapCount > 0) {
      const e = this.#heap[0];
      this.#pop();
      const callback = this.#callback[e];
      this.#callback[e] = null;
      this.#handle[e] = 0;
      this.#free[this.#freeCount++] = e;
      if (callback === null) continue;
      this.#now = this.#time[e];
      callback();
    }
  }

  #less(a: number, b: number): boolean {
    return this.#time[a] < this.#time[b] || (this.#time[a] === this.#time[b] && this.#order[a] < this.#order[b]);
  }

  #pop(): void {
    const n = --this.#heapCount;
    const last = this.#heap[n];
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const m = r < n && this.#less(this.#heap[r], this.#heap[l]) ? r : l;
      if (!this.#less(this.#heap[m], last)) break;
      this.#heap[i] = this.#heap[m];
      i = m;
    }
    this.#heap[i] = last;
  }
}

// ——— Card side: the wire UART, the card peer, the contacts ——————————————————————————

const RING = 8192;

/** One block-level transfer as recorded: what the firmware handed the UART, and what it got back. */
interface Turn {
  /** 'block' (T=1 writeBlock) or 'tpdu' (T=0 writeTpdu). */
  kind: 'block' | 'tpdu';
  /** The bytes handed over (block without its EDC when `flag`, or header and data). */
  reader: Uint8Array;
  /** writeBlock: addEdc (1/0); writeTpdu: the data bytes expected back. */
  flag: number;
  /** Characters the transfer puts on the line, both ways (EDC, procedure bytes and NULLs included). */
  lineChars: number;
  /** The result readBlock returns, and how it ended. */
  result: Uint8Array;
  end: BlockEnd;
  /** T=0 NULLs the card sent during the transfer (onWaiting before the result). */
  nulls: number;
}

/**
 * The socket: one card, the open UART, contacts state. While the session is set up, and while a
 * recording is made, the reader's characters go to a simulated card and its answers come back
 * (`live`); the recording keeps each block-level transfer whole, and the replay hands the recorded
 * result back for each transfer, checking (when asked) what the firmware handed over.
 */
class Socket {
  readonly scheduler: PoolScheduler;
  card: SimCard | null = null;
  io: WireCardIo | null = null;
  uart: WireUart | null = null;
  voltage: VoltageClass | null = null;
  clockHz = 0;
  rst: 0 | 1 = 0;
  cold = true;
  mode: 'live' | 'record' | 'replay' = 'live';
  readonly turns: Turn[] = [];
  #turn = 0;
  /** Compare what the firmware hands over with the recording (costs computrons per byte: off while measuring). */
  check = true;
  mismatches = 0;
  /** Line characters and card characters of the recorded cycle. */
  lineChars = 0;
  cardChars = 0;

  constructor(scheduler: PoolScheduler) {
    this.scheduler = scheduler;
  }

  /** A reader character, live. */
  readerByte(byte: number): void {
    if (this.mode === 'record') this.lineChars++;
    this.card?.receive(byte, true);
  }

  /** A card character, live. */
  cardByte(byte: number): void {
    if (this.mode === 'record') {
      this.lineChars++;
      this.cardChars++;
    }
    this.uart?.deliver(byte);
  }

  startRecording(): void {
    this.turns.length = 0;
    this.lineChars = this.cardChars = 0;
    this.mode = 'record';
  }

  /** From now on the recording plays, cyclically (it must span whole APDUs, and return the link to its state). */
  startReplay(): void {
    this.#turn = 0;
    this.mismatches = 0;
    this.mode = 'replay';
  }

  /** Replay: the firmware's next transfer; its recorded result comes back after its line time. */
  replay(uart: WireUart, kind: 'block' | 'tpdu', bytes: Uint8Array, length: number, flag: number): void {
    const turn = this.turns[this.#turn];
    if (this.check) {
      if (turn.kind !== kind || turn.flag !== flag || turn.reader.length !== length) this.mismatches++;
      else for (let i = 0; i < length; i++) if (bytes[i] !== turn.reader[i]) this.mismatches++;
    }
    if (++this.#turn === this.turns.length) this.#turn = 0;
    uart.replayed(turn);
  }

  setReset(level: 0 | 1): void {
    if (level === this.rst) return;
    this.rst = level;
    const card = this.card;
    if (level === 0) {
      this.io?.silence();
      if (card && this.voltage !== null) this.scheduler.at(this.scheduler.now(), () => card.resetAsserted());
      return;
    }
    if (this.voltage === null || this.clockHz === 0) return;
    const kind = this.cold ? 'cold' : 'warm';
    this.cold = false;
    this.io?.resetDefaults();
    if (card) this.scheduler.at(this.scheduler.now(), () => card.reset(kind));
  }

  setSupply(voltage: VoltageClass | null): void {
    if (voltage === this.voltage) return;
    this.voltage = voltage;
    if (voltage === null) {
      this.cold = true;
      this.io?.silence();
    }
    const card = this.card;
    if (card) this.scheduler.at(this.scheduler.now(), () => card.power(voltage));
  }
}

/**
 * The reader's card UART on the wire. A character takes 12 etu on the line and nothing else is
 * modelled: a written byte reaches the card at once, and the card's bytes queue behind the reader's
 * last character, each readable once its 12 etu have passed. Byte level (ATR, PPS) as on any
 * CardUart; the block level through the simulated board's own transfer logic
 * (hal/sim/block-transfer.ts) while live, and from the recording in the replay, where a transfer
 * costs the rig a few calls and no work per byte (the device does that work in C).
 */
class WireUart implements CardUart {
  readonly #socket: Socket;
  readonly #options: CardUartOptions;
  readonly #ring = new Uint8Array(RING);
  /** When each byte of the ring has fully arrived. */
  readonly #arrival = new Float64Array(RING);
  #head = 0;
  #visible = 0;
  #tail = 0;
  #posted = false;
  #closed = false;
  readonly #charNs: number;
  /** End of the reader's last character, and of the card's last one. */
  #txEnd = 0;
  #rxEnd = 0;
  readonly #transfer: BlockTransfer;
  /** The result waiting for readBlock: recorded (replay) or just received (live). */
  #result: Uint8Array = new Uint8Array(0);
  #resultLength = 0;
  #ready = false;
  #end: BlockEnd = 'cut';
  /** Live, while recording: the transfer being recorded. */
  #recording: Turn | null = null;
  #replayed: Turn | null = null;
  readonly #pump = (): void => {
    this.#posted = false;
    if (this.#closed) return;
    const now = this.#socket.scheduler.now();
    while (this.#visible < this.#tail && this.#arrival[this.#visible & (RING - 1)] <= now) {
      const byte = this.#ring[this.#visible & (RING - 1)];
      this.#visible++;
      // A transfer in progress takes the card's characters (strays before them are dropped).
      if (this.#transfer.receive(byte)) this.#head = this.#visible;
    }
    if (this.#visible < this.#tail && !this.#posted) this.#post();
    if (this.#visible > this.#head || this.#ready) this.#options.onReadable?.(this.#visible - this.#head + (this.#ready ? this.#resultLength : 0));
  };
  readonly #deliverReplayed = (): void => {
    const turn = this.#replayed!;
    if (this.#closed) return;
    for (let i = 0; i < turn.nulls; i++) this.#options.onWaiting?.();
    this.#result = turn.result;
    this.#resultLength = turn.result.length;
    this.#end = turn.end;
    this.#ready = true;
    this.#options.onReadable?.(this.#resultLength);
  };

  constructor(socket: Socket, options: CardUartOptions) {
    this.#socket = socket;
    this.#options = options;
    this.#charNs = (12 * options.F * 1e9) / (options.D * options.clockHz);
    this.convention = options.convention;
    this.#transfer = new BlockTransfer({
      send: (byte) => this.write(byte),
      sending: false,
      deadlines: (first, next) => this.setDeadlines(first, next),
      ended: () => this.#ended(),
      waiting: () => {
        if (this.#recording) this.#recording.nulls++;
        this.#options.onWaiting?.();
      },
    }, options.edc ?? 'lrc');
    socket.uart = this;
  }

  convention: Convention | 'detect';

  get writable(): number {
    return this.#closed ? 0 : 512;
  }

  read(): number | undefined {
    if (this.#head === this.#visible) return undefined;
    const byte = this.#ring[this.#head & (RING - 1)];
    this.#head++;
    return byte;
  }

  write(byte: number): void {
    if (this.#closed) throw new Error('CardUart: closed');
    if (this.convention === 'detect') this.convention = 'direct';
    const now = this.#socket.scheduler.now();
    this.#txEnd = (this.#txEnd > now ? this.#txEnd : now) + this.#charNs;
    this.#socket.readerByte(byte);
  }

  writeBlock(block: Uint8Array, length: number, addEdc: boolean, waitEtu: number, characterEtu: number): void {
    if (this.#closed) throw new Error('CardUart: closed');
    this.#ready = false;
    if (this.#socket.mode === 'replay') return this.#socket.replay(this, 'block', block, length, addEdc ? 1 : 0);
    this.#record('block', block, length, addEdc ? 1 : 0);
    this.#transfer.writeBlock(block, length, addEdc, waitEtu, characterEtu);
  }

  writeTpdu(command: Uint8Array, length: number, expected: number, waitEtu: number): void {
    if (this.#closed) throw new Error('CardUart: closed');
    this.#ready = false;
    if (this.#socket.mode === 'replay') return this.#socket.replay(this, 'tpdu', command, length, expected);
    this.#record('tpdu', command, length, expected);
    this.#transfer.writeTpdu(command, length, expected, waitEtu);
  }

  readBlock(into: Uint8Array, offset: number): number {
    if (!this.#ready) return 0;
    this.#ready = false;
    const n = this.#resultLength;
    if (offset + n <= into.length) into.set(this.#result, offset);
    else for (let i = 0; offset + i < into.length; i++) into[offset + i] = this.#result[i];
    return n;
  }

  get blockEnd(): BlockEnd {
    return this.#end;
  }

  /** Replay: the recorded result of this transfer arrives once its characters have passed. */
  replayed(turn: Turn): void {
    const now = this.#socket.scheduler.now();
    const start = this.#txEnd > now ? this.#txEnd : now;
    this.#txEnd = this.#rxEnd = start + turn.lineChars * this.#charNs;
    this.#replayed = turn;
    this.#socket.scheduler.at(this.#rxEnd, this.#deliverReplayed);
  }

  #record(kind: 'block' | 'tpdu', bytes: Uint8Array, length: number, flag: number): void {
    if (this.#socket.mode !== 'record') return;
    this.#recording = { kind, reader: bytes.slice(0, length), flag, lineChars: this.#socket.lineChars, result: new Uint8Array(0), end: 'cut', nulls: 0 };
  }

  /** Live: the transfer ended; its result is kept (and recorded). */
  #ended(): void {
    const scratch = new Uint8Array(TRANSFER_MAX);
    const n = this.#transfer.readBlock(scratch, 0);
    this.#result = scratch.slice(0, n);
    this.#resultLength = n;
    this.#end = this.#transfer.end;
    const turn = this.#recording;
    if (turn !== null) {
      this.#recording = null;
      turn.result = this.#result;
      turn.end = this.#end;
      turn.lineChars = this.#socket.lineChars - turn.lineChars;
      this.#socket.turns.push(turn);
    }
    this.#ready = true;
    // Asynchronously, as a UART's onReadable.
    if (!this.#posted) this.#post();
  }

  /**
   * Receive deadlines (CardUart contract), kept lazily so the rig adds no event per byte: one timer
   * runs to the deadline; when it fires and a character started in the meantime, it re-arms from that
   * character's leading edge with `nextEtu` instead of reporting. The firmware relies on them where a
   * card's silence is the answer (the quiet line after the ATR).
   */
  setDeadlines(firstEtu: number, nextEtu: number): void {
    this.#disarm();
    if (firstEtu <= 0 && nextEtu <= 0) return;
    const etuNs = this.#charNs / 12;
    const now = this.#socket.scheduler.now();
    const lastEdge = (this.#txEnd > this.#rxEnd ? this.#txEnd : this.#rxEnd) - this.#charNs;
    this.#nextNs = nextEtu * etuNs;
    this.#armedAt = this.#tail;
    this.#arm((lastEdge > now ? lastEdge : now) + firstEtu * etuNs);
  }

  #deadline: number | null = null;
  #nextNs = 0;
  /** Ring position when the deadline was (re-)armed: a later byte restarts the count. */
  #armedAt = 0;

  #arm(timeNs: number): void {
    this.#deadline = this.#socket.scheduler.at(timeNs, this.#expire);
  }

  #disarm(): void {
    if (this.#deadline !== null) this.#socket.scheduler.cancel(this.#deadline);
    this.#deadline = null;
  }

  readonly #expire = (): void => {
    this.#deadline = null;
    if (this.#closed) return;
    if (this.#tail > this.#armedAt && this.#nextNs > 0) {
      this.#armedAt = this.#tail;
      const lastStart = this.#arrival[(this.#tail - 1) & (RING - 1)] - this.#charNs;
      return this.#arm(lastStart + this.#nextNs);
    }
    if (this.#tail > this.#armedAt) return;
    this.#transfer.interrupted(true);
    this.#options.onError?.('timeout');
  };

  flush(): void {
    this.#head = this.#visible = this.#tail;
    this.#transfer.abandon();
    this.#ready = false;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#disarm();
    if (this.#socket.uart === this) this.#socket.uart = null;
  }

  /** A byte from the card: it starts once the line is free. */
  deliver(byte: number): void {
    if (this.#closed) return;
    if (this.convention === 'detect') this.convention = 'direct';
    const now = this.#socket.scheduler.now();
    let start = this.#txEnd > this.#rxEnd ? this.#txEnd : this.#rxEnd;
    if (now > start) start = now;
    this.#rxEnd = start + this.#charNs;
    this.#ring[this.#tail & (RING - 1)] = byte;
    this.#arrival[this.#tail & (RING - 1)] = this.#rxEnd;
    this.#tail++;
    if (!this.#posted) this.#post();
  }

  /** Wake up when the last byte known has arrived (at once when none is on its way). */
  #post(): void {
    this.#posted = true;
    const at = this.#tail > this.#visible ? this.#arrival[(this.#tail - 1) & (RING - 1)] : this.#socket.scheduler.now();
    this.#socket.scheduler.at(at, this.#pump);
  }
}

/** The card's side: what hal/sim/cards need (CardIo), with timers on the scheduler and no line. */
class WireCardIo implements CardIo {
  readonly scheduler: Scheduler;
  readonly #socket: Socket;
  readonly #timers = new Set<number>();
  F = 372;
  D = 1;
  convention: Convention = 'direct';

  constructor(socket: Socket) {
    this.#socket = socket;
    this.scheduler = socket.scheduler;
  }

  get clockHz(): number {
    return this.#socket.clockHz;
  }
  get voltage(): VoltageClass | null {
    return this.#socket.voltage;
  }

  setRate(F: number, D: number): void {
    this.F = F;
    this.D = D;
  }
  setConvention(convention: Convention): void {
    this.convention = convention;
  }
  setProtocol(): void {}

  send(byte: number): void {
    const s = this.#socket;
    if (s.voltage !== null && s.rst === 1 && s.clockHz > 0) s.cardByte(byte);
  }

  after(etu: number, callback: () => void): number {
    return this.#timer((etu * this.F * 1e9) / (this.D * this.clockHz), callback);
  }

  afterCycles(cycles: number, callback: () => void): number {
    return this.#timer((cycles * 1e9) / this.clockHz, callback);
  }

  cancel(handle: number): void {
    if (this.#timers.delete(handle)) this.scheduler.cancel(handle);
  }

  silence(): void {
    for (const t of this.#timers) this.scheduler.cancel(t);
    this.#timers.clear();
  }

  resetDefaults(): void {
    this.F = 372;
    this.D = 1;
    this.convention = 'direct';
  }

  #timer(delayNs: number, callback: () => void): number {
    const handle: number = this.scheduler.at(this.scheduler.now() + delayNs, () => {
      this.#timers.delete(handle);
      callback();
    });
    this.#timers.add(handle);
    return handle;
  }
}

const CONTACTS: CardContactsCapabilities = Object.freeze({
  classes: Object.freeze(['C', 'B', 'A'] as VoltageClass[]),
  // The ESP32-S3 boards' card clocks (boards/esp32s3-devkitc).
  clocksHz: Object.freeze([4_000_000, 5_000_000, 10_000_000, 20_000_000]),
  clockStop: true,
});

class WireContacts implements CardContacts {
  readonly #socket: Socket;
  constructor(socket: Socket) {
    this.#socket = socket;
  }
  readonly capabilities = CONTACTS;
  get present(): boolean {
    return this.#socket.card !== null;
  }
  setSupply(voltage: VoltageClass | null): void {
    this.#socket.setSupply(voltage);
  }
  setClock(hz: number): void {
    this.#socket.clockHz = hz;
  }
  setReset(level: 0 | 1): void {
    this.#socket.setReset(level);
  }
  close(): void {}
}

// ——— USB side: the device double and the host's CCID ————————————————————————————————

const PC_TO_RDR_XFRBLOCK = 0x6f;
const PC_TO_RDR_ICCPOWERON = 0x62;
const RDR_TO_PC_DATABLOCK = 0x80;
const HEADER = 10;
/** bChainParameter / wLevelParameter (CCID §6.1.4, §6.2.1). */
const CHAIN_WHOLE = 0x00;
const CHAIN_BEGINS = 0x01;
const CHAIN_ENDS = 0x02;
const CHAIN_CONTINUES = 0x03;
const CHAIN_MORE = 0x10;

/**
 * The host's side of one CCID command sequence: prebuilt OUT messages (the pieces of a chained
 * command), the "more" request for response chaining; replies are read in place, nothing allocated.
 */
class Host {
  pieces: Uint8Array[] = [];
  readonly more = message(PC_TO_RDR_XFRBLOCK, new Uint8Array(0), CHAIN_MORE);
  #piece = 0;
  #seq = 0;
  /** Response bytes seen, the last two (SW1 SW2), failure bError or -1; done when the response ended. */
  length = 0;
  sw = 0;
  error = -1;
  done = true;
  /** When set, each response byte is compared with it; mismatches counted. */
  expect: Uint8Array | null = null;
  mismatches = 0;
  /** Time extensions the reader sent (each costs the firmware a message). */
  extensions = 0;
  /** Set by the last reply: the first response bytes (setup reads the ATR and responses from it). */
  readonly captured = new Uint8Array(70_000);
  capture = false;
  #device: WireUsbDevice | null = null;

  attach(device: WireUsbDevice): void {
    this.#device = device;
  }

  start(pieces: Uint8Array[]): void {
    this.pieces = pieces;
    this.#piece = 0;
    this.length = 0;
    this.sw = 0;
    this.error = -1;
    this.done = false;
    this.#send(pieces[0]);
  }

  /** A bulk IN message, read in place (the device holds it until onInComplete). Returns the next OUT message or null. */
  reply(m: Uint8Array): Uint8Array | null {
    const status = m[7] >> 6;
    if (status === 2) {
      this.extensions++; // a time extension (CCID §6.2.6): the reply follows
      return null;
    }
    if (status === 1 || m[0] !== RDR_TO_PC_DATABLOCK) {
      this.error = m[8];
      this.done = true;
      return null;
    }
    const chain = m[9];
    if (chain === CHAIN_MORE) return this.#next(this.pieces[++this.#piece]);
    const n = m[1] | (m[2] << 8) | (m[3] << 16);
    const expect = this.expect;
    if (expect !== null) for (let i = 0; i < n; i++) if (m[HEADER + i] !== expect[this.length + i]) this.mismatches++;
    if (this.capture) for (let i = 0; i < n; i++) this.captured[this.length + i] = m[HEADER + i];
    this.length += n;
    if (n >= 2) this.sw = (m[HEADER + n - 2] << 8) | m[HEADER + n - 1];
    else if (n === 1) this.sw = ((this.sw & 0xff) << 8) | m[HEADER];
    if (chain === CHAIN_BEGINS || chain === CHAIN_CONTINUES) return this.#next(this.more);
    this.done = true;
    return null;
  }

  #next(m: Uint8Array): Uint8Array {
    m[6] = this.#seq;
    this.#seq = (this.#seq + 1) & 0xff;
    return m;
  }

  #send(m: Uint8Array): void {
    this.#device!.out(this.#next(m));
  }
}

function message(type: number, data: Uint8Array, level: number): Uint8Array {
  const m = new Uint8Array(HEADER + data.length);
  m[0] = type;
  m[1] = data.length & 0xff;
  m[2] = (data.length >> 8) & 0xff;
  m[3] = (data.length >> 16) & 0xff;
  m[8] = level & 0xff;
  m[9] = level >> 8;
  m.set(data, HEADER);
  return m;
}

/** XfrBlock messages for an APDU: one, or a command chain of pieces of at most `room` bytes. */
function xfrPieces(apdu: Uint8Array, room: number): Uint8Array[] {
  if (apdu.length <= room) return [message(PC_TO_RDR_XFRBLOCK, apdu, CHAIN_WHOLE)];
  const pieces: Uint8Array[] = [];
  for (let offset = 0; offset < apdu.length; offset += room) {
    const end = Math.min(offset + room, apdu.length);
    const level = offset === 0 ? CHAIN_BEGINS : end === apdu.length ? CHAIN_ENDS : CHAIN_CONTINUES;
    pieces.push(message(PC_TO_RDR_XFRBLOCK, apdu.subarray(offset, end), level));
  }
  return pieces;
}

/** The USB device double: bulk IN messages go to the host in place, through the scheduler. */
class WireUsbDevice implements UsbDevice {
  readonly #options: UsbDeviceOptions;
  readonly #host: Host;
  readonly #scheduler: Scheduler;
  #bulk: Uint8Array | null = null;
  readonly configured = true;
  readonly #bulkIn = (): void => {
    const m = this.#bulk!;
    const next = this.#host.reply(m);
    this.#bulk = null;
    this.#options.onInComplete?.('bulk');
    if (next !== null) this.#options.onBulkOut(next);
  };
  readonly #interruptIn = (): void => this.#options.onInComplete?.('interrupt');
  #out: Uint8Array | null = null;
  readonly #bulkOut = (): void => {
    const m = this.#out!;
    this.#out = null;
    this.#options.onBulkOut(m);
  };

  constructor(options: UsbDeviceOptions, host: Host, scheduler: Scheduler) {
    this.#options = options;
    this.#host = host;
    this.#scheduler = scheduler;
    host.attach(this);
  }

  configure(): void {
    this.#options.onConfigured?.(1);
  }

  /** One whole OUT transfer (the ESP32-S3 driver hands up to 512 bytes at once; messages here are shorter). */
  out(m: Uint8Array): void {
    this.#out = m;
    this.#scheduler.at(this.#scheduler.now(), this.#bulkOut);
  }

  sendBulk(m: Uint8Array): boolean {
    if (this.#bulk !== null) return false;
    this.#bulk = m;
    this.#scheduler.at(this.#scheduler.now(), this.#bulkIn);
    return true;
  }

  sendInterrupt(): boolean {
    this.#scheduler.at(this.#scheduler.now(), this.#interruptIn);
    return true;
  }

  close(): void {}
}

// ——— The rig ————————————————————————————————————————————————————————————————————

/** firmware/main.ts: APDU buffers for 4 KB of data each way. */
const MAX_DATA = 4096;
const MAX_COMMAND_APDU = 4 + 3 + MAX_DATA + 2;
const MAX_RESPONSE_APDU = MAX_DATA + 2;

export interface RigSetup {
  card: string;
  /** APDUs (hex) run once live before recording (e.g. SELECT). */
  prepare: string[];
  apdu: string;
  /** For debugging the rig on the host: the firmware's trace. */
  trace?: Trace;
}

interface Rig {
  scheduler: PoolScheduler;
  socket: Socket;
  host: Host;
  ccid: CcidClass;
  pieces: Uint8Array[];
  /** The response recorded live: every replayed response must have its length and SW. */
  length: number;
  sw: number;
}

let rig: Rig | null = null;


function exchange(r: Pick<Rig, 'host' | 'scheduler'>, pieces: Uint8Array[]): void {
  r.host.start(pieces);
  r.scheduler.runUntilIdle();
  if (!r.host.done) throw new Error('no reply: the firmware stalled');
  if (r.host.error >= 0) throw new Error(`CCID command failed, bError ${r.host.error}`);
}

/**
 * Insert the card, power it on through CCID (ATR, PPS, protocol set-up with the simulated card),
 * run `prepare` and the APDU live, record two APDUs (T=1 sequence numbers come back to where they
 * were), and switch to the replay.
 */
export function setup(args: RigSetup): { atr: string; protocol: number | null; responseLength: number; sw: string; F: number; D: number; clockHz: number; lineBytes: number; cardBytes: number; transfers: number } {
  rig = null;
  const builtIn = findCard(args.card);
  if (!builtIn) throw new Error(`no built-in card ${args.card}`);
  const scheduler = new PoolScheduler();
  const socket = new Socket(scheduler);
  const card = builtIn.create(1);
  socket.card = card;
  socket.io = new WireCardIo(socket);
  card.attach(socket.io);
  const uart = class extends WireUart {
    static readonly capabilities = cardUartCapabilities;
    constructor(o: CardUartOptions) {
      super(socket, o);
    }
  };
  const contacts = class extends WireContacts {
    constructor(_o: CardContactsOptions) {
      super(socket);
    }
  };
  const slot = createCardSlot({ contacts, uart, scheduler, trace: args.trace, maxResponseLength: MAX_RESPONSE_APDU });
  const config: ReaderConfig = {
    manufacturer: 'ccid-reader',
    product: 'firmware-cost rig',
    slots: 1,
    classes: CONTACTS.classes,
    clocksHz: CONTACTS.clocksHz,
    clockStop: true,
    maxBaud: cardUartCapabilities.maxBaud,
    protocols: [0, 1],
    exchangeLevel: 'extended-apdu',
    maxApduLength: MAX_COMMAND_APDU,
  };
  const host = new Host();
  let device: WireUsbDevice | null = null;
  const usb = class extends WireUsbDevice {
    constructor(o: UsbDeviceOptions) {
      super(o, host, scheduler);
      device = this;
    }
  };
  const ccid = new CcidClass({ usb, slots: [slot], config, scheduler, trace: args.trace });
  (device as WireUsbDevice | null)!.configure();
  scheduler.runUntilIdle();
  const room = ccid.description.maxMessageLength - HEADER;
  const r = { scheduler, host };
  host.capture = true;
  exchange(r, [message(PC_TO_RDR_ICCPOWERON, new Uint8Array(0), 0)]);
  const atr = hex(host.captured.slice(0, host.length));
  for (const apdu of args.prepare) exchange(r, xfrPieces(bytes(apdu), room));
  const pieces = xfrPieces(bytes(args.apdu), room);
  exchange(r, pieces);
  socket.startRecording();
  exchange(r, pieces);
  const response = host.captured.slice(0, host.length);
  exchange(r, pieces);
  host.capture = false;
  socket.startReplay();
  rig = { scheduler, socket, host, ccid, pieces, length: response.length, sw: host.sw };
  // One replayed APDU of each parity before any measurement: first-use costs are not per-APDU costs.
  run({ count: 2, check: true });
  const a = slot.attributes;
  // Two APDUs were recorded.
  return {
    atr, protocol: a.protocol, responseLength: response.length, sw: host.sw.toString(16).toUpperCase(), F: a.F, D: a.D, clockHz: a.clockHz,
    lineBytes: socket.lineChars / 2, cardBytes: socket.cardChars / 2, transfers: socket.turns.length / 2,
  };
}

/**
 * Run the APDU `count` times on the replay. Each response must have the recorded length and SW, and
 * (with `check`) every byte the recorded one. `collect` runs the GC at the end (the meter's heap
 * count is then the live heap).
 */
export function run(args: { count: number; check?: boolean; collect?: boolean }): { apdus: number; extensions: number } {
  const r = rig;
  if (r === null) throw new Error('setup first');
  r.host.expect = args.check ? r.host.captured : null;
  r.socket.check = args.check === true;
  r.host.extensions = 0;
  for (let i = 0; i < args.count; i++) {
    exchange(r, r.pieces);
    if (r.host.length !== r.length || r.host.sw !== r.sw) throw new Error(`APDU ${i + 1}: ${r.host.length} bytes, SW ${r.host.sw.toString(16)}`);
  }
  if (r.host.mismatches > 0 || r.socket.mismatches > 0) {
    throw new Error(`replay diverged: ${r.socket.mismatches} bytes to the card, ${r.host.mismatches} response bytes differ`);
  }
  if (args.collect) (globalThis as { gc?: () => void }).gc?.();
  return { apdus: args.count, extensions: r.host.extensions };
}

/** A request that does nothing: its meter is the cost of the request itself. */
export function noop(args: { collect?: boolean }): null {
  if (args.collect) (globalThis as { gc?: () => void }).gc?.();
  return null;
}

/**
 * The doubles' own share of `cycles` replays of the recording (two APDUs each): the same transfers
 * handed to the wire by the least a consumer can do — each turn's recorded bytes to writeBlock or
 * writeTpdu, readBlock into a buffer on onReadable — with no firmware. Run it after `setup`; the
 * meter of the request, less an empty one's, is the rig's cost of those APDUs (an upper bound: the
 * least consumer's calls are counted with it).
 */
export function calibrate(args: { cycles: number }): null {
  const r = rig;
  if (r === null) throw new Error('setup first');
  const socket = r.socket;
  const owner = socket.uart;
  const into = new Uint8Array(MAX_RESPONSE_APDU);
  let pending = false;
  const options: CardUartOptions = {
    clockHz: 5_000_000, F: 372, D: 1, convention: 'direct', N: 0, protocol: 1, repetitions: 0,
    onReadable: () => {
      if (uart.readBlock(into, 0) > 0) pending = false;
    },
  };
  const uart = new WireUart(socket, options);
  const check = socket.check;
  socket.check = false;
  for (let c = 0; c < args.cycles; c++) {
    for (let i = 0; i < socket.turns.length; i++) {
      const turn = socket.turns[i];
      pending = true;
      if (turn.kind === 'block') uart.writeBlock(turn.reader, turn.reader.length, turn.flag === 1, 1000, 1000);
      else uart.writeTpdu(turn.reader, turn.reader.length, turn.flag, 1000);
      r.scheduler.runUntilIdle();
      if (pending) throw new Error('calibration: a transfer did not end');
    }
  }
  socket.check = check;
  socket.uart = owner;
  return null;
}
