/**
 * The README's commands, run as a reader would copy them, so the README cannot rot: every fenced `sh`
 * block runs (bash, `set -e`, in an empty folder; `npx ccid-reader` is the built command) unless an
 * HTML comment just above it says `not run by the tests: <why>`; a block under `output of: <command>`
 * must be exactly what the command prints.
 */
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import test from 'ava';
import { requirePackages } from '../setup/debian-packages.js';
import { ensureCliBuilt, REPO_ROOT } from './build.js';

interface Block {
  /** 1-based line of the opening fence. */
  line: number;
  lang: string;
  code: string;
  skip: string | null;
  outputOf: string | null;
}

export function readmeBlocks(markdown: string): Block[] {
  const lines = markdown.split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```(\S*)\s*$/.exec(lines[i]);
    if (open === null) continue;
    let end = i + 1;
    while (end < lines.length && !/^\s*```\s*$/.test(lines[end])) end++;
    let before = i - 1;
    while (before >= 0 && lines[before].trim() === '') before--;
    const comment = before >= 0 ? /^\s*<!--\s*(not run by the tests|output of):\s*(.+?)\s*-->\s*$/.exec(lines[before]) : null;
    blocks.push({
      line: i + 1,
      lang: open[2],
      code: lines.slice(i + 1, end).map((l) => l.slice(Math.min(open[1].length, /^\s*/.exec(l)![0].length))).join('\n'),
      skip: comment?.[1] === 'not run by the tests' ? comment[2] : null,
      outputOf: comment?.[1] === 'output of' ? comment[2] : null,
    });
    i = end;
  }
  return blocks;
}

const blocks = readmeBlocks(readFileSync(join(REPO_ROOT, 'README.md'), 'utf8'));

/** A folder with `npx` and `ccid-reader` that run the built command (other npx uses pass through). */
function shims(dir: string): string {
  const bin = ensureCliBuilt();
  const node = process.execPath;
  const npx = join(dirname(node), 'npx');
  writeFileSync(join(dir, 'npx'), `#!/bin/sh\nif [ "$1" = ccid-reader ]; then shift; exec "${node}" "${bin}" "$@"; fi\nexec "${npx}" "$@"\n`);
  writeFileSync(join(dir, 'ccid-reader'), `#!/bin/sh\nexec "${node}" "${bin}" "$@"\n`);
  chmodSync(join(dir, 'npx'), 0o755);
  chmodSync(join(dir, 'ccid-reader'), 0o755);
  return dir;
}

function bash(code: string, cwd: string, path: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('bash', ['-e', '-c', code], { cwd, env: { ...process.env, PATH: `${path}:${process.env.PATH ?? ''}` }, timeout: 240_000, maxBuffer: 16 << 20 },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr }));
  });
}

test('every sh block of the README is run here or says why not', (t) => {
  const sh = blocks.filter((b) => b.lang === 'sh');
  t.true(sh.length >= 10);
  for (const b of sh) t.true(b.skip === null || b.skip.length > 10, `README line ${b.line}: a reason`);
  t.log(sh.filter((b) => b.skip !== null).map((b) => `line ${b.line} not run: ${b.skip}`).join('\n'));
});

for (const block of blocks.filter((b) => (b.lang === 'sh' && b.skip === null) || b.outputOf !== null)) {
  const first = (block.outputOf ?? block.code.split('\n').find((l) => l.trim() !== '') ?? '').replace(/\s+#.*$/, '').slice(0, 70);
  test.serial(`README line ${block.line}: ${first}`, async (t) => {
    requirePackages('tshark', 'sigrok-cli', 'clang', 'lld');
    t.timeout(300_000, 'README commands run simulated sessions, the virtual ESP32-S3 board, tshark and sigrok-cli');
    const dir = mkdtempSync(join(tmpdir(), 'ccid-readme-'));
    try {
      const path = shims(mkdtempSync(join(tmpdir(), 'ccid-readme-bin-')));
      const r = await bash(block.outputOf ?? block.code, dir, path);
      t.is(r.code, 0, `${r.stdout.slice(-2000)}\n${r.stderr.slice(-2000)}`);
      if (block.outputOf !== null) t.is(r.stdout.trimEnd(), block.code.trimEnd(), 'the README shows what the command prints');
      rmSync(path, { recursive: true, force: true });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
