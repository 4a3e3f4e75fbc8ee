import test from 'ava';
import { bundleForXs } from './bundle.js';
import { REPO_ROOT } from './firmware-modules.js';
import { startXsWorker } from './worker.js';

for (const specifier of ['node:fs', 'fs', 'path/posix', 'node:child_process']) {
  test(`a bundle for XS that imports the Node built-in '${specifier}' fails`, async (t) => {
    const entry = { contents: `import * as m from '${specifier}';\nexport const used = m;`, resolveDir: REPO_ROOT };
    await t.throwsAsync(bundleForXs({ entry, globalName: 'x' }), { message: new RegExp(`Node built-in '${specifier}'`) });
  });
}

test('a script that throws while loading is reported, and the worker goes on', async (t) => {
  const worker = await startXsWorker({ name: 'xs-bundle-test' });
  try {
    t.regex((await worker.load('bad', 'throw new RangeError("at load")')) ?? '', /RangeError: at load/);
    const script = await bundleForXs({ entry: { contents: 'export const answer = [1, 2, 3].map((n) => n * 2).join(",");', resolveDir: REPO_ROOT }, globalName: 'good' });
    t.is(await worker.load('good', `${script}\nglobalThis.__xsHandlers.answer = () => good.answer;`), null);
    t.is((await worker.request('answer')).reply, '2,4,6');
    await t.throwsAsync(worker.request('missing'), { message: /no handler for missing/ });
  } finally {
    await worker.close();
  }
});
