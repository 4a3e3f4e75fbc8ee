import test from 'ava';
import { createSimBoardProvider, SIM_BOARD_CLOCKS_HZ, SIM_BOARD_CLASSES, SIM_BOARD_TIMER_HZ } from '../../boards/sim/board.js';
import { findCard } from '../../hal/sim/cards/registry.js';
import { toVcd } from '../../hal/sim/vcd.js';
import { createSimBoard } from '../../hal/sim/board.js';
import { SimCardUart } from '../../hal/sim/uart.js';
import { exchange, hx, openUart, type Rig } from './helpers.js';
import type { CardCharError } from '../../hal/interfaces/card-uart.js';

/** Activate a card on the sim board provider and run a few commands; returns the VCD of the whole run. */
function session(seed: number): { vcd: string; challenge: string } {
  const board = createSimBoardProvider({ seed, card: findCard('t0-fs')!.create(seed) });
  const contacts = new board.card.contacts({});
  board.scheduler.advance(20_000_000);
  contacts.setSupply('C');
  contacts.setClock(SIM_BOARD_CLOCKS_HZ[0]);
  const bytes: number[] = [];
  const errors: CardCharError[] = [];
  const uart = openUart(board.sim, bytes, errors, { convention: 'detect' });
  board.scheduler.advance(200_000);
  contacts.setReset(1);
  board.scheduler.runUntilIdle();
  const r: Rig = { board: board.sim, contacts, uart, bytes, errors };
  exchange(r, [0x00, 0xa4, 0x00, 0x0c, 0x02]);
  exchange(r, [0x10, 0x00]);
  exchange(r, [0x00, 0x84, 0x00, 0x00, 0x08]);
  const challenge = hx(bytes);
  contacts.setReset(0);
  contacts.setClock(0, 1);
  contacts.setSupply(null);
  board.scheduler.runUntilIdle();
  return { vcd: toVcd(board.sim.line.record), challenge };
}

test('determinism: the same seed gives the same line record (and VCD); another seed another challenge', (t) => {
  const a = session(11);
  const b = session(11);
  const c = session(12);
  t.is(a.vcd, b.vcd);
  t.is(a.challenge, b.challenge);
  t.not(a.challenge, c.challenge);
  t.regex(a.challenge, /^84[0-9A-F]{16}9000$/);
});

test('ISO 7816-3 §6: VCC, CLK (with its stop level) and RST changes are recorded in order', (t) => {
  const board = createSimBoardProvider({ seed: 1, card: findCard('mute')!.create(1) });
  const contacts = new board.card.contacts({});
  contacts.setSupply('B');
  contacts.setClock(5_000_000);
  board.scheduler.advance(100_000);
  contacts.setReset(1);
  board.scheduler.advance(100_000);
  contacts.setReset(0);
  contacts.setClock(0, 1);
  contacts.setSupply(null);
  const r = board.sim.line.record.map((c) => `${c.timeNs}:${c.signal}=${c.value}${c.clkLevel !== undefined ? '/' + c.clkLevel : ''}`);
  t.deepEqual(r, ['0:vcc=3', '0:clk=5000000', '100000:rst=1', '200000:rst=0', '200000:clk=0/1', '200000:vcc=0']);
  board.sim.line.clear();
  t.deepEqual(board.sim.line.record, []);
});

test('boards/sim: provider shape, classes lowest voltage first, clocks are exact divisions of 80 MHz', (t) => {
  const board = createSimBoardProvider();
  t.deepEqual([...SIM_BOARD_CLASSES], ['C', 'B', 'A']);
  t.deepEqual([...SIM_BOARD_CLOCKS_HZ], [4e6, 5e6, 8e6, 10e6, 16e6, 20e6]);
  for (const hz of SIM_BOARD_CLOCKS_HZ) t.true(Number.isInteger(SIM_BOARD_TIMER_HZ / hz));
  const contacts = new board.card.contacts({});
  t.deepEqual(contacts.capabilities.clocksHz, SIM_BOARD_CLOCKS_HZ);
  t.deepEqual(contacts.capabilities.classes, SIM_BOARD_CLASSES);
  t.is(board.sim.scheduler, board.scheduler);
  t.throws(() => contacts.setClock(3_579_545));
});

test('ISO 7816-3 §6.2.3: RST low during the ATR silences the card at once', (t) => {
  const board = createSimBoardProvider({ card: findCard('t0-fs')!.create(1) });
  const contacts = new board.card.contacts({});
  board.scheduler.advance(20_000_000);
  contacts.setSupply('C');
  contacts.setClock(4e6);
  board.scheduler.advance(100_000);
  contacts.setReset(1);
  // 12 000 cycles (3 ms) to the ATR, then 1.5 characters.
  board.scheduler.advance(3_000_000 + 1.5 * 12 * 93_000);
  contacts.setReset(0);
  const cut = board.scheduler.now();
  board.scheduler.runUntilIdle();
  t.is(board.sim.line.events.length, 2);
  t.is(board.sim.line.io, 1);
  t.true(board.sim.line.record.filter((c) => c.signal === 'io').every((c) => c.timeNs <= cut));
});

test('a board\'s constructors make instances of the shared classes: however many boards a process makes, their UARTs share one hidden class', (t) => {
  const capabilities = { maxBaud: 250_000 };
  const boards = [createSimBoard(), createSimBoard({ uartCapabilities: capabilities })];
  const options = { clockHz: 4_000_000, F: 372, D: 1, N: 0, protocol: 0 as const, repetitions: 3, convention: 'direct' as const };
  const uarts = boards.map((b) => new b.uart(options));
  const contacts = boards.map((b) => new b.contacts({}));
  t.is(Object.getPrototypeOf(uarts[0]), SimCardUart.prototype);
  t.is(Object.getPrototypeOf(uarts[1]), SimCardUart.prototype);
  t.is(Object.getPrototypeOf(contacts[0]), Object.getPrototypeOf(contacts[1]));
  // The board's UART limits stay on its constructor, where the firmware reads them (CardUartConstructor).
  t.is(boards[0].uart.capabilities, undefined);
  t.is(boards[1].uart.capabilities, capabilities);
  t.throws(() => new boards[1].uart({ ...options, D: 32 }), { instanceOf: RangeError, message: /above the UART's 250000/ });
  for (const u of uarts) u.close();
});
