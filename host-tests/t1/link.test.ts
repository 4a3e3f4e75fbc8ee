/**
 * The T=1 link alone (firmware/iso7816/t1/link.ts) against an in-test CardUart double: what it writes,
 * which deadlines it arms, when it sends. Timing rules from ISO/IEC 7816-3 §11.2 (BGT) and §11.4.3
 * (CWT, BWT); block bytes hand-worked from §11.3.
 */
import test from 'ava';
import type { CardCharError } from '../../hal/interfaces/card-uart.js';
import { ScriptedUart } from '../session/scripted-uart.js';
import { VirtualScheduler } from '../../hal/sim/scheduler.js';
import { T1Link, type T1LinkOptions } from '../../firmware/iso7816/t1/link.js';
import type { TransmitResult } from '../../hal/interfaces/slot.js';

const hx = (a: ArrayLike<number>) => Array.from(a, (x) => x.toString(16).padStart(2, '0').toUpperCase()).join(' ');
const b = (s: string) => Uint8Array.from(s.replace(/\s+/g, '').match(/../g) ?? [], (x) => parseInt(x, 16));
function lrcBlock(s: string): Uint8Array {
  const u = b(s);
  const out = new Uint8Array(u.length + 1);
  out.set(u);
  out[u.length] = u.reduce((a, x) => a ^ x, 0);
  return out;
}

function setup(options: Partial<T1LinkOptions> = {}) {
  const scheduler = new VirtualScheduler();
  const uart = new ScriptedUart(scheduler);
  const link = new T1Link({ uart, scheduler, clockHz: 4e6, F: 372, D: 1, ifsc: 32, cwi: 13, bwi: 4, edc: 'lrc', ...options });
  const etuNs = (372 * 1e9) / 4e6;
  /** The card's block, arriving after ours could have been sent (our block + BGT at the least). */
  const feed = (block: Uint8Array) => {
    scheduler.runUntil(scheduler.now() + 3000 * etuNs);
    uart.card(block);
    link.handleReadable();
  };
  const error = (e: CardCharError) => {
    uart.interrupted(e === 'timeout');
    link.handleError(e);
  };
  const sent = (from = 0) => hx(uart.sentSince(from));
  return { scheduler, uart, link, etuNs, feed, error, sent };
}

test('§11.4.3 CWT = 11 + 2^CWI etu and BWT = 11 + 2^BWI · 960 · Fd/F · D etu (in etu of the rate in force)', (t) => {
  const { link } = setup();
  t.is(link.cwtEtu, 11 + 8192);
  t.is(link.bwtEtu, 11 + 16 * 960);
  const fast = setup({ F: 372, D: 4, bwi: 1, cwi: 5 }).link;
  t.is(fast.cwtEtu, 43);
  t.is(fast.bwtEtu, 11 + 2 * 960 * 4);
  const f512 = setup({ F: 512, D: 32, bwi: 4 }).link;
  t.is(f512.bwtEtu, 11 + (16 * 960 * 372 * 32) / 512);
});

test('§11.4.3, rule 3: the UART gets BWT (first) and CWT (next); after S(WTX request) ×5 only the next BWT is multiplied', (t) => {
  const { scheduler, uart, link, feed, sent } = setup();
  let waits = 0;
  let result: TransmitResult | null = null;
  link.transmitApdu(b('00A4000C023F00'), (r) => (result = r), (m) => (waits = m));
  scheduler.runUntilIdle();
  t.deepEqual(uart.deadlines.at(-1), [15371, 8203]);
  feed(lrcBlock('00 C3 01 05'));
  scheduler.runUntilIdle();
  t.is(waits, 5);
  t.is(sent().slice(-14), '00 E3 01 05 E7');
  t.deepEqual(uart.deadlines.at(-1), [15371 * 5, 8203]);
  feed(lrcBlock('00 C3 01 01'));
  scheduler.runUntilIdle();
  t.deepEqual(uart.deadlines.at(-1), [15371, 8203]);
  feed(lrcBlock('00 00 02 90 00'));
  t.is(hx((result as TransmitResult | null)?.response ?? []), '90 00');
});

test('§11.2 BGT is the UART\'s: the next block goes to it at once, whole, with its EDC for the UART to append', (t) => {
  const { scheduler, uart, link, feed, sent } = setup();
  link.transmitApdu(b('0102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F202122'), () => {});
  scheduler.runUntilIdle();
  const before = uart.writes.length;
  const transfers = uart.transfers.length;
  feed(lrcBlock('00 90 00'));
  const rxAt = scheduler.now();
  t.is(uart.writes[before].time, rxAt, 'no wait in the link: the UART keeps BGT');
  t.deepEqual(uart.transfers.slice(transfers), [{ kind: 'block', length: 5, addEdc: true }]);
  t.is(sent(before), hx(lrcBlock('00 40 02 21 22')));
});

test('§11.3.2.1 NAD: the reader sends its NAD, accepts the card\'s with SAD and DAD exchanged, and treats another as invalid (rule 7.1)', (t) => {
  const { scheduler, uart, link, feed, sent } = setup({ nad: 0x12 });
  let result: TransmitResult | null = null;
  link.transmitApdu(b('00A4000C023F00'), (r) => (result = r));
  scheduler.runUntilIdle();
  t.is(sent(), hx(lrcBlock('12 00 07 00 A4 00 0C 02 3F 00')));
  const n = uart.writes.length;
  feed(lrcBlock('12 00 02 90 00'));
  scheduler.runUntilIdle();
  t.is(sent(n), hx(lrcBlock('12 82 00')));
  feed(lrcBlock('21 00 02 90 00'));
  t.is(hx((result as TransmitResult | null)?.response ?? []), '90 00');
});

test('rules 7.1, 7.2: a parity error → after CWT of silence R(0) with the EDC bit; the data of that block is never delivered', (t) => {
  const { scheduler, uart, link, feed, error, sent } = setup();
  let result: TransmitResult | null = null;
  link.transmitApdu(b('00A4000C023F00'), (r) => (result = r));
  scheduler.runUntilIdle();
  const n = uart.writes.length;
  error('parity');
  feed(lrcBlock('00 00 02 6A 82'));
  t.is(result, null);
  t.is(uart.writes.length, n, 'waits for the line to be silent');
  error('timeout');
  scheduler.runUntilIdle();
  t.is(sent(n), '00 81 00 81');
  const m = uart.writes.length;
  feed(b('00 00 02 90 00 00')); // bad LRC → rule 7.2: the same R-block again
  error('timeout');
  scheduler.runUntilIdle();
  t.is(sent(m), '00 81 00 81');
  feed(lrcBlock('00 00 02 90 00'));
  t.is(hx((result as TransmitResult | null)?.response ?? []), '90 00');
});

test('Transport: busy → CMD_SLOT_BUSY; abort() → CMD_ABORTED from the loop and S(RESYNCH) opens the next exchange; close() silences', (t) => {
  const { scheduler, uart, link, sent } = setup();
  const results: string[] = [];
  link.transmitApdu(b('00A4000C023F00'), (r) => results.push(`first ${r.error}`));
  link.transmitApdu(b('00A4000C023F00'), (r) => results.push(`second ${r.error}`));
  scheduler.runUntilIdle();
  t.deepEqual(results, ['second CMD_SLOT_BUSY']);
  link.abort();
  t.deepEqual(results, ['second CMD_SLOT_BUSY'], 'not re-entrant');
  scheduler.runUntilIdle();
  t.deepEqual(results, ['second CMD_SLOT_BUSY', 'first CMD_ABORTED']);
  const n = uart.writes.length;
  link.transmitApdu(b('00A4000C023F00'), (r) => results.push(`third ${r.error}`));
  scheduler.runUntilIdle();
  t.is(sent(n), '00 C0 00 C0');
  link.close();
  link.handleError('timeout');
  scheduler.runUntilIdle();
  t.is(results.length, 2);
  link.transmitApdu(b('00'), (r) => results.push(`after close ${r.error}`));
  scheduler.runUntilIdle();
  t.is(results.at(-1), 'after close DEACTIVATED_PROTOCOL');
});

test('XFR_OVERRUN: a response longer than maxResponseLength is not delivered', (t) => {
  const { scheduler, link, feed } = setup({ maxResponseLength: 4 });
  let result: TransmitResult | null = null;
  link.transmitApdu(b('00B0000000'), (r) => (result = r));
  scheduler.runUntilIdle();
  feed(lrcBlock('00 00 05 01 02 03 90 00'));
  t.deepEqual(result, { error: 'XFR_OVERRUN', response: null });
});

test('the UART block path: each block is one writeBlock (no byte-level write), its deadlines BWT and CWT with it', (t) => {
  const { scheduler, uart, link } = setup({ ifsc: 254 });
  const apdu = new Uint8Array(600).fill(0x55);
  link.transmitApdu(apdu, () => {});
  scheduler.runUntilIdle();
  t.deepEqual(uart.transfers, [{ kind: 'block', length: 257, addEdc: true }]);
  t.is(uart.writes.length, 258);
  t.deepEqual(uart.deadlines, [[15371, 8203]]);
});
