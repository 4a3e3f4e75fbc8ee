/**
 * T=1 throughput bench: ECHO APDUs of 16, 255 and 4096 data bytes (the last an extended APDU, chained
 * both ways at IFSC = IFSD = 254) through the whole reader stack against the `t1` card, composed as
 * `ccid-reader sim --card t1` composes it (host-tests/reader/reader.ts): the shipped sim board provider
 * (boards/sim/board.ts) and the session's slot factory `createCardSlot`. So the rate is the one the
 * session negotiates on that board (TA1 13: Fi 372, Di 4, at the board's clock), not one chosen here.
 * The ratios to the wire minimums are echo-throughput.ts's.
 *
 * `npx tsx host-tests/bench/t1-bench.ts` prints the table.
 */
import { createSimBoardProvider } from '../../boards/sim/board.js';
import { createCardSlot } from '../../firmware/iso7816/session/session.js';
import { findCard } from '../../hal/sim/cards/registry.js';
import { measureEcho, powerOn, type EchoRow } from './echo-throughput.js';

export type T1BenchRow = Omit<EchoRow, 'protocol' | 'kbitPerS' | 'characters'>;

export async function benchT1(): Promise<T1BenchRow[]> {
  const rows: T1BenchRow[] = [];
  for (const size of [16, 255, 4096]) {
    const board = createSimBoardProvider({ seed: 1, card: findCard('t1')!.create(1) });
    const slot = createCardSlot({ contacts: board.card.contacts, uart: board.card.uart, scheduler: board.scheduler });
    const rig = { slot, scheduler: board.scheduler, line: board.sim.line };
    powerOn(rig);
    const { protocol: _p, kbitPerS: _k, characters: _c, ...row } = measureEcho(rig, size);
    rows.push(row);
  }
  return rows;
}

const invokedDirectly = typeof process !== 'undefined' && process.argv[1] !== undefined && /t1-bench\.ts$/.test(process.argv[1]);
if (invokedDirectly) {
  benchT1().then((rows) => {
    console.log('size  clock MHz  Fi  Di  Fi/Di  blocks  virtual µs  ideal µs  virtual/ideal  line µs  virtual/line');
    for (const r of rows) {
      console.log(`${String(r.size).padStart(4)}  ${(r.clockHz / 1e6).toFixed(0).padStart(9)}  ${r.Fi}  ${String(r.Di).padStart(2)}  ${r.cyclesPerEtu.toFixed(0).padStart(5)}  ${String(r.blocks).padStart(6)}` +
        `  ${r.virtualUs.toFixed(1).padStart(10)}  ${r.idealUs!.toFixed(1).padStart(8)}  ${r.idealRatio!.toFixed(4).padStart(13)}  ${r.lineUs.toFixed(1).padStart(7)}  ${r.lineRatio.toFixed(4).padStart(12)}`);
    }
  });
}
