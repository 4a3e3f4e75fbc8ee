/**
 * ISO/IEC 7816-3 §11.6 error handling under seeded random faults (host-tests/t1/campaign.ts): every
 * exchange ends within what §11 allows for what the card did (ruleBound), no success ever carries a
 * wrong response, and every failure is one of the documented SlotErrors. Figures go to the test log.
 */
import test from 'ava';
import { runCampaign, type CampaignOptions, type CampaignReport } from './campaign.js';

function verdict(t: import('ava').ExecutionContext, name: string, o: CampaignOptions, r: CampaignReport): void {
  t.log(`${name}: ${r.exchanges} exchanges, ${r.successes} successes, errors ${JSON.stringify(r.errors)}, ` +
    `card resynchs ${r.resynchs}, reactivations ${r.reactivations}, faults ${JSON.stringify(r.faults)}, ` +
    `worst time/rule bound ${r.worstDeadlineRatio.toFixed(4)} (${r.worstExchange}), ${r.virtualSeconds.toFixed(1)} s virtual`);
  t.deepEqual(r.problems, []);
  t.is(r.exchanges, o.exchanges);
  t.is(r.corrupted, 0, 'no silent corruption');
  t.is(r.hung, 0, 'no exchange without a result by the rules\' worst case');
  t.is(r.late, 0, 'no exchange longer than the rules allow for what the card did');
}

test('§11.6 campaign A (rules 5, 7.1–7.4, 6, 9): 1000 exchanges, LRC, IFSC = IFSD = 32 (chained), 10 % faults of every kind', (t) => {
  const o: CampaignOptions = { seed: 0xa11ce, exchanges: 1000, rate: 0.1, maxData: 80, ifsc: 32, ifsd: 32 };
  const r = runCampaign(o);
  verdict(t, 'A', o, r);
  t.true(r.successes > 0.9 * r.exchanges, 'recovery: most exchanges succeed at 10 % faults');
});

test('§11.6 campaign B (rules 7.1–7.4, 6): 800 exchanges, CRC, IFSC = IFSD = 254, 10 % faults of every kind', (t) => {
  const o: CampaignOptions = { seed: 0xb0b, exchanges: 800, rate: 0.1, maxData: 40, crc: true };
  const r = runCampaign(o);
  verdict(t, 'B', o, r);
  t.true(r.successes > 0.9 * r.exchanges, 'recovery: most exchanges succeed at 10 % faults');
});

test('§11.6 campaign C (rules 6.4, 7.4.2): 300 exchanges at 50 % faults, IFSC 16 / IFSD 20: failures end in SlotErrors, the session recovers by power-on', (t) => {
  const o: CampaignOptions = { seed: 0xc0c0a, exchanges: 300, rate: 0.5, maxData: 60, ifsc: 16, ifsd: 20 };
  const r = runCampaign(o);
  verdict(t, 'C', o, r);
  t.true(r.successes > 0, 'some exchanges still succeed');
});

test('§11.6 campaign D (rule 5 with errors): 40 chained exchanges of up to 1200 bytes (extended APDUs), CRC, 5 % faults', (t) => {
  const o: CampaignOptions = { seed: 0xd00d, exchanges: 40, rate: 0.05, maxData: 1200, crc: true };
  const r = runCampaign(o);
  verdict(t, 'D', o, r);
});
