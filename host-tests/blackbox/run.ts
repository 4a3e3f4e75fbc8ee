// Spawns the real `ccid-reader sim --json` (cwd = repository root) on a script of scripts/, one at a
// time per test process (ava runs at most 2 test files at once on the 2 shared cores).
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ensureCliBuilt } from '../cli/build.js';
import { type Scenario } from './cards.js';
import { hx } from './iso.js';

export interface Exchange { command: string; response: string | null; error: string | null; startUs: number; endUs: number }
export interface SimResult {
  card: string; atr: string | null; protocol: 0 | 1 | null; fi: number; di: number; clockHz: number;
  exchanges: Exchange[];
  script: null | { completed: boolean; failedStep: number | null; reason: string | null };
}

const root = fileURLToPath(new URL('../../', import.meta.url));
const scripts = fileURLToPath(new URL('./scripts/', import.meta.url));

/**
 * The board the checks run on (`ccid-reader sim --board`): `sim` unless a test file imports
 * on-esp32s3.ts before the checks, which runs the same checks on the virtual ESP32-S3 board.
 */
let board = 'sim';
export function useBoard(name: string): void {
  board = name;
}

let chain: Promise<unknown> = Promise.resolve();
const cache = new Map<string, Promise<SimResult>>();

function spawnSim(args: string[]): Promise<SimResult> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [ensureCliBuilt(), ...args], { cwd: root, timeout: 120_000, maxBuffer: 16 << 20 },
      (err, stdout, stderr) => {
        const text = stdout.trim();
        try {
          resolve(JSON.parse(text) as SimResult);
        } catch {
          reject(new Error(`sim ${args.join(' ')}: ${err?.message ?? 'no JSON'}\nstdout: ${text.slice(0, 2000)}\nstderr: ${stderr.slice(0, 2000)}`));
        }
      });
  });
}

/** Runs the scenario's script with its APDUs (memoised: one spawn per scenario). */
export function runScenario(s: Scenario): Promise<SimResult> {
  let p = cache.get(s.file);
  if (!p) {
    const args = ['sim', '--json', '--board', board, '--card', scripts + s.file, ...s.apdus.flatMap((a) => ['--apdu', hx(a.command)])];
    p = chain.then(() => spawnSim(args));
    chain = p.catch(() => undefined);
    cache.set(s.file, p);
  }
  return p;
}

/** The sim command line, for messages. */
export const commandLine = (s: Scenario): string =>
  `npx ccid-reader sim --json --board ${board} --card host-tests/blackbox/scripts/${s.file} ` +
  s.apdus.map((a) => `--apdu ${hx(a.command)}`).join(' ');
