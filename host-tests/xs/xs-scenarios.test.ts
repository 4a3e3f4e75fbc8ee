import test from 'ava';
import { findScenarioFiles, runScenarioFilesInXs } from './scenarios.js';

test('every scenario in host-tests/scenarios passes inside the XS engine', async (t) => {
  // Longer than ava's 10 s: every scenario file bundled and run in the XS engine.
  t.timeout(180_000);
  const files = await findScenarioFiles();
  t.true(files.length > 0, 'no *.scenario.ts file found in host-tests/scenarios');
  const results = await runScenarioFilesInXs(files);
  let ran = 0;
  const failures: string[] = [];
  for (const f of results) {
    if (f.error !== null) failures.push(`${f.file}: ${f.error}`);
    for (const s of f.scenarios) {
      ran++;
      if (!s.ok) failures.push(`${f.file}: ${s.name}: ${s.message}`);
    }
    t.log(`${f.file}: ${f.scenarios.length} scenario(s), ${f.scenarios.filter((s) => s.ok).length} passed in XS`);
  }
  t.log(`${ran} scenario(s) from ${files.length} file(s) ran in XS`);
  const costly = results.flatMap((f) => f.scenarios).sort((a, b) => b.compute - a.compute).slice(0, 3);
  t.log(`most computrons in XS: ${costly.map((s) => `${s.name} (${s.compute.toLocaleString('en-US')})`).join('; ')}`);
  t.true(ran > 0, 'scenario files were found but no scenario ran in XS');
  t.deepEqual(failures, []);
});
