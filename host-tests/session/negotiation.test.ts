import test from 'ava';
import { decodeAtr } from '../../firmware/iso7816/atr/decode.js';
import { defaultLink, planAfterAtr, planHostPps, type AtrSituation } from '../../firmware/iso7816/session/atr-plan.js';
import { T1_ATR_SMARTCAFE_DUAL } from '../../hal/sim/cards/t1-card.js';
import { bytes } from './helpers.js';

const situation = (changes: Partial<AtrSituation> = {}): AtrSituation => ({
  voltage: 'C', higherClasses: ['B', 'A'], clocksHz: [4e6], atrClockHz: 4e6, limits: undefined, ppsAllowed: true,
  warmResetTried: false, ...changes,
});
const plan = (atr: string, changes: Partial<AtrSituation> = {}) => planAfterAtr(decodeAtr(bytes(atr)), situation(changes));

test('ISO 7816-3 §6.2.4 no class indicator means class A: move up from C, stay at A', (t) => {
  t.like(plan('3B021450'), { kind: 'change-class', voltage: 'A' });
  t.like(plan('3B021450', { voltage: 'A', higherClasses: [] }), { kind: 'use' });
});

test('ISO 7816-3 §6.2.4 no indicator on a board without class A: the card answered here, stay', (t) => {
  t.like(plan('3B021450', { voltage: 'B', higherClasses: [] }), { kind: 'use' });
});

test('ISO 7816-3 §6.2.4 an indicator excluding every class left → ICC_CLASS_NOT_SUPPORTED', (t) => {
  // TA3 (T=15) = 04: class C only, read at class B with only A above.
  t.like(plan('3B80801F041B', { voltage: 'B', higherClasses: ['A'] }), { kind: 'fail', error: 'ICC_CLASS_NOT_SUPPORTED' });
  // TA3 = 06: classes B and C; at C it stays.
  t.like(plan('3B80801F0619'), { kind: 'use' });
});

test('ISO 7816-3 §8.3 TA2 implicit (b5 = 1): Fd/Dd whatever TA1 says', (t) => {
  const p = plan('3B901110 10', { voltage: 'A', higherClasses: [] });
  t.like(p, { kind: 'use', link: { protocol: 0, F: 372, D: 1, mode: 'specific' } });
});

test('ISO 7816-3 §8.3 TA2 with a protocol the reader lacks: warm reset when b8 = 0, else ICC_PROTOCOL_NOT_SUPPORTED', (t) => {
  t.like(plan('3B90111002', { voltage: 'A', higherClasses: [] }), { kind: 'warm-reset' });
  t.like(plan('3B90111002', { voltage: 'A', higherClasses: [], warmResetTried: true }), { kind: 'fail', error: 'ICC_PROTOCOL_NOT_SUPPORTED' });
  t.like(plan('3B90111082', { voltage: 'A', higherClasses: [] }), { kind: 'fail', error: 'ICC_PROTOCOL_NOT_SUPPORTED' });
});

test('ISO 7816-3 §9 negotiable: PPS when TA1 allows a faster rate; none when it does not; none after a failed PPS', (t) => {
  t.like(plan('3B1296ABCD', { voltage: 'A', higherClasses: [] }), { kind: 'pps', protocol: 0, rate: { F: 512, D: 32 } });
  t.like(plan('3B1211ABCD', { voltage: 'A', higherClasses: [] }), { kind: 'use', link: { F: 372, D: 1 } });
  t.like(plan('3B1296ABCD', { voltage: 'A', higherClasses: [], ppsAllowed: false }), { kind: 'use', link: { F: 372, D: 1, waitFi: 512 } });
});

test('ISO 7816-3 §9.2 a default protocol the reader lacks: PPS selects the first offered one it speaks', (t) => {
  // TD1 = 82 (T=2 first), TD2 = 01 (T=1): TCK required.
  const atr = bytes('3B808201 00');
  let x = 0;
  for (let i = 1; i < atr.length - 1; i++) x ^= atr[i];
  atr[atr.length - 1] = x;
  t.like(planAfterAtr(decodeAtr(atr), situation({ voltage: 'A', higherClasses: [] })), { kind: 'pps', protocol: 1, rate: null });
});

const hostPps = (atr: string, request: string, changes: Partial<AtrSituation> = {}) =>
  planHostPps(decodeAtr(bytes(atr)), situation({ voltage: 'A', higherClasses: [], ...changes }), bytes(request));

test('ISO 7816-3 §9 without PPS: the default protocol at Fd/Dd, whatever TA1 offers; null for a T the reader lacks', (t) => {
  const s = situation({ voltage: 'A', higherClasses: [] });
  t.like(defaultLink(decodeAtr(bytes('3B1296ABCD')), s), { protocol: 0, F: 372, D: 1, waitFi: 512, mode: 'negotiable' });
  // Dual card: TD1 T=0 first, T=1 offered too: the default stays T=0.
  t.like(defaultLink(decodeAtr(bytes(T1_ATR_SMARTCAFE_DUAL)), s), { protocol: 0 });
  const t2 = bytes('3B808201 00');
  let x = 0;
  for (let i = 1; i < t2.length - 1; i++) x ^= t2[i];
  t2[t2.length - 1] = x;
  t.is(defaultLink(decodeAtr(t2), s), null);
});

test('ISO 7816-3 §9.2 host PPS: a well-formed request for an offered T and a rate the board makes is planned as is', (t) => {
  t.like(hostPps('3B1296ABCD', 'FF109679'), { kind: 'pps', protocol: 0, rate: { fiIndex: 9, diIndex: 6, F: 512, D: 32, clockHz: 4e6 }, base: { F: 372, D: 1 } });
  t.like(hostPps('3B1296ABCD', 'FF00FF'), { kind: 'pps', protocol: 0, rate: null });
});

test('ISO 7816-3 §9.2 host PPS refused before it goes out: framing, PCK, PPS2/PPS3, T not offered, rate out of reach', (t) => {
  t.like(hostPps('3B1296ABCD', 'FF1096'), { kind: 'fail', error: 'CMD_ABORTED' });
  t.like(hostPps('3B1296ABCD', 'FF109678'), { kind: 'fail', error: 'CMD_ABORTED' });
  t.like(hostPps('3B1296ABCD', 'FF10967900'), { kind: 'fail', error: 'CMD_ABORTED' });
  t.like(hostPps('3B1296ABCD', 'FF30960059'), { kind: 'fail', error: 'ICC_PROTOCOL_NOT_SUPPORTED' });
  t.like(hostPps('3B1296ABCD', 'FF01FE'), { kind: 'fail', error: 'ICC_PROTOCOL_NOT_SUPPORTED' });
  t.like(hostPps('3B1296ABCD', 'FF109679', { limits: { maxBaud: 100_000 } }), { kind: 'fail', error: 'ICC_PROTOCOL_NOT_SUPPORTED' });
  // FI 7 is RFU: no rate at all.
  t.like(hostPps('3B1296ABCD', 'FF10719E'), { kind: 'fail', error: 'ICC_PROTOCOL_NOT_SUPPORTED' });
});
