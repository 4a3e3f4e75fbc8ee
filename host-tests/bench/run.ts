/**
 * `npm run bench`: runs every bench the project has (each module exports one async function), prints
 * one readable table per bench and writes everything to build/bench.json. A bench whose module is not
 * there yet is reported as "not available" rather than failing the others; a bench that throws is
 * reported with its error and makes the exit code 1.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

interface BenchSource {
  name: string;
  module: string;
  exportName: string;
}

const BENCHES: readonly BenchSource[] = [
  { name: 't1', module: './t1-bench.js', exportName: 'benchT1' },
  { name: 'pcsc', module: './pcsc-bench.js', exportName: 'benchPcsc' },
  { name: 'xs', module: './xs-bench.js', exportName: 'benchXs' },
];

type Outcome =
  | { status: 'ok'; seconds: number; result: unknown }
  | { status: 'not available'; reason: string }
  | { status: 'failed'; error: string };

function isMissingModule(e: unknown, module: string): boolean {
  const err = e as { code?: string; message?: string };
  const base = module.replace(/^\.\//, '').replace(/\.js$/, '');
  return (err.code === 'ERR_MODULE_NOT_FOUND' || /Cannot find module/.test(err.message ?? '')) && (err.message ?? '').includes(base);
}

async function runOne(source: BenchSource): Promise<Outcome> {
  let mod: Record<string, unknown>;
  try {
    mod = await import(source.module) as Record<string, unknown>;
  } catch (e) {
    if (isMissingModule(e, source.module)) return { status: 'not available', reason: `${source.module.replace('./', 'host-tests/bench/').replace(/\.js$/, '.ts')} does not exist` };
    return { status: 'failed', error: `loading ${source.module}: ${(e as Error).stack ?? String(e)}` };
  }
  const fn = mod[source.exportName];
  if (typeof fn !== 'function') return { status: 'not available', reason: `${source.module} does not export ${source.exportName}()` };
  const started = performance.now();
  try {
    const result: unknown = await (fn as () => Promise<unknown>)();
    return { status: 'ok', seconds: (performance.now() - started) / 1000, result };
  } catch (e) {
    return { status: 'failed', error: (e as Error).stack ?? String(e) };
  }
}

/** Flatten a bench result into (metric, value) rows: nested keys joined with '.', arrays by index or `name`. */
function rows(value: unknown, prefix = ''): [string, string][] {
  if (value === null || typeof value !== 'object') return [[prefix || 'result', formatValue(value)]];
  const out: [string, string][] = [];
  const entries = Array.isArray(value)
    ? value.map((v, i) => [v !== null && typeof v === 'object' && 'name' in v ? String((v as { name: unknown }).name) : String(i), v] as const)
    : Object.entries(value);
  for (const [key, v] of entries) {
    if (Array.isArray(value) && v !== null && typeof v === 'object' && 'name' in v) {
      const { name: _name, ...rest } = v as Record<string, unknown>;
      out.push(...rows(rest, prefix ? `${prefix}.${key}` : key));
    } else {
      out.push(...rows(v, prefix ? `${prefix}.${key}` : key));
    }
  }
  return out;
}

function formatValue(v: unknown): string {
  if (typeof v === 'number') return Number.isInteger(v) ? v.toLocaleString('en-US') : v.toLocaleString('en-US', { maximumFractionDigits: 3 });
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function table(title: string, body: [string, string][]): string {
  const w = Math.max(6, ...body.map(([k]) => k.length));
  const v = Math.max(5, ...body.map(([, x]) => x.length));
  const line = `+${'-'.repeat(w + 2)}+${'-'.repeat(v + 2)}+`;
  return [title, line, ...body.map(([k, x]) => `| ${k.padEnd(w)} | ${x.padStart(v)} |`), line].join('\n');
}

export async function runBenches(): Promise<number> {
  const report: Record<string, Outcome> = {};
  let exit = 0;
  for (const source of BENCHES) {
    process.stdout.write(`running ${source.name} bench…\n`);
    const outcome = await runOne(source);
    report[source.name] = outcome;
    if (outcome.status === 'ok') {
      process.stdout.write(table(`${source.name} (${outcome.seconds.toFixed(1)} s)`, rows(outcome.result)) + '\n\n');
    } else if (outcome.status === 'not available') {
      process.stdout.write(`${source.name}: not available (${outcome.reason})\n\n`);
    } else {
      exit = 1;
      process.stdout.write(`${source.name}: FAILED\n${outcome.error}\n\n`);
    }
  }
  const out = fileURLToPath(new URL('../../build/bench.json', import.meta.url));
  await mkdir(fileURLToPath(new URL('../../build/', import.meta.url)), { recursive: true });
  await writeFile(out, JSON.stringify({ date: new Date().toISOString(), benches: report }, null, 2) + '\n');
  process.stdout.write(`written ${out}\n`);
  return exit;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = await runBenches();
}
