/**
 * How close an ECHO exchange comes to the wire minimum: the time from transmitApdu() to its result,
 * in virtual time, against the time the characters it needs take when packed as tightly as ISO
 * 7816-3 allows — consecutive characters of one sender 12 + N etu apart (§7.2, N from TC1; 11 etu
 * with N = 255 in T=1), the first character the other way 22 etu after the last one (BGT, §11.2;
 * T=0: 16 etu, §7.2), plus 10 etu for the last character to arrive. The card answers with no
 * processing time, so the ratios are the reader's own overhead (its firmware, its drivers and, on
 * the virtual ESP32-S3 board, its interrupt latency).
 * - idealUs (T=1): of the block sequence the exchange needs (§11.3, rule 5 chaining): the reader's
 *   I-blocks of at most IFSC bytes each acknowledged by an R-block, then the card's of at most IFSD
 *   bytes each acknowledged by an R-block. It does not trust the line.
 * - lineUs: of the characters the line actually recorded (for T=0, headers, procedure bytes and the
 *   GET RESPONSE / ENVELOPE TPDUs included).
 */
import type { PowerOnResult, Slot, TransmitResult } from '../../hal/interfaces/slot.js';
import type { SimLine } from '../../hal/sim/line.js';
import type { VirtualScheduler } from '../../hal/sim/scheduler.js';

export interface EchoRow {
  size: number;
  protocol: number;
  clockHz: number;
  Fi: number;
  Di: number;
  /** Fi / Di: clock cycles per etu. */
  cyclesPerEtu: number;
  kbitPerS: number;
  /** T=1: blocks of the ideal sequence. */
  blocks: number | null;
  characters: number;
  virtualUs: number;
  idealUs: number | null;
  lineUs: number;
  /** virtualUs / idealUs and virtualUs / lineUs. */
  idealRatio: number | null;
  lineRatio: number;
}

/** The simulated cards' ECHO (CLA 80 INS EE, fs-applet.ts): `size` bytes out, the same back (Le 0: all); extended past 255. */
export function echoApdu(size: number): Uint8Array {
  const extended = size > 255;
  const apdu = new Uint8Array((extended ? 9 : 6) + size);
  if (extended) apdu.set([0x80, 0xee, 0, 0, 0, size >> 8, size & 0xff]);
  else apdu.set([0x80, 0xee, 0, 0, size]);
  for (let i = 0; i < size; i++) apdu[(extended ? 7 : 5) + i] = (i * 31 + 7) & 0xff;
  return apdu;
}

/** Character counts of the blocks one chained transfer of `length` bytes needs (rule 5), in line order. */
function chainBlocks(length: number, ifs: number, edcLength: number, out: number[]): void {
  for (let left = length; ; left -= ifs) {
    out.push(3 + Math.min(left, ifs) + edcLength);
    if (left <= ifs) return;
    out.push(3 + edcLength); // R-block acknowledging the chained I-block
  }
}

function runUntil<T>(scheduler: VirtualScheduler, get: () => T | null, what: string): T {
  for (let value = get(); ; value = get()) {
    if (value !== null) return value;
    const next = scheduler.nextTime;
    if (next === undefined) throw new Error(`echo: ${what} never ended`);
    scheduler.runUntil(next);
  }
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}

function ratio(x: number): number {
  return Math.round(x * 10000) / 10000;
}

export interface EchoRig {
  slot: Slot;
  scheduler: VirtualScheduler;
  line: SimLine;
}

/** Power the card on (once) and settle: the slot in its negotiated protocol and rate. */
export function powerOn(rig: EchoRig): void {
  const { slot, scheduler } = rig;
  // Presence is debounced: let it settle, as the CLI's reader runs before the host powers on.
  scheduler.runUntil(scheduler.now() + 40e6);
  let powered: PowerOnResult | null = null;
  slot.powerOn('auto', (x) => (powered = x));
  const p = runUntil<PowerOnResult>(scheduler, () => powered, 'power-on');
  if (p.error !== null) throw new Error(`echo: power-on failed (${p.error})`);
  // Let the line settle so the exchange starts on an idle line.
  scheduler.runUntil(scheduler.now() + 1e6);
}

/** One ECHO of `size` bytes each way on a powered slot, and its ratios to the wire minimums. */
export function measureEcho(rig: EchoRig, size: number): EchoRow {
  const { slot, scheduler, line } = rig;
  const a = slot.attributes;
  if (a.protocol !== 0 && a.protocol !== 1) throw new Error('echo: no protocol in force');
  const etuNs = (a.F * 1e9) / (a.D * a.clockHz);
  const guardEtu = a.N === 255 ? (a.protocol === 1 ? 11 : 12) : 12 + a.N;
  const turnEtu = a.protocol === 1 ? 22 : 16;
  const firstEvent = line.events.length;
  const apdu = echoApdu(size);
  const start = scheduler.now();
  let result: TransmitResult | null = null;
  slot.transmitApdu(apdu, (x) => (result = x));
  const res = runUntil<TransmitResult>(scheduler, () => result, 'exchange');
  const end = scheduler.now();
  if (res.error !== null || res.response === null || res.response.length !== size + 2) {
    throw new Error(`echo: ${size}-byte exchange failed (${res.error})`);
  }
  let blocks: number[] | null = null;
  let idealEtu: number | null = null;
  if (a.protocol === 1) {
    const edcLength = a.edc === 'crc' ? 2 : 1;
    blocks = [];
    chainBlocks(apdu.length, a.ifsc, edcLength, blocks);
    chainBlocks(size + 2, a.ifsd, edcLength, blocks);
    idealEtu = 10 - turnEtu;
    for (const chars of blocks) idealEtu += turnEtu + (chars - 1) * guardEtu;
  }
  const events = line.events.slice(firstEvent).filter((e) => !e.repeated);
  let lineEtu = 10;
  for (let i = 1; i < events.length; i++) lineEtu += events[i].from === events[i - 1].from ? guardEtu : turnEtu;
  const virtualUs = (end - start) / 1000;
  const idealUs = idealEtu === null ? null : (idealEtu * etuNs) / 1000;
  const lineUs = (lineEtu * etuNs) / 1000;
  return {
    size, protocol: a.protocol, clockHz: a.clockHz, Fi: a.F, Di: a.D, cyclesPerEtu: a.F / a.D,
    kbitPerS: round((a.D * a.clockHz) / a.F / 1000), blocks: blocks === null ? null : blocks.length, characters: events.length,
    virtualUs: round(virtualUs), idealUs: idealUs === null ? null : round(idealUs), lineUs: round(lineUs),
    idealRatio: idealUs === null ? null : ratio(virtualUs / idealUs), lineRatio: ratio(virtualUs / lineUs),
  };
}
