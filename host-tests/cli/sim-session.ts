/**
 * One `ccid-reader sim` session on the simulated reader (host-tests/reader/reader.ts: board, ISO 7816-3 slot,
 * CCID class, simulated USB device), driven the way a PC drives a reader: the host driver enumerates
 * the device, the card is inserted, IccPowerOn (activation, ATR, PPS, protocol set-up),
 * GetParameters, one XfrBlock exchange per APDU, then the card is removed. Everything happens in
 * virtual time; the line record gives the contact-level detail. No Node API here: the CLI adds files.
 */
import type { SimCard } from '../../hal/sim/card.js';
import type { LineChange, LineCharacter, SimLine } from '../../hal/sim/line.js';
import { createReader, type HostReader, type HostReaderOptions, type ReaderBoardName } from '../reader/boards.js';
import type { SimUsbHost } from '../../hal/sim/usb-device.js';
import type { Trace } from '../../hal/interfaces/trace.js';
import { diValue, fiValue } from '../../firmware/iso7816/tables.js';
import { Dd, Fd } from '../../firmware/iso7816/timing.js';
import { CcidHost, type CcidHostEvent, type ParametersReply, type PowerOnReply, type SlotStatusReply, type TransmitReply } from '../host-driver/ccid-host.js';
import { drive, DriveTimeout } from '../host-driver/drive.js';
import type { SimExchange, SimReport } from './sim-report.js';

/** Time the host gives one command before it gives up (a reader must answer or extend within 30 s per BWT; cards may extend many times). */
const COMMAND_LIMIT_NS = 600e9;
/** Inserted 1 ms into the session, so the trace shows the host waiting for a card. */
const INSERT_AT_NS = 1e6;
/** Longest wait for NotifySlotChange after an insertion or removal (debounce is 10 ms on the sim board). */
const PRESENCE_LIMIT_NS = 1e9;

export interface LabelledApdu {
  apdu: Uint8Array;
  /** What the command does, for the readable trace (null: derived from INS). */
  label: string | null;
}

export interface SimSessionOptions {
  card: SimCard;
  seed: number;
  /** The board (default `sim`; an ESP32-S3 board must be prepared first: prepareReaderBoard). */
  board?: ReaderBoardName;
  /** A virtual ESP32-S3's console (its firmware's trace). */
  console?: HostReaderOptions['console'];
  apdus: readonly LabelledApdu[];
  trace?: Trace;
  /** Called once the reader exists, before anything runs: lets the CLI point its trace clock at the scheduler. */
  onReader?(reader: HostReader): void;
  /** Each event as soon as it is complete (the readable trace prints as the session goes). */
  onEvent?(event: SimEvent): void;
  /** Wraps the bus side (e.g. to record a USB capture); the host driver talks through the result. */
  wrapUsb?(host: SimUsbHost, reader: HostReader): SimUsbHost;
}

export type SimEvent =
  | { kind: 'usb-open'; timeNs: number; error: string | null; level: string | null; maxMessage: number | null }
  | { kind: 'inserted'; timeNs: number }
  | { kind: 'slot-change'; timeNs: number; present: boolean }
  | { kind: 'power-on'; startNs: number; endNs: number; error: string | null; atr: Uint8Array | null; contacts: LineChange[]; characters: LineCharacter[] }
  | { kind: 'parameters'; timeNs: number; protocol: 0 | 1 | null; fi: number; di: number; clockHz: number; voltage: string | null; state: string }
  | { kind: 'power-on-start'; timeNs: number }
  /** Emitted before the command runs, so its heading comes before the firmware's trace of it. */
  | { kind: 'exchange-start'; timeNs: number; command: Uint8Array; label: string | null }
  | { kind: 'exchange'; exchange: SimExchange; label: string | null; characters: LineCharacter[]; host: CcidHostEvent[] }
  | { kind: 'removed'; timeNs: number }
  | { kind: 'slot-status'; timeNs: number; error: string | null; iccStatus: string | null };

export interface SimSessionResult {
  report: SimReport;
  events: SimEvent[];
  line: SimLine;
  endNs: number;
}

export function runSimSession(options: SimSessionOptions): SimSessionResult {
  const reader = createReader(options.board ?? 'sim', { seed: options.seed, trace: options.trace, console: options.console });
  options.onReader?.(reader);
  const scheduler = reader.board.scheduler;
  const line = reader.board.sim.line;
  const events: SimEvent[] = [];
  const emit = (event: SimEvent) => {
    events.push(event);
    options.onEvent?.(event);
  };
  /** Host driver events (time extensions, chaining) of the command in progress. */
  let hostEvents: CcidHostEvent[] = [];
  const usb = options.wrapUsb ? options.wrapUsb(reader.usb.host, reader) : reader.usb.host;
  let present: boolean | null = null;
  const host = new CcidHost({
    usb,
    onEvent: (e) => {
      if (e.kind === 'slot-change') {
        present = e.present;
        emit({ kind: 'slot-change', timeNs: scheduler.now(), present: e.present });
      } else hostEvents.push(e);
    },
  });

  const openError = host.open();
  emit({
    kind: 'usb-open', timeNs: scheduler.now(), error: openError, level: host.level,
    maxMessage: host.descriptor?.dwMaxCCIDMessageLength ?? null,
  });
  if (openError !== null) throw new Error(`the simulated reader did not enumerate: ${openError}`);

  scheduler.runUntil(INSERT_AT_NS);
  reader.board.sim.insert(options.card);
  emit({ kind: 'inserted', timeNs: scheduler.now() });
  waitPresence(true);

  // IccPowerOn: activation, ATR, PPS and protocol set-up all happen inside this one command.
  const contactsFrom = line.record.length;
  const charsFrom = line.events.length;
  const powerStart = scheduler.now();
  emit({ kind: 'power-on-start', timeNs: powerStart });
  const power = attempt(() => drive<PowerOnReply>(scheduler, (done) => host.powerOn(done), COMMAND_LIMIT_NS),
    (error) => ({ error, atr: null, iccStatus: null }));
  emit({
    kind: 'power-on', startNs: powerStart, endNs: scheduler.now(), error: power.error, atr: power.atr,
    contacts: line.record.slice(contactsFrom), characters: line.events.slice(charsFrom),
  });

  let protocol: 0 | 1 | null = null;
  let fi = Fd;
  let di = Dd;
  let clockHz = (host.descriptor?.dwDefaultClock ?? 0) * 1000;
  if (power.atr !== null) {
    const params = attempt(() => drive<ParametersReply>(scheduler, (done) => host.getParameters(done), COMMAND_LIMIT_NS),
      (error) => ({ error, protocol: null, bmFindexDindex: null }));
    if (params.error === null && (params.protocol === 0 || params.protocol === 1) && params.bmFindexDindex !== null) {
      protocol = params.protocol;
      fi = fiValue(params.bmFindexDindex >> 4) ?? Fd;
      di = diValue(params.bmFindexDindex & 0x0f) ?? Dd;
    }
    clockHz = reader.slot.attributes.clockHz;
    const a = reader.slot.attributes;
    emit({ kind: 'parameters', timeNs: scheduler.now(), protocol, fi, di, clockHz, voltage: a.voltage, state: a.state });
  }

  const exchanges: SimExchange[] = [];
  for (const { apdu, label } of options.apdus) {
    const from = line.events.length;
    hostEvents = [];
    const startNs = scheduler.now();
    emit({ kind: 'exchange-start', timeNs: startNs, command: apdu, label });
    const r = attempt(() => drive<TransmitReply>(scheduler, (done) => host.transmit(apdu, done), COMMAND_LIMIT_NS),
      (error) => ({ error, response: null }));
    const exchange: SimExchange = {
      command: apdu, response: r.response, error: r.error, startNs, endNs: scheduler.now(),
      timeExtensions: hostEvents.filter((e) => e.kind === 'time-extension').length,
    };
    exchanges.push(exchange);
    emit({ kind: 'exchange', exchange, label, characters: line.events.slice(from), host: hostEvents });
  }

  reader.board.sim.remove();
  emit({ kind: 'removed', timeNs: scheduler.now() });
  waitPresence(false);
  // The reader's own view of the slot, as a PC/SC driver polls it: the card must now be absent.
  const status = attempt(() => drive<SlotStatusReply>(scheduler, (done) => host.getSlotStatus(done), COMMAND_LIMIT_NS),
    (error) => ({ error, iccStatus: null }));
  emit({ kind: 'slot-status', timeNs: scheduler.now(), error: status.error, iccStatus: status.iccStatus });
  const endNs = scheduler.now();
  reader.close();

  const card = options.card;
  const scripted = 'status' in card && typeof (card as { status?: unknown }).status === 'function'
    ? (card as SimCard & { status(): SimReport['script'] }).status()
    : null;
  return {
    report: {
      card: card.name, description: card.description, atr: power.atr, powerOnError: power.error,
      protocol, fi, di, clockHz, exchanges, script: scripted,
    },
    events,
    line,
    endNs,
  };

  /** Run until the host has seen NotifySlotChange with the wanted presence (or give up quietly). */
  function waitPresence(wanted: boolean): void {
    const deadline = scheduler.now() + PRESENCE_LIMIT_NS;
    while (present !== wanted) {
      const next = scheduler.nextTime;
      if (next === undefined || next > deadline) return;
      scheduler.runUntil(next);
    }
  }
}

/** A host-side give-up becomes an error value in the report, like a driver's timeout would. */
function attempt<T>(run: () => T, onTimeout: (error: string) => T): T {
  try {
    return run();
  } catch (e) {
    if (e instanceof DriveTimeout) return onTimeout('HOST_TIMEOUT');
    throw e;
  }
}
