import test from 'ava';
import { COST_CASES, startRigWorker } from '../bench/firmware-cost.js';

// The firmware alone (CCID class → slot → session → T=0 / T=1, firmware-rig.ts) over many APDUs in
// XS: every response checked byte by byte against the recording, every byte the firmware writes to
// the card checked against it, and the live heap after GC flat once the first batch has run
// (nothing the firmware allocates per APDU lives on).
for (const c of [COST_CASES[0], COST_CASES[1], COST_CASES[2]]) {
  test(`firmware heap does not grow over many APDUs: ${c.name}`, async (t) => {
    // Longer than ava's 10 s: hundreds of APDUs through the firmware in the XS engine, on a shared machine.
    t.timeout(120_000);
    const worker = await startRigWorker();
    try {
      const batches = 5;
      const perBatch = c.apdu.length > 100 ? 10 : 200;
      await worker.request('setup', { card: c.card, prepare: c.prepare, apdu: c.apdu });
      const live: number[] = [];
      for (let i = 0; i < batches; i++) {
        const r = await worker.request('run', { count: perBatch, check: true, collect: true });
        live.push(r.meter.currentHeapCount);
      }
      t.log(`live slots after each batch of ${perBatch}: ${live.join(' ')}`);
      t.true(Math.max(...live.slice(1)) <= live[0], `live heap grew: ${live.join(' ')}`);
    } finally {
      await worker.close();
    }
  });
}

test('the rig sets a T=1 session up through CCID, and refuses an unknown card', async (t) => {
  const worker = await startRigWorker();
  try {
    const setup = await worker.request('setup', { card: 't1', prepare: ['00A4000C020001'], apdu: '00B0000010' });
    t.like(setup.reply, { protocol: 1, responseLength: 18, sw: '9000' });
    await t.throwsAsync(worker.request('setup', { card: 'no-such-card', prepare: [], apdu: '00B0000010' }), { message: /no built-in card/ });
  } finally {
    await worker.close();
  }
});
