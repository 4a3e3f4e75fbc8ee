/**
 * The session scenarios of the sim board (host-tests/scenarios/session*.scenario.ts, t1-annex-a,
 * t1-campaign: T=0 with parity errors and repetition, inverse convention, PPS up to TA1 96,
 * deadlines, removal mid-command, T=1 at every block size with error recovery) on the virtual
 * ESP32-S3 board: the same checks, the device's drivers underneath.
 */
import test from 'ava';
import { scenarios as hostNegotiation } from '../scenarios/session-host-negotiation.scenario.js';
import { scenarios as protocols } from '../scenarios/session-protocols.scenario.js';
import { scenarios as scripted } from '../scenarios/session-scripted.scenario.js';
import { scenarios as session } from '../scenarios/session.scenario.js';
import { scenarios as t0Extended } from '../scenarios/session-t0-extended.scenario.js';
import { scenarios as annexA } from '../scenarios/t1-annex-a.scenario.js';
import { scenarios as campaign } from '../scenarios/t1-campaign.scenario.js';
import { useRigBoard } from '../session/rig.js';
import { esp32s3RigBoard } from './rig-board.js';

// Longer than ava's 10 s: the first use builds the board's C to WebAssembly, and the T=1 campaign
// runs hundreds of exchanges through the modelled UART in one synchronous call.
test.before(async (t) => {
  t.timeout(180_000);
  useRigBoard(await esp32s3RigBoard());
});

for (const scenario of [...session, ...protocols, ...scripted, ...hostNegotiation, ...t0Extended, ...annexA, ...campaign]) {
  test(scenario.name, (t) => {
    t.timeout(120_000);
    scenario.run();
    t.pass();
  });
}
