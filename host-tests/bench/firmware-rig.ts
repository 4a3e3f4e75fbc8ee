/**
 * The firmware-cost rig: the firmware alone (CCID class → slot engine → ISO 7816-3 session → T=0 /
 * T=1) between two allocation-free doubles, so that XS's meter counts the firmware and hardly
 * anything else:
 * - below, a "wire" CardUart: each byte the firmware writes goes straight to a card peer, and the
 *   card's bytes come back through `onReadable` from the scheduler, with no bit-level line. The peer
 *   is first a real simulated card (hal/sim/cards, through a minimal CardIo) while a session is set
 *   up and two APDUs are recorded; then the recording is replayed, checking every byte the firmware
 *   writes against it (the simulated cards allocate per block; a replay costs nothing);
 * - above, a USB device double that feeds prebuilt CCID messages to the class's bulk OUT and reads
 *   its bulk IN replies in place, playing the host's side of CCID chaining;
 * - a pooled scheduler (no object per event), where the device has Esp32Scheduler.
 * The card's bytes can reach the firmware one per `onReadable` (the device's UART when the XS task
 * keeps up with the line: a delivery per character) or a whole turn per `onReadable` (when it lags:
 * the native side coalesces deliveries, card-uart.c postFromISR).
 * No Node API: this runs inside XS (firmware-cost.ts drives it).
 */
import type {
  CardContacts, CardContactsCapabilities, CardContactsOptions, VoltageClass,
} from '../../hal/interfaces/card-contacts.js';
import type { CardUart, CardUartOptions, Convention } from '../../hal/interfaces/card-uart.js';
import type { Scheduler, TimerHandle } from '../../hal/interfaces/scheduler.js';
import type { Trace } from '../../hal/interfaces/trace.js';
import type { UsbDevice, UsbDeviceOptions } from '../../hal/interfaces/usb-device.js';
import type { CardIo, SimCard } from '../../hal/sim/card.js';
import { findCard } from '../../hal/sim/cards/registry.js';
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

/**
 * The socket: one card, the open UART, contacts state. Bytes the firmware writes go to the simulated
 * card, or to the replay of a recording; it records and replays the exchange.
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
  /** 'live': the card answers; 'record': it answers and the exchange is kept; 'replay'. */
  mode: 'live' | 'record' | 'replay' = 'live';
  // Recording: reader bytes, card bytes, and per turn the reader byte count it followed.
  readonly #readerLog: number[] = [];
  readonly #cardLog: number[] = [];
  readonly #turnAfter: number[] = [];
  readonly #turnStart: number[] = [];
  // Replay.
  #reader = new Uint8Array(0);
  #cardBytes = new Uint8Array(0);
  #after = new Int32Array(0);
  #start = new Int32Array(0);
  #readerPos = 0;
  #turn = 0;
  mismatches = 0;

  /** Bytes on the card line (both ways) per recorded cycle, and those the card sent. */
  get recordedBytes(): number {
    return this.#reader.length + this.#cardBytes.length;
  }
  get recordedCardBytes(): number {
    return this.#cardBytes.length;
  }

  constructor(scheduler: PoolScheduler) {
    this.scheduler = scheduler;
  }

  readerByte(byte: number): void {
    if (this.mode === 'replay') return this.#replayByte(byte);
    if (this.mode === 'record') this.#readerLog.push(byte);
    this.card?.receive(byte, true);
  }

  cardByte(byte: number): void {
    if (this.mode === 'record') {
      if (this.#turnAfter.length === 0 || this.#turnAfter[this.#turnAfter.length - 1] !== this.#readerLog.length) {
        this.#turnAfter.push(this.#readerLog.length);
        this.#turnStart.push(this.#cardLog.length);
      }
      this.#cardLog.push(byte);
    }
    this.uart?.deliver(byte);
  }

  startRecording(): void {
    this.#readerLog.length = this.#cardLog.length = this.#turnAfter.length = this.#turnStart.length = 0;
    this.mode = 'record';
  }

  /** From now on the recording plays, cyclically (it must span whole APDUs, and return the link to its state). */
  startReplay(): void {
    if (this.#turnAfter[0] === 0) throw new Error('recording starts with card bytes');
    this.#reader = Uint8Array.from(this.#readerLog);
    this.#cardBytes = Uint8Array.from(this.#cardLog);
    this.#after = Int32Array.from(this.#turnAfter);
    this.#start = Int32Array.from([...this.#turnStart, this.#cardLog.length]);
    this.#readerPos = this.#turn = 0;
    this.mismatches = 0;
    this.mode = 'replay';
  }

  #replayByte(byte: number): void {
    if (byte !== this.#reader[this.#readerPos]) this.mismatches++;
    this.#readerPos++;
    if (this.#turn < this.#after.length && this.#after[this.#turn] === this.#readerPos) {
      const end = this.#start[this.#turn + 1];
      for (let i = this.#start[this.#turn]; i < end; i++) this.uart?.deliver(this.#cardBytes[i]);
      this.#turn++;
    }
    if (this.#readerPos === this.#reader.length) this.#readerPos = this.#turn = 0;
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
 * last character, each readable once its 12 etu have passed (the T=1 link tells an echo from the
 * card's answer by time). They are delivered `step` at a time (1: one `onReadable` per byte; 0: all
 * that have arrived).
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
  readonly #step: number;
  readonly #charNs: number;
  /** End of the reader's last character, and of the card's last one. */
  #txEnd = 0;
  #rxEnd = 0;
  readonly #pump = (): void => {
    this.#posted = false;
    if (this.#closed) return;
    const now = this.#socket.scheduler.now();
    const before = this.#visible;
    while (this.#visible < this.#tail && this.#arrival[this.#visible & (RING - 1)] <= now) {
      this.#visible++;
      if (this.#step !== 0 && this.#visible - before === this.#step) break;
    }
    if (this.#visible < this.#tail) this.#post();
    if (this.#visible > this.#head) this.#options.onReadable?.(this.#visible - this.#head);
  };

  constructor(socket: Socket, options: CardUartOptions, step: number) {
    this.#socket = socket;
    this.#options = options;
    this.#step = step;
    this.#charNs = (12 * options.F * 1e9) / (options.D * options.clockHz);
    this.convention = options.convention;
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
    this.#options.onError?.('timeout');
  };

  flush(): void {
    this.#head = this.#visible = this.#tail;
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

  /** Wake up when the next byte (step 1) or the last byte known (step 0) has arrived. */
  #post(): void {
    this.#posted = true;
    const next = this.#step === 0 ? this.#tail - 1 : this.#visible;
    this.#socket.scheduler.at(this.#arrival[next & (RING - 1)], this.#pump);
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
  clocksHz: Object.freeze([4_000_000, 5_000_000]),
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
  /** 1: one onReadable per card byte; 0: a whole card turn per onReadable. */
  step: number;
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
export function setup(args: RigSetup): { atr: string; protocol: number | null; responseLength: number; sw: string; F: number; D: number; clockHz: number; lineBytes: number; cardBytes: number } {
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
      super(socket, o, args.step);
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
  return { atr, protocol: a.protocol, responseLength: response.length, sw: host.sw.toString(16).toUpperCase(), F: a.F, D: a.D, clockHz: a.clockHz, lineBytes: socket.recordedBytes / 2, cardBytes: socket.recordedCardBytes / 2 };
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
 * The doubles' own share: `n` bytes written to a replaying wire and `n` card bytes read back by the
 * least a consumer can do (`read()` until undefined), `step` as in `setup`. Run twice, the first as
 * warm-up; the meter of the request is the rig's cost for 2n line bytes.
 */
export function calibrate(args: { n: number; step: number }): null {
  const scheduler = new PoolScheduler();
  const socket = new Socket(scheduler);
  socket.startRecording();
  for (let i = 0; i < args.n; i++) socket.readerByte(i & 0xff);
  for (let i = 0; i < args.n; i++) socket.cardByte(i & 0xff);
  socket.startReplay();
  const options: CardUartOptions = {
    clockHz: 4_000_000, F: 372, D: 1, convention: 'direct', N: 0, protocol: 0, repetitions: 0,
    onReadable: () => {
      while (uart.read() !== undefined);
    },
  };
  const uart = new WireUart(socket, options, args.step);
  for (let round = 0; round < 2; round++) {
    for (let i = 0; i < args.n; i++) uart.write(i & 0xff);
    scheduler.runUntilIdle();
  }
  if (socket.mismatches > 0) throw new Error('calibration replay diverged');
  return null;
}
