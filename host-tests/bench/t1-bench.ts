/**
 * T=1 throughput bench: ECHO APDUs of 16, 255 and 4096 data bytes (the last an extended APDU, chained
 * both ways at IFSC = IFSD = 254) through the whole reader stack (session → T1Link → simulated line)
 * against the `t1` card at the rate PPS negotiates (TA1 13: Fi 372, Di 4, f = 4 MHz).
 *
 * virtualUs: from transmitApdu() to its result, in virtual time.
 * wireMinUs: the same characters, as the line recorded them, packed as tightly as ISO 7816-3 allows:
 * consecutive characters of one sender 12 + N etu apart (§7.2, N from TC1), the first character of a
 * block in the other direction 22 etu after the last one (BGT, §11.2), plus 10 etu for the last
 * character to arrive. The card answers with no processing time, so the ratio is the link's own
 * overhead (waits it adds beyond BGT).
 *
 * `npx tsx host-tests/bench/t1-bench.ts` prints the table.
 */
import { T1FsCard } from '../../hal/sim/cards/t1-card.js';
import type { TransmitResult } from '../../firmware/iso7816/slot.js';
import { rig } from '../session/rig.js';

export interface T1BenchRow {
  size: number;
  virtualUs: number;
  wireMinUs: number;
  ratio: number;
}

function echoApdu(size: number): Uint8Array {
  const extended = size > 255;
  const apdu = new Uint8Array((extended ? 9 : 6) + size);
  if (extended) apdu.set([0x80, 0xee, 0, 0, 0, size >> 8, size & 0xff]);
  else apdu.set([0x80, 0xee, 0, 0, size]);
  for (let i = 0; i < size; i++) apdu[(extended ? 7 : 5) + i] = (i * 31 + 7) & 0xff;
  return apdu;
}

export async function benchT1(): Promise<T1BenchRow[]> {
  const rows: T1BenchRow[] = [];
  for (const size of [16, 255, 4096]) {
    const card = new T1FsCard({ seed: 1 });
    const r = rig(card);
    const p = r.powerOn();
    if (p.error !== null || r.slot.attributes.protocol !== 1) throw new Error(`T=1 bench: power-on failed (${p.error})`);
    const a = r.slot.attributes;
    const etuNs = (a.F * 1e9) / (a.D * a.clockHz);
    const guardEtu = a.N === 255 ? 11 : 12 + a.N;
    const scheduler = r.board.scheduler;
    // Let the line settle after power-on so the exchange starts on an idle line.
    r.run(1e6);
    const firstEvent = r.board.line.events.length;
    const apdu = echoApdu(size);
    const start = scheduler.now();
    let result: TransmitResult | null = null;
    r.slot.transmitApdu(apdu, (x) => (result = x));
    while (result === null) {
      const next = scheduler.nextTime;
      if (next === undefined) throw new Error('T=1 bench: exchange never ended');
      scheduler.runUntil(next);
    }
    const end = scheduler.now();
    const res = result as TransmitResult;
    if (res.error !== null || res.response === null || res.response.length !== size + 2) {
      throw new Error(`T=1 bench: ${size}-byte exchange failed (${res.error})`);
    }
    const events = r.board.line.events.slice(firstEvent);
    let minEtu = 10;
    for (let i = 1; i < events.length; i++) minEtu += events[i].from === events[i - 1].from ? guardEtu : 22;
    const virtualUs = (end - start) / 1000;
    const wireMinUs = (minEtu * etuNs) / 1000;
    rows.push({ size, virtualUs: round(virtualUs), wireMinUs: round(wireMinUs), ratio: Math.round((virtualUs / wireMinUs) * 10000) / 10000 });
  }
  return rows;
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}

const invokedDirectly = typeof process !== 'undefined' && process.argv[1] !== undefined && /t1-bench\.ts$/.test(process.argv[1]);
if (invokedDirectly) {
  benchT1().then((rows) => {
    console.log('size  virtual µs   wire-min µs   ratio');
    for (const row of rows) {
      console.log(`${String(row.size).padStart(4)}  ${row.virtualUs.toFixed(1).padStart(10)}  ${row.wireMinUs.toFixed(1).padStart(12)}  ${row.ratio.toFixed(4)}`);
    }
  });
}
