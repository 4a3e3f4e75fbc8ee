import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAX_CARD_FILE_BYTES, loadCard, readCardFile } from './card-file.js';
import { runCli } from './run-cli.js';

function scratch(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'ccid-card-file-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('card file: only a regular file is read, never more than the limit; a FIFO nobody writes does not block', async (t) => {
  const dir = scratch(t);
  const fifo = join(dir, 'card.fifo');
  execFileSync('mkfifo', [fifo]);
  t.deepEqual(await readCardFile(fifo), { error: `${fifo}: not a regular file` });
  t.deepEqual(await readCardFile('/dev/zero'), { error: '/dev/zero: not a regular file' });
  t.deepEqual(await readCardFile(dir), { error: `${dir} is a directory, not a scripted card (a JSON file) nor a built-in card (see 'ccid-reader cards')` });
  t.deepEqual(await readCardFile(join(dir, 'missing.json')), { error: 'no such file' });
  const big = join(dir, 'big.json');
  writeFileSync(big, Buffer.alloc(MAX_CARD_FILE_BYTES + 1, 0x20));
  t.deepEqual(await readCardFile(big), { error: `${big}: larger than ${MAX_CARD_FILE_BYTES} bytes` });
  const exact = join(dir, 'exact.json');
  writeFileSync(exact, Buffer.alloc(MAX_CARD_FILE_BYTES, 0x20));
  t.is((await readCardFile(exact) as { text: string }).text.length, MAX_CARD_FILE_BYTES);
});

test('card file: a scripted card loads from its file, a built-in name wins, errors name the file', async (t) => {
  const dir = scratch(t);
  const file = join(dir, 'card.json');
  writeFileSync(file, JSON.stringify({ name: 'mine', atr: '3B 00', steps: [] }));
  t.is((await loadCard(file, 1) as { card: { name: string } }).card.name, 'mine');
  t.is((await loadCard('t1', 1) as { card: { name: string } }).card.name, 't1');
  t.regex((await loadCard(join(dir, 'nope.json'), 1) as { error: string }).error, /^no built-in card '.*nope\.json' and no such file/);
  writeFileSync(file, '{');
  t.regex((await loadCard(file, 1) as { error: string }).error, /card\.json: not JSON/);
});

test('sim --card /dev/zero is refused at once (exit 2), not read until memory runs out', async (t) => {
  const result = await runCli(['sim', '--card', '/dev/zero']);
  t.is(result.code, 2);
  t.regex(result.stderr, /\/dev\/zero: not a regular file/);
});
