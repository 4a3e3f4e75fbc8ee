/**
 * `npm run bench`: runs every bench the project has (each module exports one async function), prints
 * one readable table per bench and writes everything to build/bench.json. A bench whose module is not
 * there yet is reported as "not available" rather than failing the others; a bench that throws is
 * reported with its error and makes the exit code 1.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

interface BenchSource {
  name: string;
  module: string;
  exportName: string;
}

const BENCHES: readonly BenchSource[] = [
  { name: 'sim', module: './sim-bench.js', exportName: 'benchSim' },
  { name: 't1', module: './t1-bench.js', exportName: 'benchT1' },
  { name: 'pcsc', module: './pcsc-bench.js', exportName: 'benchPcsc' },
  { name: 'vsmartcard', module: './vsmartcard-bench.js', exportName: 'benchVsmartcard' },
  { name: 'soak', module: './soak-bench.js', exportName: 'benchSoak' },
  { name: 'xs', module: './xs-bench.js', exportName: 'benchXs' },
  { name: 'firmware', module: './firmware-cost.js', exportName: 'benchFirmware' },
  { name: 'startup', module: './startup-bench.js', exportName: 'benchStartup' },
  { name: 'esp32s3', module: './esp32s3-bench.js', exportName: 'benchEsp32s3' },
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

type Row = Record<string, unknown>;

function isRow(v: unknown): v is Row {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function formatValue(v: unknown): string {
  // Six significant digits keep ratios such as 1.0001 (the T=1 goal is within 3 %) from showing as 1.
  if (typeof v === 'number') return Number.isInteger(v) ? v.toLocaleString('en-US') : v.toLocaleString('en-US', { maximumSignificantDigits: 6 });
  if (v === null || v === undefined) return '-';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** A table with a header row; numbers right-aligned. */
function grid(title: string, header: readonly string[], body: readonly unknown[][]): string {
  const cells = body.map((r) => r.map(formatValue));
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i].length)));
  const line = `+${widths.map((w) => '-'.repeat(w + 2)).join('+')}+`;
  const fmt = (r: readonly string[], raw?: readonly unknown[]) =>
    `| ${r.map((c, i) => (raw && typeof raw[i] === 'number' ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join(' | ')} |`;
  return [title, line, fmt(header), line, ...cells.map((r, i) => fmt(r, body[i])), line].join('\n');
}

/**
 * A bench result as tables: an array of records becomes one table (a row per record, a column per
 * field); in a record, scalars go to a key/value table and each nested array or record gets its own.
 */
function render(title: string, value: unknown): string[] {
  if (Array.isArray(value) && value.every(isRow)) {
    const header = [...new Set(value.flatMap((r) => Object.keys(r)))];
    return [grid(title, header, value.map((r) => header.map((h) => r[h])))];
  }
  if (!isRow(value)) return [grid(title, ['result'], [[value]])];
  const scalars = Object.entries(value).filter(([, v]) => !isRow(v) && !(Array.isArray(v) && v.every(isRow)));
  const out = scalars.length > 0 ? [grid(title, ['metric', 'value'], scalars)] : [title];
  for (const [k, v] of Object.entries(value)) {
    if (isRow(v) || (Array.isArray(v) && v.every(isRow))) out.push(...render(`${title} / ${k}`, v));
  }
  return out;
}

/** Runs the benches named in `only` (all when empty: `npm run bench -- startup t1` runs two). */
export async function runBenches(only: readonly string[] = []): Promise<number> {
  const unknown = only.filter((name) => !BENCHES.some((b) => b.name === name));
  if (unknown.length > 0) {
    process.stderr.write(`unknown bench ${unknown.join(', ')}: the benches are ${BENCHES.map((b) => b.name).join(', ')}\n`);
    return 2;
  }
  const report: Record<string, Outcome> = {};
  let exit = 0;
  for (const source of BENCHES.filter((b) => only.length === 0 || only.includes(b.name))) {
    process.stdout.write(`running ${source.name} bench…\n`);
    const outcome = await runOne(source);
    report[source.name] = outcome;
    if (outcome.status === 'ok') {
      process.stdout.write(render(`${source.name} (${outcome.seconds.toFixed(1)} s)`, outcome.result).join('\n\n') + '\n\n');
    } else if (outcome.status === 'not available') {
      process.stdout.write(`${source.name}: not available (${outcome.reason})\n\n`);
    } else {
      exit = 1;
      process.stdout.write(`${source.name}: FAILED\n${outcome.error}\n\n`);
    }
  }
  const out = fileURLToPath(new URL('../../build/bench.json', import.meta.url));
  await mkdir(fileURLToPath(new URL('../../build/', import.meta.url)), { recursive: true });
  // A run of some benches keeps the others' last results.
  let earlier: Record<string, Outcome> = {};
  try {
    earlier = (JSON.parse(await readFile(out, 'utf8')) as { benches?: Record<string, Outcome> }).benches ?? {};
  } catch {
    earlier = {};
  }
  await writeFile(out, JSON.stringify({ date: new Date().toISOString(), benches: { ...earlier, ...report } }, null, 2) + '\n');
  process.stdout.write(`written ${out}\n`);
  return exit;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = await runBenches(process.argv.slice(2));
}
