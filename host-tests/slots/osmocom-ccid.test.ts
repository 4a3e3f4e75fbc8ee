/** Runs the Osmocom CCID suite scenarios (host-tests/scenarios/osmocom-ccid.scenario.ts) under Node; XS runs them too. */
import test from 'ava';
import { scenarios } from '../scenarios/osmocom-ccid.scenario.js';

for (const scenario of scenarios) {
  test(scenario.name, (t) => {
    t.notThrows(() => scenario.run());
  });
}
