/** Runs the session scenarios (host-tests/scenarios/session*.scenario.ts) under Node; XS runs them too. */
import test from 'ava';
import { scenarios as emv } from '../scenarios/session-emv.scenario.js';
import { scenarios as hostNegotiation } from '../scenarios/session-host-negotiation.scenario.js';
import { scenarios as protocols } from '../scenarios/session-protocols.scenario.js';
import { scenarios as scripted } from '../scenarios/session-scripted.scenario.js';
import { scenarios as session } from '../scenarios/session.scenario.js';

for (const scenario of [...session, ...protocols, ...scripted, ...hostNegotiation, ...emv]) {
  test(scenario.name, (t) => {
    scenario.run();
    t.pass();
  });
}
