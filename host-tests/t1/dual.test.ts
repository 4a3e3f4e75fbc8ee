/**
 * The dual-protocol card's T=1 side, and the T=1 link on the simulated line without the session:
 * activation by hand (ISO 7816-3 §6.2.2), ATR, PPS asking for T=1 at TA1 = 18 (§9), then the link
 * (S(IFS) first, rule 1) and APDUs, with the card's T=0 side left unused.
 */
import test from 'ava';
import type { CardUart } from '../../hal/interfaces/card-uart.js';
import { createSimBoard } from '../../hal/sim/board.js';
import { DualProtocolCard } from '../../hal/sim/cards/t1-card.js';
import { T1Link } from '../../firmware/iso7816/t1/link.js';
import type { TransmitResult } from '../../hal/interfaces/slot.js';
import { hex } from '../scenarios/scenario.js';

test('dual card (§9 PPS, §11): PPS FF 11 18 F6 selects T=1 at Fi 372 / Di 12; the T1Link alone then negotiates IFSD and exchanges APDUs', (t) => {
  const card = new DualProtocolCard({ record: true });
  const board = createSimBoard({ card });
  const s = board.scheduler;
  s.runUntil(20e6);
  const contacts = new board.contacts({});
  const rx: number[] = [];
  let uart: CardUart = new board.uart({ clockHz: 4e6, F: 372, D: 1, convention: 'detect', N: 0, protocol: 0, repetitions: 4, onReadable() {
    for (let x = uart.read(); x !== undefined; x = uart.read()) rx.push(x);
  } });
  contacts.setSupply('A');
  contacts.setClock(4e6);
  s.runUntil(s.now() + 200e3);
  contacts.setReset(1);
  s.runUntil(s.now() + 50e6);
  t.is(hex(Uint8Array.from(rx)), '3BF71800008031FE45736674652D6E66C4');
  rx.length = 0;
  for (const byte of [0xff, 0x11, 0x18, 0xf6]) uart.write(byte);
  s.runUntil(s.now() + 50e6);
  t.is(hex(Uint8Array.from(rx)), 'FF1118F6');
  uart.close();
  let link: T1Link | null = null;
  uart = new board.uart({
    clockHz: 4e6, F: 372, D: 12, convention: 'direct', N: 0, protocol: 1, repetitions: 0,
    onReadable: () => link?.handleReadable(), onError: (e) => link?.handleError(e),
  });
  link = new T1Link({ uart, scheduler: s, clockHz: 4e6, F: 372, D: 12, ifsc: 254, cwi: 5, bwi: 4, edc: 'lrc' });
  let ifs = 'pending' as string | null;
  link.negotiateIfsd((e) => (ifs = e));
  s.runUntil(s.now() + 100e6);
  t.is(ifs, null);
  t.is(link.ifsd, 254);
  const results: TransmitResult[] = [];
  for (const apdu of ['00A4000C021000', '00A4000C021001', '00B0000000']) {
    link.transmitApdu(Uint8Array.from(apdu.match(/../g)!.map((x) => parseInt(x, 16))), (r) => results.push(r));
    s.runUntil(s.now() + 500e6);
  }
  t.deepEqual(results.map((r) => r.error), [null, null, null]);
  t.is(results[2].response!.length, 258);
  t.is(card.engine.history[0], '< S(IFS req)');
  t.true(card.engine.history.includes('> I(0,M)'));
});
