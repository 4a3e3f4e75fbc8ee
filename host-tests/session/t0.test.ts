/**
 * T=0 transport (ISO 7816-3 §10, §12.2) against a scripted UART: the test plays the card byte by
 * byte, so each procedure-byte rule and each APDU → TPDU mapping is checked in isolation. The
 * end-to-end runs over the simulated line are in session-*.test.ts.
 */
import test from 'ava';
import fc from 'fast-check';
import type { CardCharError } from '../../hal/interfaces/card-uart.js';
import { VirtualScheduler } from '../../hal/sim/scheduler.js';
import type { TransmitResult } from '../../hal/interfaces/slot.js';
import { T0Transport, type T0TransportOptions } from '../../firmware/iso7816/t0/transport.js';
import { bytes, hex } from './helpers.js';
import { ScriptedUart } from './scripted-uart.js';

function harness(options: Partial<T0TransportOptions> = {}) {
  const scheduler = new VirtualScheduler();
  const uart = new ScriptedUart(scheduler);
  const t0 = new T0Transport({ uart, scheduler, waitingEtu: 9600, ...options });
  uart.onWaiting = () => t0.handleWaiting();
  const results: TransmitResult[] = [];
  let waiting = 0;
  let taken = 0;
  return {
    uart,
    t0,
    results,
    get waiting() {
      return waiting;
    },
    send(apdu: string) {
      t0.transmitApdu(bytes(apdu), (r) => results.push(r), () => waiting++);
    },
    /** The card sends these bytes; returns what the reader wrote since the last call. */
    card(h: string): string {
      uart.card(bytes(h));
      t0.handleReadable();
      return take();
    },
    take,
    error(e: CardCharError) {
      uart.interrupted(e === 'timeout');
      t0.handleError(e);
    },
    settle() {
      scheduler.runUntilIdle();
    },
  };
  function take(): string {
    const out = hex(uart.sentSince(taken));
    taken = uart.writes.length;
    return out;
  }
}

test('ISO 7816-3 §12.2.1 case 1: header with P3 = 00, SW1 SW2 end it; WT armed as the UART deadline', (t) => {
  const h = harness();
  h.send('00A40000');
  t.is(h.take(), '00A4000000');
  t.deepEqual(h.uart.deadlines.at(-1), [9600, 9600]);
  h.card('9000');
  t.is(hex(h.results[0].response), '9000');
  t.deepEqual(h.uart.deadlines.at(-1), [0, 0]);
});

test('ISO 7816-3 §12.2.2 case 2S: Le = 00 goes out as P3 = 00 (256); 6Cxx resends the header with P3 = xx', (t) => {
  const h = harness();
  h.send('00B0000000');
  t.is(h.take(), '00B0000000');
  t.is(h.card('6C04'), '00B0000004');
  h.card('B0 01020304 9000');
  t.deepEqual(h.results, [{ error: null, response: bytes('01020304 9000') }]);
});

test('ISO 7816-3 §10.3.3 NULL (60) restarts WT and reports waiting; INS sends all remaining data', (t) => {
  const h = harness();
  h.send('00D6000003 AABBCC');
  t.is(h.take(), '00D6000003');
  t.is(h.card('60 60'), '');
  t.is(h.waiting, 2);
  t.is(h.card('D6'), 'AABBCC');
  h.card('60 9000');
  t.is(h.waiting, 3);
  t.is(hex(h.results[0].response), '9000');
});

test('ISO 7816-3 §10.3.3 INS ⊕ FF moves one byte at a time, in both directions', (t) => {
  const h = harness();
  h.send('00D6000002 AABB');
  h.take();
  t.is(h.card('29'), 'AA');
  t.is(h.card('29'), 'BB');
  h.card('9000');
  h.send('00B0000002');
  h.take();
  h.card('4F 11 4F 22 9000');
  t.is(hex(h.results[1].response), '11229000');
});

test('ISO 7816-3 §12.2.3 case 4S: sent as case 3, then 61xx → GET RESPONSE with Le = min(xx, Ne), class echoed', (t) => {
  const h = harness();
  h.send('80A4040002 3F00 05');
  t.is(h.take(), '80A4040002');
  t.is(h.card('A4'), '3F00');
  t.is(h.card('6112'), '80C0000005');
  h.card('C0 0102030405 6107');
  t.is(hex(h.results[0].response), '01020304056107');
});

test('ISO 7816-3 §12.2.3 case 4S: Le = 00 fetches everything the card announces; bClassGetResponse overrides the class', (t) => {
  const h = harness({ classGetResponse: 0x00 });
  h.send('80A4040002 3F00 00');
  h.take();
  h.card('A4');
  t.is(h.card('6103'), '00C0000003');
  h.card('C0 AABBCC 9000');
  t.is(hex(h.results[0].response), 'AABBCC9000');
});

test('ISO 7816-4:1995 Annex A case 2E.1 (Ne ≤ 256): the short TPDU with P3 = Ne', (t) => {
  const h = harness();
  h.send('00B00000 000100');
  t.is(h.take(), '00B0000000');
  h.card(`B0 ${'11'.repeat(256)} 9000`);
  t.is(h.results[0].response!.length, 258);
});

test('ISO 7816-4:1995 Annex A case 2E.2 (Ne > 256): the whole APDU in one ENVELOPE, then 61xx → GET RESPONSE up to Ne', (t) => {
  const h = harness();
  h.send('00B00000 00012C'); // Ne = 300: P3 = 00 would let the card answer 256 bytes and 9000 (2E.2c)
  t.is(h.take(), '00C2000007');
  t.is(h.card('C2'), '00B0000000012C');
  t.is(h.card('6100'), '00C0000000');
  t.is(h.card(`C0 ${'11'.repeat(256)} 612C`), '00C000002C');
  h.card(`C0 ${'22'.repeat(44)} 9000`);
  const r = h.results[0].response!;
  t.is(r.length, 302);
  t.is(hex(r.subarray(254)), `${'11'.repeat(2)}${'22'.repeat(44)}9000`);
});

test('ISO 7816-4:1995 Annex A case 2E.2d: a card refusing ENVELOPE (6D00) gets P3 = 00, then repeated 61xx accumulate up to Ne', (t) => {
  const h = harness();
  h.send('00B00000 00012C');
  t.is(h.take(), '00C2000007');
  h.card('C2');
  t.is(h.card('6D00'), '00B0000000');
  t.is(h.card(`B0 ${'11'.repeat(256)} 6100`), '00C000002C');
  h.card(`C0 ${'22'.repeat(44)} 9000`);
  const r = h.results[0].response!;
  t.is(r.length, 302);
  t.is(hex(r.subarray(298)), '22229000');
});

test('ISO 7816-4:1995 Annex A case 2E.2c: 256 bytes and 9000 after P3 = 00 end the command as they are', (t) => {
  const h = harness();
  h.send('00B00000 001000');
  h.take();
  h.card('C2');
  t.is(h.card('6E00'), '00B0000000');
  h.card(`B0 ${'11'.repeat(256)} 9000`);
  t.is(h.results[0].response!.length, 258);
});

test('ISO 7816-4 §7.6.2 case 3E over T=0: the whole command APDU in ENVELOPE chunks of ≤ 255 bytes, chained (§5.4.1)', (t) => {
  const h = harness({ classEnvelope: 0x00 });
  const data = '5A'.repeat(300);
  const apdu = `80D60000 00012C ${data}`;
  h.send(apdu);
  t.is(h.take(), '10C20000FF');
  t.is(h.card('C2'), apdu.replace(/ /g, '').slice(0, 510));
  t.is(h.card('9000'), '00C2000034');
  t.is(h.card('C2'), apdu.replace(/ /g, '').slice(510));
  h.card('9000');
  t.is(hex(h.results[0].response), '9000');
});

test('ISO 7816-4 §5.4.1 CCID bClassEnvelope FF: a proprietary command is enveloped in class 00/10, and GET RESPONSE echoes the ENVELOPE', (t) => {
  const h = harness();
  const apdu = `80EE0000 00012C ${'5A'.repeat(300)} 012C`;
  h.send(apdu);
  t.is(h.take(), '10C20000FF');
  h.card('C2');
  t.is(h.card('9000'), '00C2000036');
  h.card('C2');
  t.is(h.card('6100'), '00C0000000');
  t.is(h.card(`C0 ${'5A'.repeat(256)} 612C`), '00C000002C');
  h.card(`C0 ${'5A'.repeat(44)} 9000`);
  t.is(hex(h.results[0].response), `${'5A'.repeat(300)}9000`);
});

test('ISO 7816-4 §5.4.1 CCID bClassEnvelope FF: the ENVELOPE keeps the logical channel of an interindustry class, not its SM bits', (t) => {
  const cases: [string, string, string][] = [
    ['0D', '11', '01'], // first interindustry values: SM (b4–b3) dropped, channel 1 kept
    ['65', '55', '45'], // further values: SM (b6) dropped, channel 9 (b4–b1 = 5) kept
    ['A0', '10', '00'], // proprietary (GSM SIM class): basic channel, class 00
  ];
  for (const [cla, chained, last] of cases) {
    const h = harness();
    h.send(`${cla}D60000 00012C ${'5A'.repeat(300)}`);
    t.is(h.take(), `${chained}C20000FF`, cla);
    h.card('C2');
    t.is(h.card('9000'), `${last}C2000034`, cla);
  }
});

test('ISO 7816-4 §7.6.2 a refused ENVELOPE chunk ends the command with the card status; a proprietary bClassEnvelope goes out as given, unchained', (t) => {
  const h = harness({ classEnvelope: 0x80 });
  h.send(`80D60000 00012C ${'5A'.repeat(300)}`);
  t.is(h.take(), '80C20000FF');
  h.card('C2');
  h.card('6D00');
  t.is(hex(h.results[0].response), '6D00');
});

test('ISO 7816-3 §12.2.3 case 4E with Nc ≤ 255 (Annex A 4E.1): the short case 3 TPDU, then GET RESPONSE in the command class up to Ne', (t) => {
  const h = harness();
  h.send('A0EE0000 000002 AABB 0200');
  t.is(h.take(), 'A0EE000002');
  t.is(h.card('EE'), 'AABB');
  t.is(h.card('6100'), 'A0C0000000');
  t.is(h.card(`C0 ${'11'.repeat(256)} 6100`), 'A0C0000000');
  h.card(`C0 ${'22'.repeat(256)} 6110`);
  const r = h.results[0].response!;
  t.is(r.length, 514);
  t.is(hex(r.subarray(510)), '22226110');
});

test('ISO 7816-3 §10.3.3 any other procedure byte is PROCEDURE_BYTE_CONFLICT', (t) => {
  const h = harness();
  h.send('00B0000002');
  h.take();
  h.card('55');
  t.deepEqual(h.results, [{ error: 'PROCEDURE_BYTE_CONFLICT', response: null }]);
});

test('ISO 7816-3 §10.2 WT exceeded → ICC_MUTE; repetitions exhausted → XFR_PARITY_ERROR; overrun → XFR_OVERRUN', (t) => {
  const h = harness();
  h.send('00B0000002');
  h.error('timeout');
  h.send('00B0000002');
  h.error('parity');
  h.send('00B0000002');
  h.error('overrun');
  t.deepEqual(h.results.map((r) => r.error), ['ICC_MUTE', 'XFR_PARITY_ERROR', 'XFR_OVERRUN']);
});

test('ISO 7816-4 §5.1 a malformed APDU is refused without reaching the card; results come from the loop', (t) => {
  const h = harness();
  h.send('00A4040002 3F');
  t.is(h.take(), '');
  t.is(h.results.length, 0);
  h.settle();
  t.deepEqual(h.results, [{ error: 'BAD_APDU_LENGTH', response: null }]);
});

test('ISO 7816-3 §12.2 response buffer bound: a response longer than maxResponseLength is XFR_OVERRUN', (t) => {
  const h = harness({ maxResponseLength: 4 });
  h.send('00B0000008');
  h.take();
  h.card('B0 0102030405060708 9000');
  t.deepEqual(h.results, [{ error: 'XFR_OVERRUN', response: null }]);
});

test('abort: the command in progress ends with CMD_ABORTED from the loop; close() silences', (t) => {
  const h = harness();
  h.send('00B0000002');
  h.t0.abort();
  t.is(h.results.length, 0);
  h.settle();
  t.deepEqual(h.results, [{ error: 'CMD_ABORTED', response: null }]);
  h.send('00B0000002');
  h.t0.abort();
  h.t0.close();
  h.settle();
  t.is(h.results.length, 1);
});

test('ISO 7816-3 §10.3.3 any card behaviour ends each command exactly once, without exceptions', (t) => {
  fc.assert(fc.property(fc.uint8Array({ minLength: 4, maxLength: 300 }), fc.uint8Array({ maxLength: 400 }), (apdu, card) => {
    const h = harness({ maxResponseLength: 300 });
    h.t0.transmitApdu(apdu, (r) => h.results.push(r));
    for (const byte of card) {
      if (h.results.length > 0) break;
      h.uart.card([byte]);
      h.t0.handleReadable();
    }
    // The card falls silent: WT expires (the UART reports it) if the command is still open.
    h.error('timeout');
    h.settle();
    return h.results.length === 1 && (h.results[0].error === null) === (h.results[0].response !== null);
  }));
  t.pass();
});

test('CCID TPDU level over T=0 (ISO 7816-3 §10.3.2): a header shorter than 5 bytes or data not matching P3 is refused unsent with BAD_APDU_LENGTH', (t) => {
  for (const tpdu of ['00A400', '00A4000C0200', '00A4000C023F0000']) {
    const h = harness();
    h.t0.transmitTpdu(bytes(tpdu), 0, (r) => h.results.push(r));
    h.settle();
    t.is(h.take(), '', `${tpdu}: nothing sent`);
    t.deepEqual(h.results, [{ error: 'BAD_APDU_LENGTH', response: null }], tpdu);
  }
});
