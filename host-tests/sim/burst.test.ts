/**
 * Bursts (hal/sim/port.ts): characters that go out one scheduler event each must give exactly what
 * the single-character path gives (the path the golden line traces pin against the original
 * bit-by-bit line). Oracle: the same scenario with bursts switched off. Random scenarios mix what
 * breaks a burst: the other side sending, flushes, resets, new rates, conventions and protocols,
 * wrong parity, deadlines, rates that do not match; and block-level transfers (T=1 blocks, T=0
 * TPDUs), whose middle characters the reader's side takes after the fact.
 */
import test from 'ava';
import fc from 'fast-check';
import type { CardCharError } from '../../hal/interfaces/card-uart.js';
import { VirtualScheduler } from '../../hal/sim/scheduler.js';
import { findCard } from '../../hal/sim/cards/registry.js';
import { t1Card } from '../../hal/sim/cards/t1-card.js';
import { ETU, ProbeCard, rig } from './helpers.js';

type Step =
  | { kind: 'write'; bytes: number[] }
  | { kind: 'block'; bytes: number[]; wait: number; cwt: number }
  | { kind: 'tpdu'; ins: number; out: number[]; expected: number; wait: number }
  | { kind: 'send'; bytes: number[]; bad: number; delay: number }
  | { kind: 'advance'; etu: number }
  | { kind: 'idle' }
  | { kind: 'flush' }
  | { kind: 'silence' }
  | { kind: 'deadlines'; first: number; next: number }
  | { kind: 'reset'; etu: number }
  | { kind: 'rate'; D: number }
  | { kind: 'protocol'; protocol: 0 | 1 }
  | { kind: 'convention'; inverse: boolean };

const bytes = fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 12 });
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: bytes.map((b) => ({ kind: 'write' as const, bytes: b })) },
  { weight: 2, arbitrary: fc.record({ bytes, wait: fc.constantFrom(0, 30, 200), cwt: fc.constantFrom(0, 13, 20, 43) }).map((b) => ({ kind: 'block' as const, ...b })) },
  {
    weight: 2,
    arbitrary: fc.record({ ins: fc.constantFrom(0xa4, 0xb0, 0xd6), out: fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 6 }), expected: fc.constantFrom(0, 2, 5), wait: fc.constantFrom(40, 200) })
      .map((p) => ({ kind: 'tpdu' as const, ...p })),
  },
  { weight: 4, arbitrary: fc.record({ bytes, bad: fc.constantFrom(0, 0, 0, 1, 2), delay: fc.constantFrom(0, 0, 0, 5, 30) }).map((s) => ({ kind: 'send' as const, ...s })) },
  { weight: 3, arbitrary: fc.integer({ min: 1, max: 60 }).map((etu) => ({ kind: 'advance' as const, etu })) },
  { weight: 3, arbitrary: fc.constant({ kind: 'idle' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'flush' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'silence' as const }) },
  { weight: 1, arbitrary: fc.record({ first: fc.integer({ min: 0, max: 40 }), next: fc.integer({ min: 0, max: 25 }) }).map((d) => ({ kind: 'deadlines' as const, ...d })) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 30 }).map((etu) => ({ kind: 'reset' as const, etu })) },
  { weight: 1, arbitrary: fc.constantFrom(1, 1, 2).map((D) => ({ kind: 'rate' as const, D })) },
  { weight: 1, arbitrary: fc.constantFrom<0 | 1>(0, 1).map((protocol) => ({ kind: 'protocol' as const, protocol })) },
  { weight: 1, arbitrary: fc.boolean().map((inverse) => ({ kind: 'convention' as const, inverse })) },
);

interface Setup {
  protocol: 0 | 1;
  N: number;
  repetitions: number;
}
const setup: fc.Arbitrary<Setup> = fc.record({
  protocol: fc.constantFrom<0 | 1>(0, 1),
  N: fc.constantFrom(0, 0, 2, 255),
  repetitions: fc.constantFrom(0, 3),
});

/**
 * Everything observable: what each side received or reported, with exact times, and the line's
 * events and record. `bulk`: the card queues a plain run of characters at once (CardIo.sendBytes)
 * instead of one `send` each.
 */
function play(s: Setup, steps: readonly Step[], bursts: boolean, bulk = false): string[] {
  const card = new ProbeCard();
  const scheduler = new VirtualScheduler();
  const log: string[] = [];
  const into = new Uint8Array(300);
  const r = rig(card, {
    protocol: s.protocol, N: s.N, repetitions: s.protocol === 1 ? 0 : s.repetitions,
    onReadable() {
      const n = r.uart.readBlock(into, 0);
      if (n > 0) log.push(`${scheduler.exactPs} block ${r.uart.blockEnd} ${Buffer.from(into.subarray(0, Math.min(n, into.length))).toString('hex')} (${n})`);
      for (let x = r.uart.read(); x !== undefined; x = r.uart.read()) log.push(`${scheduler.exactPs} reader ${x}`);
    },
    onWaiting() {
      log.push(`${scheduler.exactPs} waiting`);
    },
    onError(e: CardCharError) {
      log.push(`${scheduler.exactPs} reader error ${e}`);
    },
    onWritable(n: number) {
      log.push(`${scheduler.exactPs} writable ${n}`);
    },
  }, { scheduler, bursts });
  const receive = card.receive.bind(card);
  card.receive = (byte, parityOk) => {
    log.push(`${scheduler.exactPs} card ${byte} ${parityOk}`);
    receive(byte, parityOk);
  };
  card.io.setProtocol(s.protocol);
  for (const st of steps) {
    switch (st.kind) {
      case 'write':
        for (const b of st.bytes) if (r.uart.writable > 0) r.uart.write(b);
        break;
      case 'send':
        if (bulk && st.bad === 0 && st.delay === 0) card.io.sendBytes!(st.bytes);
        else st.bytes.forEach((b, i) => card.io.send(b, { badParity: i === 0 && st.bad > 0, badParityTimes: st.bad, delayEtu: i === 0 ? st.delay : 0 }));
        break;
      case 'block':
        r.uart.writeBlock(Uint8Array.from(st.bytes), st.bytes.length, true, st.wait, st.cwt);
        break;
      case 'tpdu': {
        const lc = st.expected > 0 ? 0 : st.out.length;
        const command = Uint8Array.from([0x00, st.ins, 0, 0, lc > 0 ? lc : st.expected, ...st.out.slice(0, lc)]);
        r.uart.writeTpdu(command, 5 + lc, lc > 0 ? 0 : st.expected, st.wait);
        break;
      }
      case 'advance':
        scheduler.advance(st.etu * ETU);
        break;
      case 'idle':
        scheduler.runUntilIdle(scheduler.now() + 1e9);
        break;
      case 'flush':
        r.uart.flush();
        break;
      case 'silence':
        (card.io as unknown as { silence(): void }).silence();
        break;
      case 'deadlines':
        r.uart.setDeadlines(st.first, st.next);
        break;
      case 'reset':
        r.contacts.setReset(0);
        scheduler.advance(st.etu * ETU);
        r.contacts.setReset(1);
        card.io.setProtocol(s.protocol);
        break;
      case 'rate':
        card.io.setRate(372, st.D);
        break;
      case 'protocol':
        card.io.setProtocol(st.protocol);
        break;
      case 'convention':
        card.io.setConvention(st.inverse ? 'inverse' : 'direct');
        break;
    }
  }
  scheduler.runUntilIdle(scheduler.now() + 1e9);
  log.push(`${scheduler.exactPs} end`);
  for (const e of r.board.line.events) log.push(`event ${e.timeNs} ${e.from} ${e.byte} ${e.parityOk} ${e.repeated} ${e.errorSignalled}`);
  for (const c of r.board.line.record) log.push(`record ${c.timeNs} ${c.signal} ${c.value}`);
  return log;
}

test('bursts, and runs of characters queued at once, give exactly what single characters give: random exchanges, flushes, resets, rate, convention and protocol changes', (t) => {
  t.timeout(180_000, '300 random scenarios, each run three times');
  fc.assert(
    fc.property(setup, fc.array(step, { minLength: 1, maxLength: 25 }), (s, steps) => {
      const reference = play(s, steps, false);
      // In bursts; and in bursts with the card's runs of characters queued at once.
      for (const bulk of [false, true]) {
        const withBursts = play(s, steps, true, bulk);
        const at = withBursts.findIndex((line, i) => line !== reference[i]);
        if (at >= 0 || withBursts.length !== reference.length) {
          throw new Error(`differs at ${at}${bulk ? ' (queued at once)' : ''}: burst ${withBursts[at]} / single ${reference[at]}`);
        }
      }
    }),
    { numRuns: 300 },
  );
  t.pass();
});

test('§7.2 / §11.4.3 a character whose leading edge falls exactly on the receive deadline is in time, in a burst as singly (cases the property above found)', (t) => {
  // The card's characters are 12 etu apart leading edge to leading edge and the deadline is 12 etu:
  // each starts on the tick its deadline expires. The delay "shall not exceed" the waiting time.
  const cases: [Setup, Step[]][] = [
    [{ protocol: 0, N: 0, repetitions: 0 }, [
      { kind: 'deadlines', first: 12, next: 12 }, { kind: 'send', bytes: [0, 0], bad: 0, delay: 0 }, { kind: 'idle' }, { kind: 'write', bytes: [0] },
    ]],
    [{ protocol: 0, N: 0, repetitions: 0 }, [
      { kind: 'block', bytes: [0], wait: 0, cwt: 0 }, { kind: 'idle' }, { kind: 'send', bytes: [0, 0], bad: 0, delay: 0 },
      { kind: 'deadlines', first: 16, next: 12 }, { kind: 'rate', D: 1 },
    ]],
    [{ protocol: 1, N: 0, repetitions: 0 }, [
      { kind: 'deadlines', first: 33, next: 12 }, { kind: 'write', bytes: [0] }, { kind: 'send', bytes: [0, 0, 0], bad: 0, delay: 0 },
    ]],
  ];
  const single = play(...cases[0], false);
  t.is(single.filter((line) => line.endsWith(' reader 0')).length, 2, 'the second character, on the deadline, is received');
  t.true(single.indexOf('23070250000 reader 0') < single.indexOf('23233000000 reader error timeout'), 'the deadline moves on from it');
  for (const [s, steps] of cases) t.deepEqual(play(s, steps, true), play(s, steps, false));
});

test('a burst is one scheduler event per character; its edges are still all there when recorded', (t) => {
  const count = (bursts: boolean): { events: number; edges: number } => {
    const card = new ProbeCard();
    const scheduler = new VirtualScheduler();
    const r = rig(card, { protocol: 1, repetitions: 0 }, { scheduler, bursts });
    card.io.setProtocol(1);
    scheduler.runUntilIdle();
    let events = 0;
    const atTicks = scheduler.atTicks.bind(scheduler);
    scheduler.atTicks = (time, callback) => {
      events++;
      return atTicks(time, callback);
    };
    const from = scheduler.now();
    for (let i = 0; i < 200; i++) r.uart.write(0x55);
    scheduler.runUntilIdle();
    t.is(card.received.length, 200);
    return { events, edges: r.board.line.record.filter((c) => c.signal === 'io' && c.timeNs >= from).length };
  };
  const single = count(false);
  const burst = count(true);
  t.true(burst.events <= 200 + 4, `${burst.events} events for 200 characters in a burst`);
  t.true(single.events >= 2 * 200, `${single.events} events for 200 single characters`);
  // 0x55 toggles I/O at every bit time: 10 edges after each leading one.
  t.is(burst.edges, 200 * 10);
  t.is(single.edges, 200 * 10);
});

function same(withBursts: readonly string[], reference: readonly string[]): void {
  const at = withBursts.findIndex((line, i) => line !== reference[i]);
  if (at >= 0 || withBursts.length !== reference.length) throw new Error(`differs at ${at}: burst ${withBursts[at]} / single ${reference[at]}`);
}

/**
 * A T=1 card takes the middle of the reader's blocks after the fact (SimCard.absorbable), each
 * character at its own time (CardIo.receivedAtNs). Oracle: the same exchange character by character.
 * Random blocks (valid and not, LEN right and wrong) with guard times from the minimum to beyond the
 * card's CWT (a pause longer than CWT starts a new block on the card's side, ISO 7816-3 §11.4.3).
 */
/** What a card engine takes in, each character at the time the card's I/O says it arrived. */
function logCardReceipts(card: { receive(byte: number, parityOk: boolean): void }, log: string[]): void {
  const receive = card.receive.bind(card);
  const io = (card as unknown as { io: { receivedAtNs?: number } }).io;
  card.receive = (byte, parityOk) => {
    log.push(`${io.receivedAtNs} card ${byte} ${parityOk}`);
    receive(byte, parityOk);
  };
}

function playT1(N: number, blocks: readonly { pcb: number; inf: number[]; len: number; waitEtu: number }[], bursts: boolean, recording = true): string[] {
  const card = t1Card();
  const scheduler = new VirtualScheduler();
  const log: string[] = [];
  const into = new Uint8Array(300);
  const r = rig(card, {
    protocol: 1, N, repetitions: 0, edc: 'lrc',
    onReadable() {
      const n = r.uart.readBlock(into, 0);
      if (n > 0) log.push(`${scheduler.exactPs} block ${r.uart.blockEnd} ${Buffer.from(into.subarray(0, Math.min(n, into.length))).toString('hex')}`);
      for (let x = r.uart.read(); x !== undefined; x = r.uart.read()) log.push(`${scheduler.exactPs} reader ${x}`);
    },
    onError(e: CardCharError) {
      log.push(`${scheduler.exactPs} reader error ${e}`);
    },
  }, { scheduler, bursts, recording });
  logCardReceipts(card, log);
  scheduler.runUntilIdle(scheduler.now() + 1e9); // the ATR
  for (const b of blocks) {
    const block = [0x00, b.pcb, b.len, ...b.inf];
    r.uart.writeBlock(Uint8Array.from(block), block.length, true, b.waitEtu, 43);
    scheduler.runUntilIdle(scheduler.now() + 2e9);
  }
  log.push(`${scheduler.exactPs} end ${card.engine.history.join(' ')}`);
  for (const e of r.board.line.events) log.push(`event ${e.timeNs} ${e.from} ${e.byte} ${e.parityOk}`);
  return log;
}

test('a T=1 card takes the reader\'s blocks after the fact exactly as character by character: random blocks, guard times beyond CWT', (t) => {
  t.timeout(180_000, 'random exchanges, each run twice');
  const select = [0x00, 0xa4, 0x00, 0x0c, 0x02, 0x3f, 0x00];
  const inf = fc.oneof(fc.constant(select), fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 40 }));
  const block = fc.record({
    pcb: fc.constantFrom(0x00, 0x40, 0x20, 0x80, 0x90, 0xc1, 0xc0, 0xe3),
    inf,
    lenDelta: fc.constantFrom(0, 0, 0, 1, -1),
    waitEtu: fc.constantFrom(0, 1000, 16_000),
  }).map((b) => ({ pcb: b.pcb, inf: b.inf, len: Math.max(0, b.inf.length + b.lenDelta), waitEtu: b.waitEtu }));
  fc.assert(
    fc.property(fc.constantFrom(0, 0, 10, 30, 40, 254, 255), fc.array(block, { minLength: 1, maxLength: 5 }), (N, blocks) => {
      const reference = playT1(N, blocks, false);
      same(playT1(N, blocks, true), reference);
      // Nothing recorded (serve): the line works out no edges of frames long over; what both sides get is the same.
      same(playT1(N, blocks, true, false), reference.filter((line) => !line.startsWith('event ')));
    }),
    { numRuns: 100 },
  );
  t.pass();
});

/** The same for a T=0 card (header and data taken after the fact, T0CardEngine.absorbable): random TPDUs, the card's own procedure bytes. */
function playT0(N: number, tpdus: readonly { ins: number; p3: number; data: readonly number[] }[], bursts: boolean, byteByByte: boolean, recording = true): string[] {
  const card = findCard(byteByByte ? 't0-bytewise' : 't0-fs')!.create(1);
  const scheduler = new VirtualScheduler();
  const log: string[] = [];
  const into = new Uint8Array(300);
  const r = rig(card, {
    protocol: 0, N, repetitions: 3,
    onReadable() {
      const n = r.uart.readBlock(into, 0);
      if (n > 0) log.push(`${scheduler.exactPs} tpdu ${r.uart.blockEnd} ${Buffer.from(into.subarray(0, Math.min(n, into.length))).toString('hex')}`);
      for (let x = r.uart.read(); x !== undefined; x = r.uart.read()) log.push(`${scheduler.exactPs} reader ${x}`);
    },
    onError(e: CardCharError) {
      log.push(`${scheduler.exactPs} reader error ${e}`);
    },
    onWaiting() {
      log.push(`${scheduler.exactPs} waiting`);
    },
  }, { scheduler, bursts, recording });
  logCardReceipts(card, log);
  scheduler.runUntilIdle(scheduler.now() + 1e9); // the ATR
  for (const t of tpdus) {
    const out = t.data.length > 0;
    const command = Uint8Array.from([0x00, t.ins, 0, 0, out ? t.data.length : t.p3, ...t.data]);
    r.uart.writeTpdu(command, command.length, out ? 0 : (t.p3 === 0 ? 256 : t.p3), 9600);
    scheduler.runUntilIdle(scheduler.now() + 5e9);
  }
  log.push(`${scheduler.exactPs} end`);
  for (const e of r.board.line.events) log.push(`event ${e.timeNs} ${e.from} ${e.byte} ${e.parityOk}`);
  return log;
}

test('a T=0 card takes the header and data after the fact exactly as character by character: random TPDUs', (t) => {
  t.timeout(180_000, 'random exchanges, each run twice');
  const tpdu = fc.record({
    ins: fc.constantFrom(0xa4, 0xb0, 0xd6, 0xc0, 0xee, 0x12),
    p3: fc.constantFrom(0, 2, 16),
    data: fc.oneof(fc.constant([]), fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 40 })),
  });
  fc.assert(
    fc.property(fc.constantFrom(0, 0, 5, 255), fc.boolean(), fc.array(tpdu, { minLength: 1, maxLength: 5 }), (N, byteByByte, tpdus) => {
      const reference = playT0(N, tpdus, false, byteByByte);
      same(playT0(N, tpdus, true, byteByByte), reference);
      same(playT0(N, tpdus, true, byteByByte, false), reference.filter((line) => !line.startsWith('event ')));
    }),
    { numRuns: 100 },
  );
  t.pass();
});
