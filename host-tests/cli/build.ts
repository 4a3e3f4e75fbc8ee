/**
 * The `ccid-reader` command compiled to JavaScript: host-tests/cli/bin.ts and everything it imports,
 * bundled by esbuild into build/cli/ (ES modules for Node 20; one file per subcommand's share, loaded
 * only when that subcommand runs, so `cards` starts without parsing the simulator). npm runs it at
 * `npm ci` (prepare, via host-tests/setup/prepare.ts) and so at `npm pack`; the package ships
 * build/cli/ and needs nothing else at run time.
 *
 * build/cli/inputs.json lists the source files of the build: `ensureCliBuilt` rebuilds when one is
 * newer than the build (tests call it before they spawn the command). A lock file keeps concurrent
 * test processes from building at the same time; the entry file is written last, by a rename, so
 * the command is never seen half-written.
 *
 * Usage: tsx host-tests/cli/build.ts [--if-stale]
 */
import { buildSync } from 'esbuild';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CLI_DIR = join(REPO_ROOT, 'build', 'cli');
/** The command as package.json's "bin" names it. */
export const CLI_BIN = join(CLI_DIR, 'ccid-reader.js');
const INPUTS = join(CLI_DIR, 'inputs.json');
const LOCK = join(REPO_ROOT, 'build', 'cli.lock');

interface Inputs {
  readonly builtAtMs: number;
  readonly files: readonly string[];
}

/** Why the build is out of date, or null when it is current. */
export function cliStaleness(): string | null {
  if (!existsSync(CLI_BIN) || !existsSync(INPUTS)) return 'not built';
  const inputs = JSON.parse(readFileSync(INPUTS, 'utf8')) as Inputs;
  for (const file of inputs.files) {
    const path = join(REPO_ROOT, file);
    if (!existsSync(path)) return `${file} is gone`;
    if (statSync(path).mtimeMs > inputs.builtAtMs) return `${file} changed`;
  }
  return null;
}

/** Bundles the command into build/cli/ (replacing what was there). */
export function buildCli(): void {
  const startedMs = Date.now();
  const result = buildSync({
    entryPoints: { 'ccid-reader': join(REPO_ROOT, 'host-tests', 'cli', 'bin.ts') },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // Chunks beside the entry: modules find package.json and boards/ two levels up (main.ts, board-usb.ts).
    outdir: CLI_DIR,
    chunkNames: '[name]-[hash]',
    write: false,
    metafile: true,
    logLevel: 'silent',
    absWorkingDir: REPO_ROOT,
  });
  mkdirSync(CLI_DIR, { recursive: true });
  const written = new Set<string>();
  const entry = result.outputFiles.find((f) => f.path === CLI_BIN);
  for (const file of [...result.outputFiles.filter((f) => f !== entry), ...(entry ? [entry] : [])]) {
    const temp = `${file.path}.${process.pid}.tmp`;
    writeFileSync(temp, file.contents, { mode: file === entry ? 0o755 : 0o644 });
    renameSync(temp, file.path);
    written.add(basename(file.path));
  }
  const files = Object.keys(result.metafile.inputs)
    .filter((file) => !file.startsWith('node_modules'));
  writeFileSync(INPUTS, `${JSON.stringify({ builtAtMs: startedMs, files } satisfies Inputs, null, 1)}\n`);
  written.add('inputs.json');
  // Chunks of earlier builds go, once no command started from them can still be loading them.
  for (const name of readdirSync(CLI_DIR)) {
    const path = join(CLI_DIR, name);
    if (!written.has(name) && startedMs - statSync(path).mtimeMs > 60_000) rmSync(path, { force: true });
  }
}

/** Rebuilds when stale; safe to call from several processes at once. Returns the bin's path. */
export function ensureCliBuilt(): string {
  if (cliStaleness() === null) return CLI_BIN;
  mkdirSync(join(REPO_ROOT, 'build'), { recursive: true });
  const deadline = Date.now() + 120_000;
  for (;;) {
    let fd: number;
    try {
      fd = openSync(LOCK, 'wx');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      // Another process is building; a lock older than two minutes is a crashed build's.
      const lock = statSync(LOCK, { throwIfNoEntry: false });
      if (lock !== undefined && Date.now() - lock.mtimeMs > 120_000) rmSync(LOCK, { force: true });
      if (Date.now() > deadline) throw new Error(`${LOCK} held for two minutes`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
      continue;
    }
    try {
      if (cliStaleness() !== null) buildCli();
    } finally {
      closeSync(fd);
      rmSync(LOCK, { force: true });
    }
    return CLI_BIN;
  }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const ifStale = process.argv.includes('--if-stale');
  const why = cliStaleness();
  if (!ifStale || why !== null) {
    buildCli();
    process.stderr.write(`built ${relative(process.cwd(), CLI_BIN)}${why === null ? '' : ` (${why})`}\n`);
  }
}
