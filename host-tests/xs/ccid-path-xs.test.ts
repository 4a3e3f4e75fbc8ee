import test from 'ava';
import { startBenchWorker } from '../bench/xs-bench.js';
import * as node from '../bench/xs-bench-driver.js';

interface Step { op: 'setup' | 'run'; args: Record<string, unknown> }

/** Power on, select EF 0001 and read it twice (EF 0001 holds byte i = i + 1, fs-applet.ts). */
function session(card: string): Step[] {
  return [
    { op: 'setup', args: { card, seed: 3 } },
    { op: 'run', args: { apdu: '00A4000C020001', count: 1, expect: '9000', collect: false } },
    { op: 'run', args: { apdu: '00B0000010', count: 2, expect: '0102030405060708090A0B0C0D0E0F109000', collect: true } },
    { op: 'run', args: { apdu: '0084000008', count: 1, expect: '9000', collect: false } },
  ];
}

function inNode(step: Step): unknown {
  return step.op === 'setup'
    ? node.setup(step.args as { card: string; seed: number })
    : node.run(step.args as { apdu: string; count: number; expect: string; collect: boolean });
}

// The full CCID path (host driver, simulated USB device, CCID class, slot, session, T=0 and T=1,
// simulated line and card) runs in XS, and in virtual time it does exactly what it does in Node:
// same ATR, protocol, responses (GET CHALLENGE included: the card's PRNG is seeded) and durations.
test('the full CCID path gives the same session in XS as in Node, over T=0 and T=1', async (t) => {
  const { worker } = await startBenchWorker();
  try {
    for (const [card, protocol] of [['t0-fs', 0], ['t1', 1]] as const) {
      let compute = 0;
      for (const step of session(card)) {
        const xs = await worker.request(step.op, step.args);
        t.deepEqual(xs.reply, inNode(step), `${card} ${step.op} ${JSON.stringify(step.args)}`);
        if (step.op === 'setup') t.is((xs.reply as { protocol: number }).protocol, protocol);
        if (step.args.count === 2) compute = xs.meter.compute / 2;
      }
      t.log(`${card}: ${Math.round(compute)} computrons per READ BINARY in XS`);
    }
    await t.throwsAsync(worker.request('run', { apdu: '00B0000010', count: 1, expect: '6A82', collect: false }),
      { message: /response .*9000, expected 6A82/ }, 'a wrong response is reported');
  } finally {
    await worker.close();
  }
});
