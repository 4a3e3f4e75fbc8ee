/**
 * The simulator's wire mode: the card line at the level of whole characters, for measuring what runs
 * above the card UART without paying for the line's bit edges (hal/sim/line.ts). A written byte
 * reaches the card at once; the card's bytes queue behind the reader's last character and become
 * readable once their 12 etu have passed. The card side drives the same simulated cards
 * (hal/sim/cards) through a CardIo, and the block level uses the simulated board's own transfer logic
 * (block-transfer.ts). The socket can record block-level transfers and replay them, checking (when
 * asked) what the reader hands over, so that a measurement counts no card at all. Nothing is
 * allocated per byte. No Node API: this runs inside XS (host-tests/bench/firmware-rig.ts drives it).
 */
import type { CardContacts, CardContactsCapabilities, VoltageClass } from '../interfaces/card-contacts.js';
import type { BlockEnd, CardUart, CardUartOptions, Convention } from '../interfaces/card-uart.js';
import type { Scheduler } from '../interfaces/scheduler.js';
import { BlockTransfer, TRANSFER_MAX } from './block-transfer.js';
import type { CardIo, SimCard } from './card.js';
const RING = 8192;

/** One block-level transfer as recorded: what the firmware handed the UART, and what it got back. */
export interface Turn {
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
export class WireSocket {
  readonly scheduler: Scheduler;
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

  constructor(scheduler: Scheduler) {
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
export class WireUart implements CardUart {
  readonly #socket: WireSocket;
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

  constructor(socket: WireSocket, options: CardUartOptions) {
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
export class WireCardIo implements CardIo {
  readonly scheduler: Scheduler;
  readonly #socket: WireSocket;
  readonly #timers = new Set<number>();
  F = 372;
  D = 1;
  convention: Convention = 'direct';

  constructor(socket: WireSocket) {
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


export class WireContacts implements CardContacts {
  readonly #socket: WireSocket;
  readonly capabilities: CardContactsCapabilities;
  constructor(socket: WireSocket, capabilities: CardContactsCapabilities) {
    this.#socket = socket;
    this.capabilities = capabilities;
  }
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
