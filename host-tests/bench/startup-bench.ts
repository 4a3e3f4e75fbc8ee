/**
 * How long the installed command takes to start: `ccid-reader cards` and `ccid-reader --version`
 * (the built JavaScript, as package.json's "bin" runs it), `ccid-reader sim` to its answer for one
 * APDU (the whole simulated session included) and `ccid-reader serve` until it listens, against a
 * bare `node -e 0`, in paired runs — each round runs them all back to back, in a rotating order, so
 * load on a shared machine hits them alike. The targets: `cards` within 2× of bare Node; `sim` and
 * `serve` within 0.3 s.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureCliBuilt } from '../cli/build.js';

const ROUNDS = 21;

export interface StartupRow {
  command: string;
  medianMs: number;
  /** Median over the rounds of this command's time divided by bare Node's in the same round. */
  ratioToNode: number;
}

function timeMs(args: readonly string[]): number {
  const started = performance.now();
  const run = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } });
  const elapsed = performance.now() - started;
  if (run.status !== 0) throw new Error(`node ${args.join(' ')} exited ${run.status}: ${run.stderr}`);
  return elapsed;
}

/** Wall ms until the command prints `ready` on stdout; then it is stopped (SIGTERM). */
function timeUntil(args: readonly string[], ready: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } });
    let output = '';
    let done = false;
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (!done && output.includes(ready)) {
        done = true;
        resolve(performance.now() - started);
        child.kill('SIGTERM');
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('exit', (code) => {
      if (!done) reject(new Error(`node ${args.join(' ')} exited ${code} before '${ready}': ${output}`));
    });
  });
}

const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[values.length >> 1];

export async function benchStartup(): Promise<StartupRow[]> {
  const bin = ensureCliBuilt();
  const dir = mkdtempSync(join(tmpdir(), 'ccid-startup-'));
  const serve = [bin, 'serve', '--usbip', `unix:${join(dir, 'usbip.sock')}`, '--control', `unix:${join(dir, 'control.sock')}`, '--card', 't1'];
  // A command, and what it prints when it has started (null: it runs to its end).
  const commands: [string, string[], string | null][] = [
    ['node -e 0', ['-e', '0'], null],
    ['ccid-reader cards', [bin, 'cards'], null],
    ['ccid-reader --version', [bin, '--version'], null],
    ['ccid-reader sim --json --apdu 00A4000C023F00', [bin, 'sim', '--json', '--apdu', '00A4000C023F00'], null],
    ['ccid-reader serve (until it listens)', serve, 'control: listening'],
  ];
  const time = (c: [string, string[], string | null]): Promise<number> => (c[2] === null ? Promise.resolve(timeMs(c[1])) : timeUntil(c[1], c[2]));
  const times = commands.map(() => [] as number[]);
  try {
    for (const c of commands) await time(c); // warm the file cache
    for (let round = 0; round < ROUNDS; round++) {
      for (let k = 0; k < commands.length; k++) {
        const i = (round + k) % commands.length;
        times[i].push(await time(commands[i]));
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return commands.map(([command], i) => ({
    command,
    medianMs: Number(median(times[i]).toFixed(1)),
    ratioToNode: Number(median(times[i].map((t, round) => t / times[0][round])).toFixed(2)),
  }));
}
