/** Runs the extended-APDU-over-T=0 session scenarios (host-tests/scenarios/session-t0-extended.scenario.ts) under Node; XS runs them too. */
import test from 'ava';
import { scenarios } from '../scenarios/session-t0-extended.scenario.js';

for (const scenario of scenarios) {
  test(scenario.name, (t) => {
    scenario.run();
    t.pass();
  });
}
