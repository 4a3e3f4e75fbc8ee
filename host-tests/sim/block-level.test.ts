/**
 * The block level of the simulated board's card UART (hal/sim/uart.ts with hal/sim/block-transfer.ts)
 * on the simulated line, against a probe card that answers byte by byte: what goes on the line and
 * when (BGT, ISO 7816-3 §11.2; the T=0 turnaround, §7.2), how the card's answer is framed (§11.3 LEN,
 * §11.4.4 EDC; §10.3.3 procedure bytes) and delivered once. The oracle is the line's own record of
 * characters and their times, and blocks worked out by hand.
 */
import test from 'ava';
import type { BlockEnd, CardCharError, CardUart, CardUartOptions } from '../../hal/interfaces/card-uart.js';
import { createSimBoard } from '../../hal/sim/board.js';
import { ProbeCard, hx } from './helpers.js';

const CLOCK = 4_000_000;
const ETU = (372 * 1e9) / CLOCK;

interface Setup {
  card: ProbeCard;
  uart: CardUart;
  board: ReturnType<typeof createSimBoard>;
  events: string[];
  /** Results read on each onReadable: hex and how they ended. */
  blocks: { hex: string; end: BlockEnd }[];
  errors: CardCharError[];
  waits: number;
  /** Called on each block delivered (after it is recorded). */
  then: (() => void) | null;
}

function setup(options: Partial<CardUartOptions> = {}): Setup {
  const card = new ProbeCard();
  const board = createSimBoard({ card, clocksHz: [CLOCK] });
  const contacts = new board.contacts({});
  board.scheduler.advance(20_000_000);
  contacts.setSupply('C');
  contacts.setClock(CLOCK);
  board.scheduler.advance(1_000_000);
  const s: Setup = { card, uart: null as unknown as CardUart, board, events: [], blocks: [], errors: [], waits: 0, then: null };
  const into = new Uint8Array(300);
  const uart: CardUart = new board.uart({
    clockHz: CLOCK, F: 372, D: 1, convention: 'direct', N: 0, protocol: 1, repetitions: 0, edc: 'lrc',
    onReadable() {
      const n = uart.readBlock(into, 0);
      if (n > 0) s.blocks.push({ hex: hx(into.subarray(0, n)), end: uart.blockEnd });
      if (n > 0) s.then?.();
      for (let b = uart.read(); b !== undefined; b = uart.read()) s.events.push(`byte ${hx([b])}`);
    },
    onError(e) {
      s.errors.push(e);
    },
    onWaiting() {
      s.waits++;
    },
    ...options,
  });
  s.uart = uart;
  contacts.setReset(1);
  board.scheduler.advance(1_000);
  return s;
}

/** The card sends `hex` starting `afterEtu` after now (characters at its guard time). */
function cardSends(s: Setup, hex: string, afterEtu = 0): void {
  const bytes = hex.replace(/\s+/g, '').match(/../g)!.map((x) => parseInt(x, 16));
  s.board.scheduler.at(s.board.scheduler.now() + afterEtu * ETU, () => {
    for (const b of bytes) s.card.io.send(b);
  });
}

function run(s: Setup, etu = 20_000): void {
  s.board.scheduler.runUntil(s.board.scheduler.now() + etu * ETU);
}

function characters(s: Setup, from: 'reader' | 'card'): { t: number; byte: number }[] {
  return s.board.line.events.filter((e) => e.from === from).map((e) => ({ t: e.timeNs, byte: e.byte }));
}

test('§11.3, §11.4.4: writeBlock sends the block with its LRC appended, then frames the card\'s block by LEN and checks its EDC', (t) => {
  const s = setup();
  s.uart.writeBlock(Uint8Array.of(0x00, 0x00, 0x02, 0x00, 0xb0), 5, true, 1000, 50);
  run(s, 200);
  t.is(hx(s.card.received.map((r) => r.byte)), '00000200B0B2');
  cardSends(s, '0000029000 92');
  run(s);
  t.deepEqual(s.blocks, [{ hex: '000002900092', end: 'complete' }]);
  t.deepEqual(s.errors, []);
});

test('§11.4.4: a block whose EDC does not check ends \'bad-edc\', delivered once all LEN bytes are in; CRC is appended MSB first (libccid)', (t) => {
  const s = setup();
  s.uart.writeBlock(Uint8Array.of(0x00, 0x00, 0x00), 3, true, 1000, 50);
  run(s, 200);
  cardSends(s, '00000093');
  run(s);
  t.deepEqual(s.blocks, [{ hex: '00000093', end: 'bad-edc' }]);
  const c = setup({ edc: 'crc' });
  c.uart.writeBlock(Uint8Array.from('123456789', (ch) => ch.charCodeAt(0)), 9, true, 1000, 50);
  run(c, 300);
  t.is(hx(c.card.received.slice(-2).map((r) => r.byte)), '6F91', 'CRC-16/MCRF4XX check value of "123456789"');
});

test('§11.2 BGT: the block handed over at once starts 22 etu after the leading edge of the card\'s last character, and a stray moves it', (t) => {
  const s = setup();
  s.uart.writeBlock(Uint8Array.of(0x00, 0x00, 0x00), 3, true, 1000, 50);
  run(s, 200);
  s.then = () => s.uart.writeBlock(Uint8Array.of(0x00, 0x80, 0x00), 3, true, 1000, 50);
  cardSends(s, '00000000', 30);
  run(s, 300);
  const cardLast = characters(s, 'card').at(-1)!.t;
  const ours = characters(s, 'reader').find((c) => c.t > cardLast)!;
  t.is((ours.t - cardLast) / ETU, 22);
  // A stray right after the card's block, while ours waits for BGT.
  s.then = () => s.uart.writeBlock(Uint8Array.of(0x00, 0x90, 0x00), 3, true, 1000, 50);
  cardSends(s, '00000000 5A', 30);
  run(s, 300);
  const stray = characters(s, 'card').at(-1)!;
  t.is(stray.byte, 0x5a);
  const next = characters(s, 'reader').find((c) => c.t > stray.t)!;
  t.is((next.t - stray.t) / ETU, 22);
  t.deepEqual(s.events, ['byte 5A'], 'the stray is a byte outside the transfer');
});

test('§11.4.3: BWT counts from the leading edge of our last character; nothing within it ends the transfer with timeout and no bytes', (t) => {
  const s = setup();
  s.uart.writeBlock(Uint8Array.of(0x00, 0x00, 0x00), 3, true, 500, 50);
  run(s, 2000);
  t.deepEqual(s.errors, ['timeout']);
  t.is(s.uart.readBlock(new Uint8Array(10), 0), 0);
  t.is(s.uart.blockEnd, 'cut');
  const last = characters(s, 'reader').at(-1)!.t;
  t.true(s.board.scheduler.now() >= last + 500 * ETU);
});

test('§11.4.3: CWT passing inside a block ends it with timeout; readBlock gives what came', (t) => {
  const s = setup();
  s.uart.writeBlock(Uint8Array.of(0x00, 0x00, 0x00), 3, true, 1000, 30);
  run(s, 100);
  cardSends(s, '000005 0102');
  run(s);
  t.deepEqual(s.errors, ['timeout']);
  const into = new Uint8Array(10);
  t.is(s.uart.readBlock(into, 0), 5);
  t.is(hx(into.subarray(0, 5)), '0000050102');
  t.deepEqual(s.blocks, []);
});

function t0(): Setup {
  return setup({ protocol: 0, repetitions: 3, N: 0 });
}

test('§10.3.3: writeTpdu sends the header, INS sends the data, SW1 SW2 end it: one delivery of SW1 SW2', (t) => {
  const s = t0();
  s.uart.writeTpdu(Uint8Array.of(0x00, 0xd6, 0x00, 0x00, 0x03, 0xaa, 0xbb, 0xcc), 8, 0, 9600);
  run(s, 100);
  t.is(hx(s.card.received.map((r) => r.byte)), '00D6000003');
  cardSends(s, 'D6', 5);
  run(s, 100);
  t.is(hx(s.card.received.map((r) => r.byte)), '00D6000003AABBCC');
  cardSends(s, '9000', 5);
  run(s);
  t.deepEqual(s.blocks, [{ hex: '9000', end: 'complete' }]);
});

test('§7.2: the reader\'s data after the card\'s procedure byte starts 16 etu after its leading edge', (t) => {
  const s = t0();
  s.uart.writeTpdu(Uint8Array.of(0x00, 0xd6, 0x00, 0x00, 0x01, 0xaa), 6, 0, 9600);
  run(s, 100);
  cardSends(s, 'D6', 5);
  run(s, 100);
  const ins = characters(s, 'card').at(-1)!.t;
  const data = characters(s, 'reader').at(-1)!;
  t.is(data.byte, 0xaa);
  t.is((data.t - ins) / ETU, 16);
});

test('§10.3.3: NULL is noticed (onWaiting), INS ⊕ FF moves one byte at a time in either direction, data then SW1 SW2 in one delivery', (t) => {
  const s = t0();
  s.uart.writeTpdu(Uint8Array.of(0x00, 0xb0, 0x00, 0x00, 0x03), 5, 3, 9600);
  run(s, 100);
  cardSends(s, '60 60 4F 11 4F 22 B0 33 9000', 5);
  run(s);
  t.is(s.waits, 2);
  t.deepEqual(s.blocks, [{ hex: '1122339000', end: 'complete' }]);
  const out = t0();
  out.uart.writeTpdu(Uint8Array.of(0x00, 0xd6, 0x00, 0x00, 0x02, 0xaa, 0xbb), 7, 0, 9600);
  run(out, 100);
  cardSends(out, '29', 5);
  run(out, 100);
  t.is(hx(out.card.received.map((r) => r.byte)), '00D6000002AA');
  cardSends(out, '29', 5);
  run(out, 100);
  t.is(hx(out.card.received.map((r) => r.byte)), '00D6000002AABB');
});

test('§10.3.3: a byte that is no procedure byte ends the TPDU as a conflict, that byte last', (t) => {
  const s = t0();
  s.uart.writeTpdu(Uint8Array.of(0x00, 0xb0, 0x00, 0x00, 0x01), 5, 1, 9600);
  run(s, 100);
  cardSends(s, '42', 5);
  run(s);
  t.deepEqual(s.blocks, [{ hex: '42', end: 'conflict' }]);
});

test('§10.2: WT passing ends the TPDU with timeout (\'cut\'), nothing delivered', (t) => {
  const s = t0();
  s.uart.writeTpdu(Uint8Array.of(0x00, 0xb0, 0x00, 0x00, 0x01), 5, 1, 300);
  run(s, 1000);
  t.deepEqual(s.errors, ['timeout']);
  t.is(s.uart.blockEnd, 'cut');
  t.deepEqual(s.blocks, []);
});
