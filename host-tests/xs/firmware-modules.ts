/**
 * Proof that the firmware runs unchanged in XS: every module of `firmware/`, `hal/common/` and
 * `hal/interfaces/` is bundled into one script and evaluated in a real XS worker, which must also see
 * each module's exports. `firmware/main.ts` is left out by design: it is the device's composition root,
 * the one firmware module allowed to import platform modules (`embedded:*`, `mc/*`) that exist only
 * under mcconfig. Any other firmware module importing one makes the bundle fail, as it should.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleForXs } from './bundle.js';
import { startXsWorker } from './worker.js';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DEVICE_ROOT_MODULE = 'firmware/main.ts';

async function listTs(dir: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(path.join(REPO_ROOT, dir), { withFileTypes: true, recursive: true });
  } catch {
    return [];
  }
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts'))
    .map((e) => path.relative(REPO_ROOT, path.join(e.parentPath, e.name)))
    .sort();
}

export async function listPortableModules(): Promise<string[]> {
  const files = [...await listTs('firmware'), ...await listTs('hal/common'), ...await listTs('hal/interfaces')];
  return files.filter((f) => f !== DEVICE_ROOT_MODULE);
}

export interface XsModuleReport {
  module: string;
  /** Export names XS sees (type-only modules have none). */
  exports: string[];
}

/** Bundle and evaluate the modules in XS; throws with the bundle or XS error. */
export async function evaluateModulesInXs(modules: readonly string[]): Promise<XsModuleReport[]> {
  const lines = modules.map((m, i) => `import * as m${i} from './${m}';`);
  lines.push(`export const modules = { ${modules.map((m, i) => `${JSON.stringify(m)}: m${i}`).join(', ')} };`);
  const script = await bundleForXs({ entry: { contents: lines.join('\n'), resolveDir: REPO_ROOT }, globalName: '__firmware' });
  const worker = await startXsWorker({ name: 'xs-firmware' });
  try {
    const loadError = await worker.load('firmware', `${script}
globalThis.__xsHandlers.firmwareExports = () => {
  const out = {};
  for (const [name, ns] of Object.entries(__firmware.modules)) out[name] = Object.keys(ns);
  return out;
};`);
    if (loadError !== null) throw new Error(`firmware modules threw while loading in XS: ${loadError}`);
    const exports = (await worker.request('firmwareExports')).reply as Record<string, string[]>;
    return modules.map((module) => ({ module, exports: exports[module] ?? [] }));
  } finally {
    await worker.close();
  }
}
