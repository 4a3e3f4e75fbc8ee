/**
 * How long the installed command takes to start: `ccid-reader cards` and `ccid-reader --version`
 * (the built JavaScript, as package.json's "bin" runs it) against a bare `node -e 0`, in paired runs
 * — each round runs all three back to back, in a rotating order, so load on a shared machine hits
 * them alike. The target: `cards` within 2× of bare Node.
 */
import { spawnSync } from 'node:child_process';
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

const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[values.length >> 1];

export async function benchStartup(): Promise<StartupRow[]> {
  const bin = ensureCliBuilt();
  const commands: [string, string[]][] = [
    ['node -e 0', ['-e', '0']],
    ['ccid-reader cards', [bin, 'cards']],
    ['ccid-reader --version', [bin, '--version']],
  ];
  for (const [, args] of commands) timeMs(args); // warm the file cache
  const times = commands.map(() => [] as number[]);
  for (let round = 0; round < ROUNDS; round++) {
    for (let k = 0; k < commands.length; k++) {
      const i = (round + k) % commands.length;
      times[i].push(timeMs(commands[i][1]));
    }
  }
  return commands.map(([command], i) => ({
    command,
    medianMs: Number(median(times[i]).toFixed(1)),
    ratioToNode: Number(median(times[i].map((t, round) => t / times[0][round])).toFixed(2)),
  }));
}
