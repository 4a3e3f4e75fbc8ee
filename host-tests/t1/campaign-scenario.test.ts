/** Runs host-tests/scenarios/t1-campaign.scenario.ts under Node (XS runs it through host-tests/xs). */
import test from 'ava';
import { scenarios } from '../scenarios/t1-campaign.scenario.js';

for (const s of scenarios) {
  test(s.name, (t) => {
    s.run();
    t.pass();
  });
}
