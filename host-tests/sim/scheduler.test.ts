import test from 'ava';
import fc from 'fast-check';
import { VirtualScheduler } from '../../hal/sim/scheduler.js';
import { SimRandom } from '../../hal/sim/random.js';

test('scheduler: events run in time order, equal times in insertion order', (t) => {
  const s = new VirtualScheduler();
  const seen: string[] = [];
  s.at(30, () => seen.push('c'));
  s.at(10, () => seen.push('a1'));
  s.at(10, () => seen.push('a2'));
  s.at(20, () => seen.push('b'));
  t.is(s.pending, 4);
  t.true(s.runUntilIdle());
  t.deepEqual(seen, ['a1', 'a2', 'b', 'c']);
  t.is(s.now(), 30);
});

test('scheduler: callbacks never run inside at(); a past time runs at now', (t) => {
  const s = new VirtualScheduler();
  s.advance(100);
  let ran = -1;
  s.at(5, () => (ran = s.now()));
  t.is(ran, -1);
  s.runUntilIdle();
  t.is(ran, 100);
});

test('scheduler: cancel forgets an event; unknown and spent handles are ignored', (t) => {
  const s = new VirtualScheduler();
  let n = 0;
  const h = s.at(10, () => n++);
  s.at(20, () => n += 10);
  s.cancel(h);
  s.cancel(h);
  s.cancel(12345);
  t.is(s.pending, 1);
  s.runUntilIdle();
  t.is(n, 10);
  s.cancel(h);
});

test('scheduler: runUntil stops at the limit, advance moves the clock, runUntilIdle reports a limit', (t) => {
  const s = new VirtualScheduler();
  const seen: number[] = [];
  for (const time of [5, 15, 25]) s.at(time, () => seen.push(time));
  s.runUntil(15);
  t.deepEqual(seen, [5, 15]);
  t.is(s.now(), 15);
  t.false(s.runUntilIdle(20));
  t.is(s.nextTime, 25);
  s.advance(100);
  t.is(s.now(), 115);
  t.deepEqual(seen, [5, 15, 25]);
});

test('scheduler: events scheduled from callbacks keep (time, sequence) order (property)', (t) => {
  fc.assert(
    fc.property(fc.array(fc.nat(1000), { maxLength: 50 }), (times) => {
      const s = new VirtualScheduler();
      const out: [number, number][] = [];
      times.forEach((time, i) => s.at(time, () => {
        out.push([s.now(), i]);
        if (i % 3 === 0) s.at(time, () => out.push([s.now(), 1000 + i]));
      }));
      s.runUntilIdle();
      for (let k = 1; k < out.length; k++) if (out[k][0] < out[k - 1][0]) return false;
      return out.length === times.length + times.filter((_, i) => i % 3 === 0).length;
    }),
  );
  t.pass();
});

test('random: the same seed gives the same sequence; ranges hold', (t) => {
  const a = new SimRandom(42);
  const b = new SimRandom(42);
  const c = new SimRandom(43);
  const sa = Array.from({ length: 20 }, () => a.nextU32());
  t.deepEqual(sa, Array.from({ length: 20 }, () => b.nextU32()));
  t.notDeepEqual(sa, Array.from({ length: 20 }, () => c.nextU32()));
  for (let i = 0; i < 1000; i++) {
    const k = a.nextInt(7);
    t.true(Number.isInteger(k) && k >= 0 && k < 7);
    const f = a.nextFloat();
    if (!(f >= 0 && f < 1)) t.fail();
  }
  t.is(a.nextInt(0), 0);
});

test('scheduler: reserved sequence numbers keep an event computed later in the place it was reserved', (t) => {
  const s = new VirtualScheduler();
  const seen: string[] = [];
  s.at(10, () => seen.push('before'));
  const seq = s.reserve(2);
  s.at(10, () => {
    seen.push('after');
    t.is(s.runningSeq, seq + 2);
  });
  // Scheduled last, but with the reserved numbers: they run between the two.
  // atReserved takes ticks (the line's unit): 10 ns.
  s.atReserved(s.toTicks(10), seq + 1, () => seen.push('reserved 2'));
  s.atReserved(s.toTicks(10), seq, () => {
    seen.push('reserved 1');
    t.is(s.runningSeq, seq);
  });
  t.is(s.runningSeq, Infinity);
  s.runUntilIdle();
  t.deepEqual(seen, ['before', 'reserved 1', 'reserved 2', 'after']);
  t.is(s.runningSeq, Infinity);
  t.is(s.at(20, () => {}), seq + 3);
});

test('scheduler: heavy cancelling (the heap is compacted) keeps the (time, sequence) order (property)', (t) => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.nat(50), fc.nat(3)), { minLength: 100, maxLength: 400 }), (ops) => {
      const s = new VirtualScheduler();
      const ran: number[] = [];
      const expected: [number, number][] = [];
      // Three in four are cancelled, so cancelled entries soon dominate the heap.
      ops.forEach(([time, draw], i) => {
        const keep = draw === 0;
        const handle = s.at(time, () => ran.push(i));
        if (keep) expected.push([time, i]);
        else s.cancel(handle);
      });
      s.runUntilIdle();
      expected.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
      return s.pending === 0 && ran.join() === expected.map((e) => e[1]).join();
    }),
  );
  t.pass();
});

test('scheduler: cancel finds every live handle among many, whatever the order (property, against a model)', (t) => {
  // Few events live at a time among many made, some long-lived: handles collide in the handle table
  // (it stays small) and cancelling cuts probe runs.
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.constantFrom('at', 'cancel', 'run'), fc.nat(2000)), { maxLength: 400 }), (ops) => {
      const s = new VirtualScheduler();
      const model = new Map<number, number>(); // handle → time
      const handles: number[] = [];
      const ran: number[] = [];
      for (const [op, n] of ops) {
        if (op === 'at') {
          const time = s.now() + n;
          const h = s.at(time, () => ran.push(h));
          handles.push(h);
          model.set(h, time);
        } else if (op === 'cancel' && model.size > 0) {
          const h = [...model.keys()][n % model.size];
          s.cancel(h);
          model.delete(h);
        } else if (op === 'run') {
          const until = s.now() + n;
          const due = [...model].filter(([, time]) => time <= until).sort((a, b) => a[1] - b[1] || a[0] - b[0]).map(([h]) => h);
          ran.length = 0;
          s.runUntil(until);
          if (ran.join() !== due.join()) return false;
          for (const h of due) model.delete(h);
        }
        if (s.pending !== model.size) return false;
      }
      return true;
    }),
    { numRuns: 300 },
  );
  t.pass();
});

test('scheduler: two live handles that share a slot of the handle table: each stays cancellable after the other goes', (t) => {
  for (const first of ['a', 'b'] as const) {
    const s = new VirtualScheduler();
    const ran: string[] = [];
    const a = s.at(1000, () => ran.push('a'));
    // Fifteen events made and cancelled: the next handle lands in the same slot of the (16-slot) table as `a`.
    for (let i = 0; i < 15; i++) s.cancel(s.at(500, () => ran.push('x')));
    const b = s.at(1000, () => ran.push('b'));
    t.is(b - a, 16);
    s.cancel(first === 'a' ? a : b);
    s.cancel(first === 'a' ? b : a);
    t.is(s.pending, 0);
    s.runUntilIdle();
    t.deepEqual(ran, []);
  }
});
