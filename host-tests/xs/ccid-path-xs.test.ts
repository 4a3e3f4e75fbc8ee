import test from 'ava';
import { startBenchWorker } from '../bench/xs-bench.js';

// The full CCID path (host driver, simulated USB device, CCID class, slot, session, T=0 and T=1,
// simulated line and card) runs in XS: what the XS bench measures must work there first.
test('the full CCID path answers APDUs inside XS, over T=0 and T=1', async (t) => {
  const { worker } = await startBenchWorker();
  try {
    for (const [card, protocol] of [['t0-fs', 0], ['t1', 1]] as const) {
      const setup = (await worker.request('setup', { card, seed: 1 })).reply as { atr: string; protocol: number };
      t.is(setup.protocol, protocol, card);
      await worker.request('run', { apdu: '00A4000C020001', count: 1, expect: '9000', collect: false });
      // EF 0001 holds byte i = i + 1 (fs-applet.ts): READ BINARY 16 returns 01…10 and 9000.
      const read = await worker.request('run', { apdu: '00B0000010', count: 2, expect: '0102030405060708090A0B0C0D0E0F109000', collect: true });
      t.true(read.meter.compute > 0);
      t.log(`${card}: ${Math.round(read.meter.compute / 2)} computrons per READ BINARY, ${read.meter.currentHeapCount} live heap slots`);
    }
    await t.throwsAsync(worker.request('run', { apdu: '00B0000010', count: 1, expect: '6A82', collect: false }), { message: /response .*9000, expected 6A82/ }, 'a wrong response is reported');
  } finally {
    await worker.close();
  }
});
