/**
 * T=1 throughput bench: ECHO APDUs of 16, 255 and 4096 data bytes (the last an extended APDU, chained
 * both ways at IFSC = IFSD = 254) through the whole reader stack against the `t1` card, composed as
 * `ccid-reader sim --card t1` composes it (host-tests/reader/reader.ts): the shipped sim board provider
 * (boards/sim/board.ts) and the session's slot factory `createCardSlot`. So the rate is the one the
 * session negotiates on that board (TA1 13: Fi 372, Di 4, at the board's clock), not one chosen here.
 *
 * virtualUs: from transmitApdu() to its result, in virtual time.
 * Two wire minimums, both packed as tightly as ISO 7816-3 allows: consecutive characters of one
 * sender 12 + N etu apart (§7.2, N from TC1), the first character of a block in the other direction
 * 22 etu after the last one (BGT, §11.2), plus 10 etu for the last character to arrive.
 * - idealUs: of the block sequence the exchange needs (§11.3, rule 5 chaining): the reader's I-blocks
 *   of at most IFSC bytes each acknowledged by an R-block, then the card's I-blocks of at most IFSD
 *   bytes each acknowledged by an R-block. It does not trust the line.
 * - lineUs: of the characters the line actually recorded (extra blocks would show up in idealUs only).
 * The card answers with no processing time, so the ratios are the link's own overhead.
 *
 * `npx tsx host-tests/bench/t1-bench.ts` prints the table.
 */
import { createSimBoardProvider } from '../../boards/sim/board.js';
import { createCardSlot } from '../../firmware/iso7816/session/session.js';
import type { PowerOnResult, TransmitResult } from '../../hal/interfaces/slot.js';
import { findCard } from '../../hal/sim/cards/registry.js';
import type { VirtualScheduler } from '../../hal/sim/scheduler.js';

export interface T1BenchRow {
  size: number;
  clockHz: number;
  Fi: number;
  Di: number;
  /** Fi / Di: clock cycles per etu. */
  cyclesPerEtu: number;
  blocks: number;
  virtualUs: number;
  idealUs: number;
  lineUs: number;
  /** virtualUs / idealUs and virtualUs / lineUs. */
  idealRatio: number;
  lineRatio: number;
}

function echoApdu(size: number): Uint8Array {
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
    if (next === undefined) throw new Error(`T=1 bench: ${what} never ended`);
    scheduler.runUntil(next);
  }
}

export async function benchT1(): Promise<T1BenchRow[]> {
  const rows: T1BenchRow[] = [];
  for (const size of [16, 255, 4096]) {
    const board = createSimBoardProvider({ seed: 1, card: findCard('t1')!.create(1) });
    const scheduler = board.scheduler;
    const slot = createCardSlot({ contacts: board.card.contacts, uart: board.card.uart, scheduler });
    // Presence is debounced: let it settle, as the CLI's reader runs before the host powers on.
    scheduler.runUntil(scheduler.now() + 20e6);
    let powered: PowerOnResult | null = null;
    slot.powerOn('auto', (x) => (powered = x));
    const p = runUntil<PowerOnResult>(scheduler, () => powered, 'power-on');
    const a = slot.attributes;
    if (p.error !== null || a.protocol !== 1) throw new Error(`T=1 bench: power-on failed (${p.error})`);
    const etuNs = (a.F * 1e9) / (a.D * a.clockHz);
    const guardEtu = a.N === 255 ? 11 : 12 + a.N;
    const edcLength = a.edc === 'crc' ? 2 : 1;
    // Let the line settle after power-on so the exchange starts on an idle line.
    scheduler.runUntil(scheduler.now() + 1e6);
    const line = board.sim.line;
    const firstEvent = line.events.length;
    const apdu = echoApdu(size);
    const start = scheduler.now();
    let result: TransmitResult | null = null;
    slot.transmitApdu(apdu, (x) => (result = x));
    const res = runUntil<TransmitResult>(scheduler, () => result, 'exchange');
    const end = scheduler.now();
    if (res.error !== null || res.response === null || res.response.length !== size + 2) {
      throw new Error(`T=1 bench: ${size}-byte exchange failed (${res.error})`);
    }
    const blocks: number[] = [];
    chainBlocks(apdu.length, a.ifsc, edcLength, blocks);
    chainBlocks(size + 2, a.ifsd, edcLength, blocks);
    let idealEtu = 10 - 22;
    for (const chars of blocks) idealEtu += 22 + (chars - 1) * guardEtu;
    const events = line.events.slice(firstEvent);
    let lineEtu = 10;
    for (let i = 1; i < events.length; i++) lineEtu += events[i].from === events[i - 1].from ? guardEtu : 22;
    const virtualUs = (end - start) / 1000;
    const idealUs = (idealEtu * etuNs) / 1000;
    const lineUs = (lineEtu * etuNs) / 1000;
    rows.push({
      size, clockHz: a.clockHz, Fi: a.F, Di: a.D, cyclesPerEtu: a.F / a.D, blocks: blocks.length,
      virtualUs: round(virtualUs), idealUs: round(idealUs), lineUs: round(lineUs),
      idealRatio: ratio(virtualUs / idealUs), lineRatio: ratio(virtualUs / lineUs),
    });
  }
  return rows;
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}

function ratio(x: number): number {
  return Math.round(x * 10000) / 10000;
}

const invokedDirectly = typeof process !== 'undefined' && process.argv[1] !== undefined && /t1-bench\.ts$/.test(process.argv[1]);
if (invokedDirectly) {
  benchT1().then((rows) => {
    console.log('size  clock MHz  Fi  Di  Fi/Di  blocks  virtual µs  ideal µs  virtual/ideal  line µs  virtual/line');
    for (const r of rows) {
      console.log(`${String(r.size).padStart(4)}  ${(r.clockHz / 1e6).toFixed(0).padStart(9)}  ${r.Fi}  ${String(r.Di).padStart(2)}  ${r.cyclesPerEtu.toFixed(0).padStart(5)}  ${String(r.blocks).padStart(6)}` +
        `  ${r.virtualUs.toFixed(1).padStart(10)}  ${r.idealUs.toFixed(1).padStart(8)}  ${r.idealRatio.toFixed(4).padStart(13)}  ${r.lineUs.toFixed(1).padStart(7)}  ${r.lineRatio.toFixed(4).padStart(12)}`);
    }
  });
}
