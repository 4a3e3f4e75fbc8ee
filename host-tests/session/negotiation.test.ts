import test from 'ava';
import { decodeAtr } from '../../firmware/iso7816/atr.js';
import { planAfterAtr, type AtrSituation } from '../../firmware/iso7816/negotiation.js';
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
