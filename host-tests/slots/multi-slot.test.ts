/** Runs the multi-slot reader scenarios (host-tests/scenarios/multi-slot.scenario.ts) under Node; XS runs them too. */
import test from 'ava';
import { scenarios } from '../scenarios/multi-slot.scenario.js';

for (const scenario of scenarios) {
  test(scenario.name, (t) => {
    t.notThrows(() => scenario.run());
  });
}
