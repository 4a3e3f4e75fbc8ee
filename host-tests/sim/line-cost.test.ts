import test from 'ava';
import { ProbeCard, rig, ETU, ioEdges } from './helpers.js';

/** Counts the scheduler events a run schedules, in ns or in ticks, by wrapping this board's scheduler instance. */
function countEvents(r: ReturnType<typeof rig>): () => number {
  const scheduler = r.board.scheduler;
  const at = scheduler.at.bind(scheduler);
  const atTicks = scheduler.atTicks.bind(scheduler);
  let n = 0;
  scheduler.at = (time, callback) => {
    n++;
    return at(time, callback);
  };
  scheduler.atTicks = (time, callback) => {
    n++;
    return atTicks(time, callback);
  };
  return () => n;
}

test('cost: a character is a few scheduler events, not one per bit; its edges are still all recorded', (t) => {
  const card = new ProbeCard();
  const r = rig(card, { protocol: 1, repetitions: 0, onWritable() {} });
  card.io.setProtocol(1);
  r.board.scheduler.runUntilIdle();
  const events = countEvents(r);
  const from = r.board.scheduler.now();
  // 0x55 in the direct convention toggles I/O at every bit time: 10 edges after the leading one.
  for (let i = 0; i < 100; i++) r.uart.write(0x55);
  r.board.scheduler.runUntilIdle();
  t.is(card.received.length, 100);
  // Start, end and the receiver's decision per character, plus the UART's onWritable posts.
  t.true(events() <= 4 * 100, `${events()} events`);
  const edges = ioEdges(r.board, from);
  t.is(edges.length, 100 * 10);
  t.is(edges[1].t - edges[0].t, ETU);
});

test('cost: a receiver that finished early still hears a falling edge in the middle of a frame', (t) => {
  // The reader samples at twice the card's rate: it decides at 10.25 of its etu (5.1 card etu) and
  // must then see the next falling edge of the same frame as a start bit, at its exact time.
  const card = new ProbeCard();
  const r = rig(card, { D: 2, protocol: 1, repetitions: 0 });
  card.io.setProtocol(1);
  const start = r.board.scheduler.now();
  // 0x1F: low for the start bit, high for data bits 0–4, low again from bit 5 (6 etu), parity 1.
  card.io.send(0x1f);
  r.board.scheduler.runUntilIdle();
  const falls = ioEdges(r.board, start).filter((e) => e.v === 0).map((e) => e.t);
  t.deepEqual(falls.map((f) => Math.round((f - falls[0]) / ETU)), [0, 6]);
  // One character sent, two read: the second starting at the falling edge at 6 etu.
  t.is(r.bytes.length + r.errors.filter((e) => e === 'framing').length, 2);
});

test('recordIo: false keeps I/O edges out of the record; characters, levels and VCC/CLK/RST are unchanged', (t) => {
  const run = (recordIo: boolean) => {
    const card = new ProbeCard();
    const r = rig(card, {}, { recordIo });
    for (const b of [0x3b, 0xa4, 0x5a]) r.uart.write(b);
    r.board.scheduler.runUntilIdle();
    const start = r.board.line.events[0].timeNs;
    const levels = Array.from({ length: 10 }, (_, k) => r.board.line.levelAt(start + (k + 0.5) * ETU));
    return { card, r, levels };
  };
  const on = run(true);
  const off = run(false);
  t.deepEqual(off.card.received, on.card.received);
  t.deepEqual(off.r.board.line.events, on.r.board.line.events);
  t.deepEqual(off.levels, on.levels);
  t.deepEqual(off.r.board.line.record, on.r.board.line.record.filter((c) => c.signal !== 'io'));
  t.true(on.r.board.line.record.some((c) => c.signal === 'io'));
});
