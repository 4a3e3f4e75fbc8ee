/**
 * `sim --vcd` read by an independent tool: Debian's sigrok-cli (libsigrok's VCD input and
 * libsigrokdecode's UART decoder) loads every signal of the file, and its UART decoder — on the I/O
 * line, at the rate f·D/F of ISO/IEC 7816-3 §7.1, 8 data bits with even parity (§7.2) — reads the
 * ATR at the initial rate (Fd = 372, Dd = 1, the clock of the ATR) and the command the reader sent at
 * the negotiated rate, without a parity error.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { requirePackages } from '../setup/debian-packages.js';
import { runCli } from './run-cli.js';

interface Decoded {
  byte: number;
  parityOk: boolean;
}

function sigrok(args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('sigrok-cli', args, { timeout: 60_000, maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`sigrok-cli ${args.join(' ')}: ${error.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

/** The UART decoder's bytes on IO, each flagged when the decoder reported a parity error for it. */
async function decodeIo(file: string, baud: number): Promise<Decoded[]> {
  // Sampled at 20 MHz instead of the file's 1 ns: still over 60 samples per bit at the fastest rate
  // these cards negotiate, and 50 times less work for sigrok.
  const out = await sigrok(['-I', 'vcd:downsample=50', '-i', file, '-P', `uart:rx=IO:baudrate=${Math.round(baud)}:parity=even:data_bits=8`, '-A', 'uart=rx-data:rx-parity-err']);
  const decoded: Decoded[] = [];
  for (const line of out.split('\n')) {
    const text = line.replace(/^uart-\d+:\s*/, '').trim();
    if (/^[0-9A-F]{2}$/.test(text)) decoded.push({ byte: parseInt(text, 16), parityOk: true });
    else if (text === 'Parity error' && decoded.length > 0) decoded[decoded.length - 1].parityOk = false;
  }
  return decoded;
}

const bytes = (hex: string): number[] => hex.match(/../g)!.map((b) => parseInt(b, 16));

function indexOf(decoded: readonly Decoded[], wanted: readonly number[]): number {
  for (let i = 0; i + wanted.length <= decoded.length; i++) {
    if (wanted.every((b, k) => decoded[i + k].byte === b)) return i;
  }
  return -1;
}

/** The VCD's variables in declaration order, and the frequency of the first CLK_<f> wire raised. */
function vcdFacts(text: string): { names: string[]; firstClockHz: number } {
  const ids = new Map<string, string>();
  for (const m of text.matchAll(/\$var wire 1 (\S+) (\S+) \$end/g)) ids.set(m[1], m[2]);
  const body = text.slice(text.indexOf('$enddefinitions'));
  const raised = [...body.matchAll(/^1(\S+)$/gm)].map((m) => ids.get(m[1]) ?? '').find((name) => /^CLK_\d/.test(name));
  if (raised === undefined) throw new Error('no CLK_<f> wire is ever raised');
  return { names: [...text.matchAll(/\$var \S+ \S+ \S+ (\S+) \$end/g)].map((m) => m[1]), firstClockHz: Number(raised.slice(4).replace('M', '.')) * 1e6 };
}

for (const [card, apdu, what] of [
  ['t1', '00A4000C023F00', 'T=1: the APDU inside the reader\'s I-block'],
  ['t0-pps', '00B0000004', 'T=0 after PPS to Di 12: the command header'],
] as const) {
  test(`sigrok-cli loads every VCD signal and decodes the ATR and ${what} (${card})`, async (t) => {
    requirePackages('sigrok-cli');
    // Longer than ava's 10 s: a simulated session and three sigrok-cli runs, on a busy machine.
    t.timeout(120_000);
    const dir = mkdtempSync(join(tmpdir(), 'ccid-vcd-'));
    try {
      const file = join(dir, 'line.vcd');
      const r = await runCli(['sim', '--json', '--card', card, '--apdu', apdu, '--vcd', file]);
      t.is(r.code, 0, r.stderr);
      const report = JSON.parse(r.stdout) as { atr: string; fi: number; di: number; clockHz: number; exchanges: { command: string; error: string | null }[] };
      t.is(report.exchanges[0].error, null);
      const vcd = readFileSync(file, 'utf8');
      const { names, firstClockHz } = vcdFacts(vcd);

      const shown = await sigrok(['-i', file, '--show']);
      const channels = [...shown.matchAll(/^- (\S+): logic$/gm)].map((m) => m[1]);
      t.deepEqual(channels, names, 'sigrok-cli dropped or added a signal');

      // §7.1: the ATR comes at Fd = 372, Dd = 1 under the clock the reader started with.
      const initial = await decodeIo(file, firstClockHz / 372);
      const atr = bytes(report.atr);
      t.deepEqual(initial.slice(0, atr.length).map((d) => d.byte), atr);
      t.true(initial.slice(0, atr.length).every((d) => d.parityOk), 'parity error in the ATR');

      const negotiated = await decodeIo(file, (report.clockHz * report.di) / report.fi);
      const command = bytes(report.exchanges[0].command);
      const at = indexOf(negotiated, command.slice(0, 5));
      t.true(at >= 0, `command header ${apdu.slice(0, 10)} not found at ${report.clockHz} Hz · ${report.di} / ${report.fi}`);
      t.true(negotiated.slice(at, at + 5).every((d) => d.parityOk), 'parity error in the command header');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
