/**
 * ISO 7816-3 §7.2 and §7.3 on the virtual ESP32-S3 board with late interrupts: after each character
 * the reader sends in T=0, the driver looks for the card's error signal (I/O low from 10.5 ± 0.2 etu
 * after the character's leading edge, §7.3). The card's own next character — a procedure byte after
 * the header — starts no earlier than 16 etu after that leading edge (§7.2). When the interrupt
 * latency is long against the etu, the look happens past 16 etu, while the card's procedure byte is
 * already on the line: it must not be taken for an error signal, and the reader must not repeat its
 * character over it. Oracle: the I/O line record (who sent what, when), not the driver's view.
 */
import test from 'ava';
import { findCard } from '../../hal/sim/cards/registry.js';
import type { TransmitResult } from '../../hal/interfaces/slot.js';
import { echoApdu, powerOn } from '../bench/echo-throughput.js';
import { createEsp32s3Reader, prepareEsp32s3 } from '../reader/esp32s3-reader.js';

test('§7.2 / §7.3: T=0 at 312.5 kbit/s with a 10 µs interrupt latency: the card\'s procedure byte is not taken for an error signal and no character is repeated over it', async (t) => {
  t.timeout(120_000);
  await prepareEsp32s3('esp32s3');
  const reader = createEsp32s3Reader('esp32s3', { interruptLatencyNs: 10_000, cards: [findCard('t0-pps-fast')!.create(1)] });
  try {
    const { slot } = reader;
    const scheduler = reader.board.scheduler;
    const line = reader.board.sim.line;
    powerOn({ slot, scheduler, line });
    const a = slot.attributes;
    t.is(a.protocol, 0);
    const etuNs = (a.F * 1e9) / (a.D * a.clockHz);
    t.is(Math.round(1e6 / etuNs * 10) / 10, 312.5);
    const from = line.events.length;
    let result: TransmitResult | null = null;
    const apdu = echoApdu(300);
    slot.transmitApdu(apdu, (x) => (result = x));
    const deadline = scheduler.now() + 60e9;
    while (result === null && scheduler.now() < deadline) {
      const next = scheduler.nextTime;
      if (next === undefined) break;
      scheduler.runUntil(next);
    }
    const res = result as TransmitResult | null;
    if (res === null) return t.fail('the exchange never ended');
    t.is(res.error, null);
    t.is(res.response?.length, 300 + 2);
    const events = line.events.slice(from);
    t.true(events.some((e) => e.from === 'card'), 'the card answered');
    t.deepEqual(events.filter((e) => e.repeated).map((e) => e.byte), [], 'no character repeated');
    t.deepEqual(events.filter((e) => e.errorSignalled).map((e) => e.byte), [], 'no error signal seen by any sender');
    // No reader character starts while a card character (start bit to the end of its guard time) is
    // on the line.
    for (const card of events.filter((e) => e.from === 'card')) {
      const over = events.find((e) => e.from === 'reader' && e.timeNs > card.timeNs && e.timeNs < card.timeNs + 12 * card.etuNs);
      t.is(over, undefined, `reader character over the card's 0x${card.byte.toString(16)} at ${card.timeNs} ns`);
    }
  } finally {
    reader.close();
  }
});
