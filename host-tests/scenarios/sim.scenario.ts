/**
 * The simulator core (hal/sim: scheduler, line, UART, contacts, cards, VCD) runs unchanged in XS:
 * a card UART talks to the built-in cards over the simulated line. Names start with "sim:".
 */
import type { CardUart } from '../../hal/interfaces/card-uart.js';
import { createSimBoard, type SimBoard } from '../../hal/sim/board.js';
import type { SimCard } from '../../hal/sim/card.js';
import { findCard } from '../../hal/sim/cards/registry.js';
import { parseScriptedCard } from '../../hal/sim/cards/scripted.js';
import { toVcd } from '../../hal/sim/vcd.js';
import { check, hex, type Scenario } from './scenario.js';

interface Bench {
  board: SimBoard;
  uart: CardUart;
  received: number[];
  errors: string[];
  send(bytes: number[]): string;
}

/** Board, card powered at class C and 4 MHz, reset released, UART in 'detect'; runs until the ATR is in. */
function bench(card: SimCard): Bench {
  const board = createSimBoard({ card, seed: 3 });
  const contacts = new board.contacts({});
  board.scheduler.advance(20_000_000);
  contacts.setSupply('C');
  contacts.setClock(4_000_000);
  const received: number[] = [];
  const errors: string[] = [];
  const uart: CardUart = new board.uart({
    clockHz: 4_000_000, F: 372, D: 1, convention: 'detect', N: 0, protocol: 0, repetitions: 4,
    onReadable() {
      for (let b = uart.read(); b !== undefined; b = uart.read()) received.push(b);
    },
    onError(e) {
      errors.push(e);
    },
  });
  board.scheduler.advance(200_000);
  contacts.setReset(1);
  board.scheduler.runUntilIdle();
  return {
    board, uart, received, errors,
    send(bytes) {
      received.length = 0;
      for (const b of bytes) uart.write(b);
      board.scheduler.runUntilIdle();
      return hex(Uint8Array.from(received));
    },
  };
}

export const scenarios: Scenario[] = [
  {
    name: 'sim: ISO 7816-3 §8.1 inverse-convention card: TS read as 3F, then SELECT over T=0',
    run() {
      const b = bench(findCard('t0-inverse')!.create(1));
      check(hex(Uint8Array.from(b.received)) === '3F2F0036AF690204018000000A0E833E9F16', `ATR ${hex(Uint8Array.from(b.received))}`);
      check(b.uart.convention === 'inverse', 'UART switched to inverse');
      check(b.send([0x00, 0xa4, 0x00, 0x0c, 0x02]) === 'A4', 'procedure byte INS');
      check(b.send([0x3f, 0x00]) === '9000', 'SELECT MF');
      check(b.errors.length === 0, `errors ${b.errors.join(',')}`);
    },
  },
  {
    name: 'sim: scripted card and VCD text in XS',
    run() {
      const parsed = parseScriptedCard({ atr: '3B 02 14 50', steps: [{ expect: '00 84 00 00 02', reply: ['84 1234 9000'] }] });
      check('card' in parsed, 'script parses');
      if (!('card' in parsed)) return;
      const b = bench(parsed.card);
      check(b.send([0x00, 0x84, 0x00, 0x00, 0x02]) === '8412349000', 'scripted reply');
      check(parsed.card.status().completed, 'script completed');
      const vcd = toVcd(b.board.line.record);
      check(vcd.includes('$timescale 1 ns $end') && vcd.includes(' VCC_1V8 $end'), 'VCD header and VCC 1.8 V');
    },
  },
];
