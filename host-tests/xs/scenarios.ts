/**
 * Runs every `host-tests/scenarios/*.scenario.ts` inside one XS worker: each file is bundled to its
 * own script (so one file's bundle or load failure does not hide the others), loaded, and each of its
 * scenarios is run as a separate request, so a failure names the scenario and the computrons it took.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleForXs } from './bundle.js';
import { startXsWorker } from './worker.js';

export const SCENARIO_DIR = fileURLToPath(new URL('../scenarios/', import.meta.url));

export interface XsScenarioResult {
  name: string;
  ok: boolean;
  /** The error thrown in XS (name, message, stack when XS has one), or null. */
  message: string | null;
  compute: number;
}

export interface XsFileResult {
  file: string;
  /** Why the file could not run at all (bundle error, throw while loading, no `scenarios` export). */
  error: string | null;
  scenarios: XsScenarioResult[];
}

export async function findScenarioFiles(dir = SCENARIO_DIR): Promise<string[]> {
  const names = await readdir(dir);
  return names.filter((n) => n.endsWith('.scenario.ts')).sort().map((n) => path.join(dir, n));
}

const RUNNER = `
globalThis.__xsScenarios = {};
globalThis.__xsHandlers.listScenarios = (file) => {
  const list = globalThis.__xsScenarios[file];
  if (!Array.isArray(list)) throw new Error('the module has no exported "scenarios" array');
  return list.map((s) => String(s.name));
};
globalThis.__xsHandlers.runScenario = ({ file, index }) => {
  try {
    globalThis.__xsScenarios[file][index].run();
    return { ok: true, message: null };
  } catch (e) {
    return { ok: false, message: globalThis.__xsDescribe(e) };
  }
};
`;

export async function runScenarioFilesInXs(files: readonly string[]): Promise<XsFileResult[]> {
  const bundles = await Promise.all(files.map(async (file) => {
    try {
      return { file, script: await bundleForXs({ entry: { file }, globalName: '__scenarioModule' }), error: null };
    } catch (e) {
      return { file, script: null, error: `bundle failed: ${(e as Error).message}` };
    }
  }));
  const worker = await startXsWorker({ name: 'xs-scenarios' });
  try {
    const load = await worker.load('runner', RUNNER);
    if (load !== null) throw new Error(`scenario runner did not load in XS: ${load}`);
    const results: XsFileResult[] = [];
    for (const b of bundles) {
      const file = path.relative(process.cwd(), b.file);
      if (b.script === null) {
        results.push({ file, error: b.error, scenarios: [] });
        continue;
      }
      const key = JSON.stringify(file);
      const loadError = await worker.load(file, `${b.script}\nglobalThis.__xsScenarios[${key}] = __scenarioModule.scenarios;`);
      if (loadError !== null) {
        results.push({ file, error: `threw while loading in XS: ${loadError}`, scenarios: [] });
        continue;
      }
      let names: string[];
      try {
        names = (await worker.request('listScenarios', file)).reply as string[];
      } catch (e) {
        results.push({ file, error: (e as Error).message, scenarios: [] });
        continue;
      }
      const scenarios: XsScenarioResult[] = [];
      for (let index = 0; index < names.length; index++) {
        const { reply, meter } = await worker.request('runScenario', { file, index });
        const r = reply as { ok: boolean; message: string | null };
        scenarios.push({ name: names[index], ok: r.ok, message: r.message, compute: meter.compute });
      }
      results.push({ file, error: null, scenarios });
    }
    return results;
  } finally {
    await worker.close();
  }
}
