/** Runs the session scenarios (host-tests/scenarios/session.scenario.ts) under Node; XS runs them too. */
import test from 'ava';
import { scenarios } from '../scenarios/session.scenario.js';

for (const scenario of scenarios) {
  test(scenario.name, (t) => {
    scenario.run();
    t.pass();
  });
}
