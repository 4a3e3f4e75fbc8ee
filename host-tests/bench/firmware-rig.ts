/**
 * The firmware-cost rig: the firmware alone (CCID class → slot engine → ISO 7816-3 session → T=0 /
 * T=1) between doubles that allocate nothing per APDU, so that XS's meter counts the firmware and
 * hardly anything else:
 * - below, the simulator's wire mode (hal/sim/wire.ts): each character the firmware's UART would send
 *   goes straight to a card peer, with no bit-level line. The peer is first a real simulated card
 *   while a session is set up and two APDUs are recorded, one block-level transfer (a T=1 block, a
 *   T=0 TPDU) at a time; then the recording is replayed, one delivery per transfer as the device's
 *   native driver makes it, checking (when asked) what the firmware hands over against it;
 * - above, a USB device double that feeds prebuilt CCID messages, encoded with the host's own codec
 *   (host-tests/host-driver), to the class's bulk OUT and reads its bulk IN replies in place, playing
 *   the host's side of CCID chaining;
 * - the simulator's virtual scheduler (hal/sim/scheduler.ts, nothing allocated per event), where the
 *   device has Esp32Scheduler.
 * No Node API: this runs inside XS (firmware-cost.ts drives it).
 */
import type { CardContactsCapabilities, CardContactsOptions, VoltageClass } from '../../hal/interfaces/card-contacts.js';
import type { CardUartOptions } from '../../hal/interfaces/card-uart.js';
import type { Scheduler } from '../../hal/interfaces/scheduler.js';
import type { Trace } from '../../hal/interfaces/trace.js';
import type { UsbDevice, UsbDeviceOptions } from '../../hal/interfaces/usb-device.js';
import { findCard } from '../../hal/sim/cards/registry.js';
import { hex as bytes, toHex as hex } from '../../hal/sim/hex.js';
import { VirtualScheduler } from '../../hal/sim/scheduler.js';
import { WireCardIo, WireContacts, WireSocket, WireUart } from '../../hal/sim/wire.js';
import { CcidClass } from '../../firmware/ccid/ccid-class.js';
import type { ReaderConfig } from '../../firmware/ccid/descriptors.js';
import { createCardSlot } from '../../firmware/iso7816/session/session.js';
import { cardUartCapabilities } from '../../hal/moddable/card-line.js';
import { Chain, CommandStatusCode, dword, encodeCommand, HEADER_LENGTH, PC_to_RDR, RDR_to_PC, Reply } from '../host-driver/ccid-messages.js';

const CONTACTS: CardContactsCapabilities = Object.freeze({
  classes: Object.freeze(['C', 'B', 'A'] as VoltageClass[]),
  // The ESP32-S3 boards' card clocks (boards/esp32s3-devkitc).
  clocksHz: Object.freeze([4_000_000, 5_000_000, 10_000_000, 20_000_000]),
  clockStop: true,
});

// ——— USB side: the device double and the host's CCID ————————————————————————————————

/**
 * The host's side of one CCID command sequence: prebuilt OUT messages (the pieces of a chained
 * command), the "more" request for response chaining; replies are read in place, nothing allocated.
 */
class Host {
  pieces: Uint8Array[] = [];
  readonly more = xfrBlock(new Uint8Array(0), Chain.more);
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
    const status = m[Reply.bStatus] >> 6;
    if (status === CommandStatusCode.timeExtension) {
      this.extensions++; // a time extension (CCID §6.2.6): the reply follows
      return null;
    }
    if (status === CommandStatusCode.failed || m[Reply.bMessageType] !== RDR_to_PC.DataBlock) {
      this.error = m[Reply.bError];
      this.done = true;
      return null;
    }
    const chain = m[Reply.bChainParameter];
    if (chain === Chain.more) return this.#next(this.pieces[++this.#piece]);
    const n = dword(m, Reply.dwLength);
    const expect = this.expect;
    if (expect !== null) for (let i = 0; i < n; i++) if (m[HEADER_LENGTH + i] !== expect[this.length + i]) this.mismatches++;
    if (this.capture) for (let i = 0; i < n; i++) this.captured[this.length + i] = m[HEADER_LENGTH + i];
    this.length += n;
    if (n >= 2) this.sw = (m[HEADER_LENGTH + n - 2] << 8) | m[HEADER_LENGTH + n - 1];
    else if (n === 1) this.sw = ((this.sw & 0xff) << 8) | m[HEADER_LENGTH];
    if (chain === Chain.begins || chain === Chain.continues) return this.#next(this.more);
    this.done = true;
    return null;
  }

  #next(m: Uint8Array): Uint8Array {
    m[Reply.bSeq] = this.#seq;
    this.#seq = (this.#seq + 1) & 0xff;
    return m;
  }

  #send(m: Uint8Array): void {
    this.#device!.out(this.#next(m));
  }
}

/** One PC_to_RDR_XfrBlock with wLevelParameter `level` (the host's codec; bSeq set at each send). */
function xfrBlock(data: Uint8Array, level: number): Uint8Array {
  return encodeCommand(PC_to_RDR.XfrBlock, 0, 0, [0, level & 0xff, level >> 8], data);
}

/** XfrBlock messages for an APDU: one, or a command chain of pieces of at most `room` bytes. */
function xfrPieces(apdu: Uint8Array, room: number): Uint8Array[] {
  if (apdu.length <= room) return [xfrBlock(apdu, Chain.whole)];
  const pieces: Uint8Array[] = [];
  for (let offset = 0; offset < apdu.length; offset += room) {
    const end = Math.min(offset + room, apdu.length);
    const level = offset === 0 ? Chain.begins : end === apdu.length ? Chain.ends : Chain.continues;
    pieces.push(xfrBlock(apdu.subarray(offset, end), level));
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
  /**
   * The double's own scheduler events (one per OUT transfer the host starts, per bulk IN and
   * interrupt message): the device's USB driver posts into the XS task instead, so firmware-cost.ts
   * takes them out of the firmware's figure. And the messages each way, for the device's estimate.
   */
  events = 0;
  outMessages = 0;
  inMessages = 0;
  readonly #bulkIn = (): void => {
    const m = this.#bulk!;
    const next = this.#host.reply(m);
    this.#bulk = null;
    this.#options.onInComplete?.('bulk');
    if (next !== null) {
      this.outMessages++;
      this.#options.onBulkOut(next);
    }
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
    this.events++;
    this.outMessages++;
    this.#scheduler.at(this.#scheduler.now(), this.#bulkOut);
  }

  sendBulk(m: Uint8Array): boolean {
    if (this.#bulk !== null) return false;
    this.#bulk = m;
    this.events++;
    this.inMessages++;
    this.#scheduler.at(this.#scheduler.now(), this.#bulkIn);
    return true;
  }

  sendInterrupt(): boolean {
    this.events++;
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
  scheduler: VirtualScheduler;
  socket: WireSocket;
  host: Host;
  ccid: CcidClass;
  usb: WireUsbDevice;
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
  const scheduler = new VirtualScheduler();
  const socket = new WireSocket(scheduler);
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
      super(socket, CONTACTS);
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
  const room = ccid.description.maxMessageLength - HEADER_LENGTH;
  const r = { scheduler, host };
  host.capture = true;
  exchange(r, [encodeCommand(PC_to_RDR.IccPowerOn, 0, 0, [0, 0, 0])]);
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
  rig = { scheduler, socket, host, ccid, usb: (device as WireUsbDevice | null)!, pieces, length: response.length, sw: host.sw };
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
export function run(args: { count: number; check?: boolean; collect?: boolean }): { apdus: number; extensions: number; usbEvents: number; usbOut: number; usbIn: number } {
  const r = rig;
  if (r === null) throw new Error('setup first');
  r.host.expect = args.check ? r.host.captured : null;
  r.socket.check = args.check === true;
  r.host.extensions = 0;
  r.usb.events = 0;
  r.usb.outMessages = 0;
  r.usb.inMessages = 0;
  for (let i = 0; i < args.count; i++) {
    exchange(r, r.pieces);
    if (r.host.length !== r.length || r.host.sw !== r.sw) throw new Error(`APDU ${i + 1}: ${r.host.length} bytes, SW ${r.host.sw.toString(16)}`);
  }
  if (r.host.mismatches > 0 || r.socket.mismatches > 0) {
    throw new Error(`replay diverged: ${r.socket.mismatches} bytes to the card, ${r.host.mismatches} response bytes differ`);
  }
  if (args.collect) (globalThis as { gc?: () => void }).gc?.();
  return { apdus: args.count, extensions: r.host.extensions, usbEvents: r.usb.events, usbOut: r.usb.outMessages, usbIn: r.usb.inMessages };
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

/**
 * The scheduler's own share: `n` events scheduled and run one at a time on a fresh virtual scheduler.
 * Every event the firmware schedules costs this much on top of the firmware itself; the device's
 * scheduler has its own cost instead.
 */
export function schedulerCost(args: { n: number }): null {
  const scheduler = new VirtualScheduler();
  const tick = (): void => {};
  for (let i = 0; i < args.n; i++) {
    scheduler.at(scheduler.now() + 1, tick);
    scheduler.runUntilIdle();
  }
  return null;
}
