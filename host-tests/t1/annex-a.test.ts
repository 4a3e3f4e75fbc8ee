/** Runs the T=1 Annex A scenarios (host-tests/scenarios/t1-annex-a.scenario.ts) under Node; XS runs them too. */
import test from 'ava';
import { scenarios } from '../scenarios/t1-annex-a.scenario.js';

for (const s of scenarios) {
  test(s.name, (t) => {
    s.run();
    t.pass();
  });
}
