/**
 * The T=0 error signal and character repetition of the ESP32-S3 card UART (card-uart.c) measured on
 * the I/O line of the virtual board (ISO 7816-3 §7.3), for a given interrupt latency and rate:
 *
 * - the reader's error signal: the card sends a character with wrong parity once; the reader must
 *   pull I/O low from 10.5 ± 0.2 etu after the character's leading edge, for 1 to 2 etu, and then
 *   receive the card's repetition — or, where its interrupt latency does not allow that start, send
 *   no signal at all, report the parity error and say so in the trace;
 * - the reader's repetition: the card rejects the reader's character once (it listens in the inverse
 *   convention, so the direct character fails its parity, then in the direct one again); the reader
 *   must see the card's error signal and repeat the character no earlier than 2 etu after the
 *   signal's detection at 11 etu (13 etu after the rejected character's leading edge), and the card
 *   must end up with the byte exactly once.
 *
 * Everything is read from the line record (the oracle is the line, not the driver's view).
 */
import type { LineCharacter } from '../../hal/sim/line.js';
import { ioEdges, lineRig } from './rig.js';

/** A rate the board negotiates: TA1's Fi/Di at its fmax, within the UART's 500 kbit/s. */
export interface Rate {
  /** TA1 (0x11 with the default F, D at 4 MHz: the rate before PPS). */
  readonly ta1: number;
  readonly F: number;
  readonly D: number;
  readonly clockHz: number;
}

/**
 * Fd/Dd at 4 MHz (the ATR), then TA1 = 11, 12, 13, 18, 94, 95, 96 at 5 MHz (fmax of Fi 372 and 512):
 * etu 93, 74.4, 37.2, 18.6, 6.2, 12.8, 6.4 and 3.2 µs. TA1 = 97 (Di 64) would be 625 kbit/s, past
 * the UART's limit (hal/moddable/card-line.ts MAX_BAUD): the board offers a lower Di in PPS.
 */
export const BOARD_RATES: readonly Rate[] = Object.freeze([
  { ta1: 0x11, F: 372, D: 1, clockHz: 4_000_000 },
  { ta1: 0x11, F: 372, D: 1, clockHz: 5_000_000 },
  { ta1: 0x12, F: 372, D: 2, clockHz: 5_000_000 },
  { ta1: 0x13, F: 372, D: 4, clockHz: 5_000_000 },
  { ta1: 0x94, F: 512, D: 8, clockHz: 5_000_000 },
  { ta1: 0x95, F: 512, D: 16, clockHz: 5_000_000 },
  { ta1: 0x18, F: 372, D: 12, clockHz: 5_000_000 },
  { ta1: 0x96, F: 512, D: 32, clockHz: 5_000_000 },
]);

export const etuNsOf = (rate: Rate): number => (rate.F * 1e9) / (rate.D * rate.clockHz);

/** §7.3 limits. */
export const SIGNAL_START_ETU = 10.5;
export const SIGNAL_START_TOLERANCE_ETU = 0.2;
export const SIGNAL_MIN_ETU = 1;
export const SIGNAL_MAX_ETU = 2;
/** The sender samples I/O for the error signal at 11 etu and repeats at least 2 etu after that. */
export const REPEAT_NOT_BEFORE_ETU = 11 + 2;

export interface ReaderSignal {
  /** The reader pulled I/O low after the bad character. */
  readonly sent: boolean;
  /** From the bad character's leading edge, in etu (null: none sent). */
  readonly startEtu: number | null;
  readonly widthEtu: number | null;
  /** start within 10.5 ± 0.2 etu and width within 1–2 etu (false when none was sent). */
  readonly inSpec: boolean;
  /** The byte the reader delivered (after the card's repetition), or null. */
  readonly received: number | null;
  /** Errors the driver reported upstream. */
  readonly errors: readonly string[];
  /** The driver said in its trace that the error signal is off. */
  readonly saidOff: boolean;
}

const BYTE = 0x5a;

/** The line rig with the card and a probe UART at `rate`, 1 ms after they opened. */
async function atRate(latencyNs: number, rate: Rate) {
  const rig = await lineRig({ interruptLatencyNs: latencyNs, clockHz: rate.clockHz });
  const { board, card } = rig;
  const scheduler = board.scheduler;
  card.io.setRate(rate.F, rate.D);
  const probe = rig.openUart({ F: rate.F, D: rate.D });
  scheduler.advance(1_000_000);
  return { rig, card, scheduler, line: rig.socket.line, probe };
}

export async function measureReaderSignal(latencyNs: number, rate: Rate): Promise<ReaderSignal> {
  const { rig, card, scheduler, line, probe } = await atRate(latencyNs, rate);
  const from = line.events.length;
  card.io.send(BYTE, { badParity: true, badParityTimes: 1 });
  const etu = etuNsOf(rate);
  scheduler.advance(200 * etu + 2_000_000);
  const first = line.events.slice(from).find((e) => e.from === 'card') as LineCharacter;
  const low = ioEdges(line.record, first.timeNs + 10 * etu, first.timeNs + 13 * etu);
  const fall = low.find((e) => e.v === 0);
  const rise = fall === undefined ? undefined : ioEdges(line.record, fall.t).find((e) => e.v === 1);
  const startEtu = fall === undefined ? null : (fall.t - first.timeNs) / etu;
  const widthEtu = fall === undefined || rise === undefined ? null : (rise.t - fall.t) / etu;
  const inSpec = startEtu !== null && widthEtu !== null &&
    Math.abs(startEtu - SIGNAL_START_ETU) <= SIGNAL_START_TOLERANCE_ETU + 1e-9 && widthEtu >= SIGNAL_MIN_ETU && widthEtu <= SIGNAL_MAX_ETU;
  return {
    sent: fall !== undefined, startEtu, widthEtu, inSpec,
    received: probe.bytes.length === 1 ? probe.bytes[0] : null,
    errors: [...probe.errors],
    saidOff: rig.traced.some((t) => t.startsWith('T=0 error signal off')),
  };
}

export interface ReaderRepetition {
  /** The reader repeated the character the card rejected. */
  readonly repeated: boolean;
  /** From the rejected character's leading edge to the repetition's, in etu. */
  readonly delayEtu: number | null;
  /** The card's error signal, from the rejected character's leading edge (etu). */
  readonly signalStartEtu: number | null;
  readonly signalEndEtu: number | null;
  /** Not before 13 etu, and not while the card still holds I/O low. */
  readonly inSpec: boolean;
  /** What the card received with good parity: the byte once when all went well. */
  readonly cardReceived: readonly number[];
  readonly errors: readonly string[];
}

export async function measureRepetition(latencyNs: number, rate: Rate): Promise<ReaderRepetition> {
  const { card, scheduler, line, probe } = await atRate(latencyNs, rate);
  const etu = etuNsOf(rate);
  // The card listens in the inverse convention for this one character: it fails parity there.
  card.io.setConvention('inverse');
  const from = line.events.length;
  probe.uart.write(BYTE);
  while (line.events.length === from) scheduler.advance(etu);
  const rejected = line.events[from];
  scheduler.runUntil(rejected.timeNs + 12.5 * etu);
  card.io.setConvention('direct');
  scheduler.advance(200 * etu + 2_000_000);
  const repetition = line.events.slice(from + 1).find((e) => e.from === 'reader');
  const signal = ioEdges(line.record, rejected.timeNs + 10 * etu, rejected.timeNs + 13 * etu);
  const fall = signal.find((e) => e.v === 0);
  const rise = fall === undefined ? undefined : ioEdges(line.record, fall.t).find((e) => e.v === 1);
  const delayEtu = repetition === undefined ? null : (repetition.timeNs - rejected.timeNs) / etu;
  const signalEnd = rise?.t ?? null;
  return {
    repeated: repetition !== undefined && repetition.repeated,
    delayEtu,
    signalStartEtu: fall === undefined ? null : (fall.t - rejected.timeNs) / etu,
    signalEndEtu: signalEnd === null ? null : (signalEnd - rejected.timeNs) / etu,
    inSpec: repetition !== undefined && delayEtu !== null && delayEtu >= REPEAT_NOT_BEFORE_ETU - 1e-9 &&
      (signalEnd === null || repetition.timeNs >= signalEnd),
    cardReceived: card.received.filter((r) => r.parityOk).map((r) => r.byte),
    errors: [...probe.errors],
  };
}
