/**
 * A short seeded T=1 fault campaign (ISO/IEC 7816-3 §11.6) that also runs inside XS: the same checks
 * as host-tests/t1/campaign.test.ts (no exchange longer than §11 allows, no silent corruption,
 * documented errors only), on fewer exchanges so the XS run stays quick.
 */
import { runCampaign } from '../t1/campaign.js';
import { check, type Scenario } from './scenario.js';

export const scenarios: Scenario[] = [
  {
    name: 'T=1 §11.6 seeded fault campaign: 40 exchanges, IFSC = IFSD = 32, 10 % faults — no exchange longer than the rules allow, no corruption',
    run() {
      const r = runCampaign({ seed: 0x7e1, exchanges: 40, rate: 0.1, maxData: 80, ifsc: 32, ifsd: 32 });
      check(r.problems.length === 0, r.problems.join('; '));
      check(r.exchanges === 40 && r.corrupted === 0 && r.hung === 0 && r.late === 0, `exchanges ${r.exchanges}, corrupted ${r.corrupted}, hung ${r.hung}, late ${r.late}`);
      check(r.successes > 30, `only ${r.successes} successes`);
    },
  },
];
