/** Runs the simulator scenarios (host-tests/scenarios/sim.scenario.ts) under Node; XS runs them too. */
import test from 'ava';
import { scenarios } from '../scenarios/sim.scenario.js';

for (const scenario of scenarios) {
  test(scenario.name, (t) => {
    scenario.run();
    t.pass();
  });
}
