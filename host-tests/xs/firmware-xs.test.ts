import test from 'ava';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { evaluateModulesInXs, listPortableModules, REPO_ROOT } from './firmware-modules.js';

test('every firmware/, hal/common/ and hal/interfaces/ module loads in XS with the exports Node sees', async (t) => {
  const modules = await listPortableModules();
  t.true(modules.length > 0, 'no firmware module found');
  const reports = await evaluateModulesInXs(modules);
  for (const r of reports) {
    // A value export in the source must be visible in XS too (types leave nothing to see).
    const source = await readFile(path.join(REPO_ROOT, r.module), 'utf8');
    const declared = [...source.matchAll(/^export (?:async )?(?:const|function|class|let) (\w+)/gm)].map((m) => m[1]);
    for (const name of declared) t.true(r.exports.includes(name), `${r.module}: export ${name} missing in XS`);
  }
  const valued = reports.filter((r) => r.exports.length > 0).length;
  t.log(`${reports.length} module(s) evaluated in XS (${valued} with value exports)`);
});
