import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseServeArgs } from '../cli/serve-command.js';
import { ensureCliBuilt } from '../cli/build.js';
import { REPO_ROOT, runCli } from '../cli/run-cli.js';
import { startManaged } from '../interop/processes.js';

test('serve options: --usbip required, levels, time scale, bad values are usage errors', (t) => {
  t.like(parseServeArgs(['--usbip', 'unix:/run/ccid/u', '--level', 'tpdu', '--time-scale=2.5']), { level: 'tpdu', timeScale: 2.5, card: null, control: null });
  t.like(parseServeArgs(['--usbip', 'unix:/run/ccid/u', '--time-scale', 'max']), { timeScale: 'max' });
  t.regex((parseServeArgs(['--usbip', 'unix:/run/ccid/u', '--time-scale', '1e9']) as { error: string }).error, /^--time-scale: 1e9 is above 1000: .*use 'max'/);
  t.like(parseServeArgs(['--usbip', 'tcp:127.0.0.1:3240', '--card', 't1', '--control', 'unix:/run/ccid/c', '--pcap', 'x.pcap']),
    { card: 't1', control: { kind: 'unix', path: '/run/ccid/c' }, pcap: 'x.pcap', level: 'extended-apdu' });
  t.is(parseServeArgs(['--help']), 'help');
  for (const bad of [[], ['--usbip'], ['--usbip', 'nowhere'], ['--usbip', 'unix:/u', '--level', 'char'], ['--usbip', 'unix:/u', '--time-scale', '0'], ['--usbip', 'unix:/u', '--bogus', '1']]) {
    t.true(typeof parseServeArgs(bad) === 'object' && 'error' in (parseServeArgs(bad) as object), bad.join(' '));
  }
});

test('serve: a bad option or an unknown card exits 2 with the usage', async (t) => {
  const bad = await runCli(['serve', '--usbip', 'unix:/run/ccid/x', '--level', 'char']);
  t.is(bad.code, 2);
  t.regex(bad.stderr, /usage: ccid-reader serve/);
  const card = await runCli(['serve', '--usbip', 'unix:/run/ccid/x', '--card', 'no-such-card']);
  t.is(card.code, 2);
  t.regex(card.stderr, /no built-in card 'no-such-card'/);
});

function ask(path: string, line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(path, () => socket.write(`${line}\n`));
    let text = '';
    socket.on('data', (c) => {
      text += c.toString();
      if (text.includes('\n')) {
        socket.end();
        resolve(text.trim());
      }
    });
    socket.on('error', reject);
  });
}

test('serve: the control socket inserts, removes and reports, answers every line (an empty one with an error); SIGTERM ends the server cleanly', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ccid-serve-'));
  const control = join(dir, 'control.sock');
  const serve = startManaged(process.execPath, [ensureCliBuilt(), 'serve', '--usbip', 'tcp:127.0.0.1:0', '--control', `unix:${control}`, '--card', 't0-fs'], { cwd: REPO_ROOT });
  try {
    await serve.waitFor(/control: listening/, 30_000);
    t.regex(serve.output(), /usbip: listening on tcp:127\.0\.0\.1:\d+ \(bus id 1-1\)/);
    t.regex(await ask(control, 'status'), /^ok card=t0-fs state=\w+ configured=0$/);
    t.is(await ask(control, 'insert t1'), "error: card 't0-fs' is already inserted");
    t.is(await ask(control, 'remove'), 'ok removed');
    t.is(await ask(control, 'remove'), 'error: no card');
    t.regex(await ask(control, 'insert /no/such/file.json'), /^error: no built-in card/);
    t.is(await ask(control, 'insert t1'), 'ok inserted t1');
    t.regex(await ask(control, 'status'), /^ok card=t1 /);
    t.regex(await ask(control, 'dance'), /^error: unknown command 'dance'/);
    t.regex(await ask(control, ''), /^error: empty line/);
    t.regex(await ask(control, ' \t'), /^error: empty line/);
    await serve.stop(5000);
    t.is(serve.child.exitCode, 0, serve.output());
  } finally {
    await serve.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('serve: control insert never blocks the server: a FIFO, /dev/zero, a directory and an oversized file are refused at once, the USB/IP side keeps answering', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ccid-serve-'));
  const control = join(dir, 'control.sock');
  const usbip = join(dir, 'usbip.sock');
  const fifo = join(dir, 'card.fifo');
  execFileSync('mkfifo', [fifo]);
  const big = join(dir, 'big.json');
  writeFileSync(big, `{"name":"big","atr":"3B00","steps":[],"pad":"${'x'.repeat(2_000_000)}"}`);
  const serve = startManaged(process.execPath, [ensureCliBuilt(), 'serve', '--usbip', `unix:${usbip}`, '--control', `unix:${control}`], { cwd: REPO_ROOT });
  try {
    await serve.waitFor(/control: listening/, 30_000);
    // Nobody ever opens the FIFO's other end: a synchronous read would freeze the server for good.
    const fifoAnswer = ask(control, `insert ${fifo}`);
    t.regex(await withTimeout(fifoAnswer, 5000), /^error: .*card\.fifo: not a regular file/);
    t.regex(await withTimeout(ask(control, 'insert /dev/zero'), 5000), /^error: \/dev\/zero: not a regular file/);
    t.regex(await withTimeout(ask(control, `insert ${dir}`), 5000), /^error: .* is a directory/);
    t.regex(await withTimeout(ask(control, `insert ${big}`), 5000), /^error: .*big\.json: larger than \d+ bytes/);
    t.regex(await withTimeout(ask(control, 'status'), 5000), /^ok card=none /);
    // The USB/IP side still answers a device list.
    t.true((await withTimeout(devlist(usbip), 5000)).length > 0);
    t.is(await withTimeout(ask(control, 'insert t1'), 5000), 'ok inserted t1');
  } finally {
    await serve.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    promise.then((v) => { clearTimeout(timer); resolve(v); }, (e) => { clearTimeout(timer); reject(e); });
  });
}

/** OP_REQ_DEVLIST (USB/IP version 0x0111, code 0x8005): resolves with the reply's bytes once the server closes. */
function devlist(path: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = createConnection(path, () => socket.write(Buffer.from([0x01, 0x11, 0x80, 0x05, 0, 0, 0, 0])));
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('end', () => resolve(Buffer.concat(chunks)));
    socket.on('error', reject);
  });
}
