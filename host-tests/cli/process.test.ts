/**
 * The command as a process: a reader that goes away (`ccid-reader … | head -1`) ends it quietly —
 * exit 0, nothing on stderr — whichever command was writing.
 */
import { spawn } from 'node:child_process';
import test from 'ava';
import { ensureCliBuilt, REPO_ROOT } from './build.js';

function closedStdout(args: readonly string[], input?: string): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  const bin = ensureCliBuilt();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    // The reader is gone before the command writes its first line.
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (chunk) => { stderr += chunk; });
    child.stdin.on('error', () => undefined);
    child.stdin.end(input ?? '');
    child.once('close', (code, signal) => resolve({ code, signal, stderr }));
  });
}

const manyAtrs = Array.from({ length: 2000 }, () => '3B 02 14 50').join('\n');

for (const [args, input] of [[['cards']], [['sim']], [['atr', '--json', '-'], manyAtrs], [['--help']]] as [string[], string?][]) {
  test(`a closed stdout pipe ends \`ccid-reader ${args.join(' ')}\` quietly`, async (t) => {
    const r = await closedStdout(args, input);
    t.is(r.stderr, '');
    t.is(r.signal, null);
    t.is(r.code, 0);
  });
}

test('`ccid-reader sim | head -1` in a shell: one line, no stack trace', async (t) => {
  const bin = ensureCliBuilt();
  const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const shell = spawn('sh', ['-c', `"${process.execPath}" "${bin}" sim | head -1`], { cwd: REPO_ROOT });
    let stdout = '';
    let stderr = '';
    shell.stdout.on('data', (c) => { stdout += c; });
    shell.stderr.on('data', (c) => { stderr += c; });
    shell.once('close', (code) => resolve({ code, stdout, stderr }));
  });
  t.is(result.code, 0);
  t.is(result.stdout.split('\n').length, 2);
  t.regex(result.stdout, /^ccid-reader sim: card t0-fs/);
  t.is(result.stderr, '');
});
