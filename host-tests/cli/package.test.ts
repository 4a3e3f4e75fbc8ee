/**
 * The package as users get it: `npm pack`, then `npm install -g` of the tarball into a temporary
 * prefix, then the installed `ccid-reader` run from another directory. The tarball holds the built
 * command and the board files host-setup reads, no TypeScript and no dependency: Node alone runs it.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import test from 'ava';
import { ensureCliBuilt, REPO_ROOT } from './build.js';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The installed command sees a plain environment: no loader of ours, Node's folder on PATH. */
const plainEnv = { PATH: `${dirname(process.execPath)}:/usr/bin:/bin`, HOME: tmpdir() };

function exec(file: string, args: readonly string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<Run> {
  return new Promise((resolve) => {
    execFile(file, args, { ...options, timeout: 120_000, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr });
    });
  });
}

function ask(socket: string, line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const client = createConnection(socket, () => client.write(`${line}\n`));
    let text = '';
    client.on('data', (chunk) => {
      text += chunk.toString('utf8');
      if (text.includes('\n')) {
        client.end();
        resolve(text.trim());
      }
    });
    client.on('error', reject);
  });
}

test('npm pack, npm install -g into a prefix: --version, cards, atr, sim, serve and host-setup work from any directory', async (t) => {
  t.timeout(300_000, 'npm pack and npm install -g, then the installed command eight times');
  ensureCliBuilt();
  const dir = mkdtempSync(join(tmpdir(), 'ccid-package-'));
  try {
    const version = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    // The build is current (ensureCliBuilt); --ignore-scripts spares `prepare` building it again.
    const pack = await exec('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: REPO_ROOT });
    t.is(pack.code, 0, pack.stderr);
    const [packed] = JSON.parse(pack.stdout) as { filename: string; files: { path: string }[] }[];
    const files = packed.files.map((f) => f.path);
    t.true(files.includes('build/cli/ccid-reader.js'));
    t.true(files.includes('boards/esp32s3-devkitc/host/provider.js'));
    t.deepEqual(files.filter((f) => f.endsWith('.ts') || f.startsWith('host-tests/') || f.startsWith('firmware/') || f.includes('node_modules')), []);

    const prefix = join(dir, 'prefix');
    const install = await exec('npm', ['install', '-g', '--prefix', prefix, '--no-audit', '--no-fund', '--offline', join(dir, packed.filename)], { cwd: dir });
    t.is(install.code, 0, install.stderr);
    const bin = join(prefix, 'bin', 'ccid-reader');
    t.false(existsSync(join(prefix, 'lib', 'node_modules', 'ccid-reader', 'node_modules')), 'the package installs no dependency');

    const elsewhere = join(dir, 'elsewhere');
    mkdirSync(elsewhere);
    const cli = (...args: string[]) => exec(bin, args, { cwd: elsewhere, env: plainEnv });

    t.like(await cli('--version'), { code: 0, stdout: `${version}\n` });
    const cards = await cli('cards');
    t.is(cards.code, 0, cards.stderr);
    t.regex(cards.stdout, /^t0-fs +T=0/);
    const atr = await cli('atr', '--json', '3B 02 14 50');
    t.is(atr.code, 0, atr.stderr);
    t.like(JSON.parse(atr.stdout), { atr: '3B021450', protocols: [0] });
    const sim = await cli('sim', '--json', '--card', 't0-fs', '--apdu', '00A4000C023F00');
    t.is(sim.code, 0, sim.stderr);
    t.like(JSON.parse(sim.stdout), { card: 't0-fs', exchanges: [{ command: '00A4000C023F00', response: '9000' }] });
    // The virtual ESP32-S3 board needs the repository's development tools: one line that says so.
    const esp32 = await cli('sim', '--board', 'esp32s3', '--card', 't1');
    t.is(esp32.code, 1);
    t.is(esp32.stderr, 'ccid-reader sim: --board esp32s3: the virtual ESP32-S3 board needs the XS headers of @agoric/xsnap, a development dependency: run it from a clone of the repository after npm ci\n');
    const setup = await cli('host-setup', '--board', 'esp32s3-devkitc', '--bundle', join(dir, 'no-bundle'));
    t.regex(setup.stdout, /board esp32s3-devkitc: USB ID 1209:0001 "ESP32-S3 CCID Reader"/, 'the board files come with the package');

    const control = join(dir, 'control.sock');
    const serve = spawn(bin, ['serve', '--usbip', `unix:${join(dir, 'usbip.sock')}`, '--control', `unix:${control}`, '--card', 't1'], { cwd: elsewhere, env: plainEnv });
    let output = '';
    serve.stdout.on('data', (chunk) => { output += chunk; });
    serve.stderr.on('data', (chunk) => { output += chunk; });
    const exited = new Promise<number | null>((resolve) => serve.once('close', resolve));
    try {
      for (let waited = 0; !output.includes('control: listening') && waited < 30_000; waited += 100) await new Promise((r) => setTimeout(r, 100));
      t.regex(output, /control: listening/);
      t.regex(await ask(control, 'status'), /^ok card=t1 /);
    } finally {
      serve.kill('SIGTERM');
    }
    t.is(await exited, 0, output);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
