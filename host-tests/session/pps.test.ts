import test from 'ava';
import fc from 'fast-check';
import { diValue, fmaxHz } from '../../firmware/iso7816/tables.js';
import { checkPpsResponse, encodePpsRequest, ppsRemaining } from '../../firmware/iso7816/pps/codec.js';
import { chooseRate, rateHeld, specificClock } from '../../firmware/iso7816/pps/rate.js';
import { bytes, hex } from './helpers.js';

function request(protocol: number, rate: { fiIndex: number; diIndex: number } | null): Uint8Array {
  const out = new Uint8Array(6);
  return out.subarray(0, encodePpsRequest(out, protocol, rate));
}

const check = (req: Uint8Array, resp: string) => {
  const r = bytes(resp);
  return checkPpsResponse(req, req.length, r, r.length);
};

test('ISO 7816-3 §9.2 request: PPSS FF, PPS0 with b5 for PPS1, PCK makes the XOR zero', (t) => {
  t.is(hex(request(0, { fiIndex: 9, diIndex: 4 })), 'FF10947B');
  t.is(hex(request(1, { fiIndex: 1, diIndex: 3 })), 'FF1113FD');
  t.is(hex(request(1, null)), 'FF01FE');
});

test('ISO 7816-3 §9.2 framing: PPS0 b5–b7 announce PPS1–PPS3, then PCK; bad PPSS is -1', (t) => {
  t.is(ppsRemaining(bytes(''), 0), 2);
  t.is(ppsRemaining(bytes('FF'), 1), 2);
  t.is(ppsRemaining(bytes('FF10'), 2), 2);
  t.is(ppsRemaining(bytes('FF1094'), 3), 1);
  t.is(ppsRemaining(bytes('FF10947B'), 4), 0);
  t.is(ppsRemaining(bytes('FF70'), 2), 4);
  t.is(ppsRemaining(bytes('3B'), 1), -1);
});

test('ISO 7816-3 §9.3 success: an identical echo applies PPS1', (t) => {
  const req = request(0, { fiIndex: 9, diIndex: 4 });
  t.deepEqual(check(req, 'FF10947B'), { kind: 'accepted', fiIndex: 9, diIndex: 4 });
});

test('ISO 7816-3 §9.3 success: PPS1 absent in the reply keeps Fd/Dd', (t) => {
  const req = request(0, { fiIndex: 9, diIndex: 4 });
  t.deepEqual(check(req, 'FF00FF'), { kind: 'accepted', fiIndex: 1, diIndex: 1 });
});

test('ISO 7816-3 §9.3 failures: PPSS, PCK, protocol, PPS1 changed or unrequested, PPS2/PPS3 unrequested', (t) => {
  const req = request(0, { fiIndex: 9, diIndex: 4 });
  t.like(check(req, 'FE109478'), { reason: 'bad-ppss' });
  t.like(check(req, 'FF109478'), { reason: 'bad-pck' });
  t.like(check(req, 'FF11947A'), { reason: 'protocol-changed' });
  t.like(check(req, 'FF10937C'), { reason: 'pps1-changed' });
  t.like(check(req, 'FF3094005B'), { reason: 'pps2-unrequested' });
  t.like(check(req, 'FF5094003B'), { reason: 'pps3-unrequested' });
  t.like(check(request(0, null), 'FF10947B'), { reason: 'pps1-unrequested' });
  t.like(check(req, 'FF10'), { reason: 'truncated' });
});

test('ISO 7816-3 §9.3 response check is total for any bytes (never throws)', (t) => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 8 }), fc.integer({ min: 0, max: 15 }), fc.integer({ min: 0, max: 15 }), (resp, fi, di) => {
    const req = request(0, { fiIndex: fi, diIndex: di });
    const r = checkPpsResponse(req, req.length, resp, resp.length);
    return r.kind === 'accepted' || r.kind === 'rejected';
  }));
  t.pass();
});

test('ISO 7816-3 §9.2 rate choice: TA1 = 96 at a 4 MHz board gives Fi 512, Di 32 with no UART limit', (t) => {
  t.deepEqual(chooseRate(9, 6, [4e6], 4e6, undefined), { fiIndex: 9, diIndex: 6, F: 512, D: 32, clockHz: 4e6 });
});

test('ISO 7816-3 §9.2 rate choice: the clock never exceeds fmax, D is lowered to what the UART holds', (t) => {
  // TA1 = 13 (Fi 372, fmax 5 MHz, Di 4): an 8 MHz clock is out; at 4 MHz Di 4 is 43 011 bit/s.
  t.like(chooseRate(1, 3, [4e6, 8e6], 4e6, undefined), { clockHz: 4e6, D: 4 });
  // A UART limited to 25 000 bit/s: Di 2 (21 505 bit/s) is the fastest it holds.
  t.like(chooseRate(1, 3, [4e6], 4e6, { maxBaud: 25_000 }), { diIndex: 2, D: 2 });
  // Nothing faster than the ATR rate: no PPS.
  t.is(chooseRate(1, 1, [4e6], 4e6, undefined), null);
  // FI with fmax below every board clock: nothing usable.
  t.is(chooseRate(0, 3, [5e6], 5e6, undefined), null);
});

test('ISO 7816-3 §9 never propose a rate the UART divider misses by more than the tolerance (AU9560 lesson)', (t) => {
  // A UART whose divider only makes 80 MHz / n bit rates.
  const limits = { maxBaud: 1e6, closestBaud: (b: number) => 80e6 / Math.round(80e6 / b) };
  t.true(rateHeld(10_752.7, limits));
  const coarse = { maxBaud: 1e6, closestBaud: (b: number) => 50_000 * Math.round(b / 50_000) };
  t.false(rateHeld(43_011, coarse));
  // With only multiples of 50 000 bit/s available, TA1 = 18 (Di 12) at 4 MHz is impossible; D 8 neither.
  t.is(chooseRate(1, 8, [4e6], 4e6, coarse), null);
});

test('ISO 7816-3 §8.3 specific mode: the highest clock ≤ fmax that the UART holds', (t) => {
  t.is(specificClock(1, 1, [2e6, 4e6, 8e6], undefined), 4e6);
  t.is(specificClock(1, 1, [8e6], undefined), null);
  t.is(specificClock(7, 1, [4e6], undefined), null);
});

test('ISO 7816-3 §9 rate choice never exceeds fmax, the card\'s Di or the UART limit', (t) => {
  fc.assert(fc.property(
    fc.integer({ min: 0, max: 15 }), fc.integer({ min: 0, max: 15 }),
    fc.uniqueArray(fc.integer({ min: 1_000_000, max: 20_000_000 }), { minLength: 1, maxLength: 4 }),
    fc.integer({ min: 5_000, max: 1_000_000 }),
    (fi, di, clocks, maxBaud) => {
      const sorted = [...clocks].sort((a, b) => a - b);
      const choice = chooseRate(fi, di, sorted, sorted[0], { maxBaud });
      if (choice === null) return true;
      return choice.fiIndex === fi && choice.D <= diValue(di)! && choice.clockHz <= fmaxHz(fi)! &&
        (choice.D * choice.clockHz) / choice.F <= maxBaud * 1.01;
    }));
  t.pass();
});
