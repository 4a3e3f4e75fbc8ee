import test from 'ava';
import { fileURLToPath } from 'node:url';
import { scenarios } from '../scenarios/ccid.scenario.js';
import { runScenarioFilesInXs } from '../xs/scenarios.js';

for (const scenario of scenarios) {
  test(scenario.name, (t) => {
    t.notThrows(() => scenario.run());
  });
}

test('CCID scenarios pass inside the XS engine too', async (t) => {
  const file = fileURLToPath(new URL('../scenarios/ccid.scenario.ts', import.meta.url));
  const [result] = await runScenarioFilesInXs([file]);
  t.is(result.error, null);
  t.deepEqual(result.scenarios.filter((s) => !s.ok).map((s) => `${s.name}: ${s.message}`), []);
  t.is(result.scenarios.length, scenarios.length);
});
