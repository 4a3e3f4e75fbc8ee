/**
 * `ccid-reader sim --slots N`: the session of sim-session.ts on every slot of a multi-slot reader at
 * once, the way a host drives a SIM bank. One CCID host driver per slot, all sharing the reader's
 * bulk IN and interrupt pipes (CcidBus, routed by bSlot); each slot inserts its card, powers it on,
 * reads its parameters and sends the APDUs in order, while the other slots do the same; then every
 * card is removed. Virtual time, no Node API.
 */
import type { SimCard } from '../../hal/sim/card.js';
import type { SimUsbHost } from '../../hal/sim/usb-device.js';
import type { Trace } from '../../hal/interfaces/trace.js';
import { diValue, fiValue } from '../../firmware/iso7816/tables.js';
import { Dd, Fd } from '../../firmware/iso7816/timing.js';
import { CcidBus, CcidHost } from '../host-driver/ccid-host.js';
import { createReader, type HostReader, type HostReaderOptions, type ReaderBoardName } from '../reader/boards.js';
import type { SimExchange, SimReport } from './sim-report.js';
import type { LabelledApdu } from './sim-session.js';
import { formatUs, spacedHex, swMeaning } from './sim-text.js';

/** Time the host gives all slots together for one step (power on, the exchanges). */
const STEP_LIMIT_NS = 600e9;
/** Inserted 1 ms into the session, as sim-session.ts does. */
const INSERT_AT_NS = 1e6;
/** Longest wait for NotifySlotChange after insertion or removal. */
const PRESENCE_LIMIT_NS = 1e9;

export interface SlotsSessionOptions {
  /** One card per slot, index = bSlot. */
  cards: readonly SimCard[];
  seed: number;
  /** The APDUs of each slot, index = bSlot, sent in order. */
  apdus: readonly (readonly LabelledApdu[])[];
  /** The board (default `sim`; an ESP32-S3 board must be prepared first: prepareReaderBoard). */
  board?: ReaderBoardName;
  /** A virtual ESP32-S3's console (its firmware's trace). */
  console?: HostReaderOptions['console'];
  trace?: Trace;
  onReader?(reader: HostReader): void;
  wrapUsb?(host: SimUsbHost, reader: HostReader): SimUsbHost;
}

/** Something a slot did, for the readable output (in the order it completed). */
export type SlotEvent =
  | { kind: 'power-on'; slot: number; startNs: number; endNs: number; atr: Uint8Array | null; error: string | null }
  | { kind: 'exchange'; slot: number; exchange: SimExchange; label: string | null };

export interface SlotsSessionResult {
  /** One report per slot, index = bSlot. */
  reports: SimReport[];
  events: SlotEvent[];
  reader: HostReader;
  endNs: number;
}

export function runSlotsSession(options: SlotsSessionOptions): SlotsSessionResult {
  const count = options.cards.length;
  const reader = createReader(options.board ?? 'sim', { seed: options.seed, slots: count, trace: options.trace, console: options.console });
  options.onReader?.(reader);
  const scheduler = reader.board.scheduler;
  const usb = options.wrapUsb ? options.wrapUsb(reader.usb.host, reader) : reader.usb.host;
  const bus = new CcidBus(usb);
  const openError = bus.open();
  if (openError !== null) throw new Error(`the simulated reader did not enumerate: ${openError}`);
  const present: (boolean | null)[] = new Array(count).fill(null);
  /** Time extensions of each slot's exchange in progress. */
  const extensions: number[] = new Array(count).fill(0);
  const hosts = options.cards.map((_, slot) => new CcidHost({
    usb, slot, bus, onEvent: (e) => {
      if (e.kind === 'slot-change') present[slot] = e.present;
      if (e.kind === 'time-extension') extensions[slot]++;
    },
  }));
  for (const host of hosts) host.open();
  const events: SlotEvent[] = [];
  /** Run virtual time until `done()` or the limit; false when the limit came first. */
  const runUntil = (done: () => boolean, limitNs: number): boolean => {
    const deadline = scheduler.now() + limitNs;
    while (!done()) {
      const next = scheduler.nextTime;
      if (next === undefined || next > deadline) return false;
      scheduler.runUntil(next);
    }
    return true;
  };

  scheduler.runUntil(INSERT_AT_NS);
  options.cards.forEach((card, slot) => reader.board.sockets[slot].sim.insert(card));
  runUntil(() => present.every((p) => p === true), PRESENCE_LIMIT_NS);

  // Every slot powers on at once: activation, ATR, PPS and protocol set-up in parallel.
  const atrs: (Uint8Array | null)[] = new Array(count).fill(null);
  const powerErrors: (string | null)[] = new Array(count).fill('HOST_TIMEOUT');
  let powered = 0;
  const powerStart = scheduler.now();
  hosts.forEach((host, slot) => host.powerOn((reply) => {
    atrs[slot] = reply.atr;
    powerErrors[slot] = reply.error;
    powered++;
    events.push({ kind: 'power-on', slot, startNs: powerStart, endNs: scheduler.now(), atr: reply.atr, error: reply.error });
  }));
  runUntil(() => powered === count, STEP_LIMIT_NS);

  const parameters: { protocol: 0 | 1 | null; fi: number; di: number; clockHz: number }[] = options.cards.map(() => ({
    protocol: null, fi: Fd, di: Dd, clockHz: (bus.descriptor?.dwDefaultClock ?? 0) * 1000,
  }));
  let asked = 0;
  hosts.forEach((host, slot) => {
    if (atrs[slot] === null) {
      asked++;
      return;
    }
    host.getParameters((reply) => {
      asked++;
      // The clock in force once the protocol is set up (as sim-session.ts reports it).
      parameters[slot].clockHz = reader.slots[slot].attributes.clockHz;
      if (reply.error !== null || reply.bmFindexDindex === null || (reply.protocol !== 0 && reply.protocol !== 1)) return;
      const { clockHz } = parameters[slot];
      parameters[slot] = { protocol: reply.protocol, fi: fiValue(reply.bmFindexDindex >> 4) ?? Fd, di: diValue(reply.bmFindexDindex & 0x0f) ?? Dd, clockHz };
    });
  });
  runUntil(() => asked === count, STEP_LIMIT_NS);

  // Each slot sends the APDUs in order; the slots go at the same time.
  const exchanges: SimExchange[][] = options.cards.map(() => []);
  let finished = 0;
  const send = (slot: number, index: number): void => {
    const apdus = options.apdus[slot] ?? [];
    if (index >= apdus.length || atrs[slot] === null) {
      finished++;
      return;
    }
    const startNs = scheduler.now();
    extensions[slot] = 0;
    hosts[slot].transmit(apdus[index].apdu, (reply) => {
      const exchange: SimExchange = {
        command: apdus[index].apdu, response: reply.response, error: reply.error, startNs, endNs: scheduler.now(), timeExtensions: extensions[slot],
      };
      exchanges[slot].push(exchange);
      events.push({ kind: 'exchange', slot, exchange, label: apdus[index].label });
      send(slot, index + 1);
    });
  };
  hosts.forEach((_, slot) => send(slot, 0));
  runUntil(() => finished === count, STEP_LIMIT_NS);

  options.cards.forEach((_, slot) => reader.board.sockets[slot].sim.remove());
  runUntil(() => present.every((p) => p === false), PRESENCE_LIMIT_NS);
  const endNs = scheduler.now();
  reader.close();

  const reports = options.cards.map((card, slot): SimReport => {
    const scripted = 'status' in card && typeof (card as { status?: unknown }).status === 'function'
      ? (card as SimCard & { status(): SimReport['script'] }).status()
      : null;
    return {
      card: card.name, description: card.description, atr: atrs[slot], powerOnError: powerErrors[slot],
      ...parameters[slot], exchanges: exchanges[slot], script: scripted,
    };
  });
  return { reports, events, reader, endNs };
}

/** The readable form: each slot's power-on and exchanges, in the order they completed. */
export function slotEventLines(e: SlotEvent): string[] {
  const tag = `slot ${e.slot}`;
  if (e.kind === 'power-on') {
    const what = e.atr !== null ? `ATR ${spacedHex(e.atr)}` : `failed: ${e.error}`;
    return [`${formatUs(e.endNs).padStart(17)}  ${tag}  IccPowerOn (${((e.endNs - e.startNs) / 1e6).toFixed(3)} ms): ${what}`];
  }
  const x = e.exchange;
  const head = `${formatUs(x.endNs).padStart(17)}  ${tag}  ${e.label ?? 'APDU'} ${spacedHex(x.command)}`;
  if (x.response === null) return [head, `${' '.repeat(19)}${tag}  → failed: ${x.error}`];
  const sw = x.response.length >= 2 ? swMeaning(x.response[x.response.length - 2], x.response[x.response.length - 1]) : '';
  return [head, `${' '.repeat(19)}${tag}  → ${spacedHex(x.response)}  (${sw}; ${((x.endNs - x.startNs) / 1e6).toFixed(3)} ms)`];
}
