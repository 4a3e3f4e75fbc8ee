import test from 'ava';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { builtInCards } from '../../hal/sim/cards/registry.js';
import { captured } from './capture.js';
import { runCli, type CliResult } from './run-cli.js';
import { run as runSim } from './sim-command.js';

/** The `sim --json` contract, keys in order. */
const TOP_KEYS = ['card', 'atr', 'protocol', 'fi', 'di', 'clockHz', 'exchanges', 'script'];
const EXCHANGE_KEYS = ['command', 'response', 'error', 'startUs', 'endUs'];
const HEX = /^(?:[0-9A-F]{2})+$/;
const ERROR_NAME = /^[A-Z][A-Z0-9_]*$/;

interface SimJson {
  card: string;
  atr: string | null;
  protocol: 0 | 1 | null;
  fi: number;
  di: number;
  clockHz: number;
  exchanges: { command: string; response: string | null; error: string | null; startUs: number; endUs: number }[];
  script: null | { completed: boolean; failedStep: number | null; reason: string | null };
}

/** Two simulations at a time: the machine is shared. */
let running = 0;
const waiting: (() => void)[] = [];
async function sim(args: string[]): Promise<CliResult> {
  while (running >= 2) await new Promise<void>((resolve) => waiting.push(resolve));
  running++;
  try {
    return await runCli(['sim', ...args]);
  } finally {
    running--;
    waiting.shift()?.();
  }
}

function parseJson(t: { is(a: unknown, b: unknown, m?: string): void }, r: CliResult): SimJson {
  const lines = r.stdout.trimEnd().split('\n');
  t.is(lines.length, 1, 'exactly one JSON object on stdout');
  return JSON.parse(lines[0]) as SimJson;
}

function checkShape(t: import('ava').ExecutionContext, j: SimJson, commands: string[]): void {
  t.deepEqual(Object.keys(j), TOP_KEYS);
  t.is(typeof j.card, 'string');
  t.true(j.atr === null || HEX.test(j.atr), `atr ${j.atr}`);
  t.true(j.protocol === null || j.protocol === 0 || j.protocol === 1);
  for (const k of ['fi', 'di', 'clockHz'] as const) t.true(Number.isFinite(j[k]) && j[k] > 0, `${k} ${j[k]}`);
  t.deepEqual(j.exchanges.map((x) => x.command), commands);
  let previousEnd = 0;
  for (const x of j.exchanges) {
    t.deepEqual(Object.keys(x), EXCHANGE_KEYS);
    t.true(x.response === null || HEX.test(x.response));
    t.true(x.error === null || ERROR_NAME.test(x.error), `error ${x.error}`);
    t.true((x.response === null) !== (x.error === null), 'either a response or an error');
    t.true(x.startUs >= previousEnd && x.endUs >= x.startUs, `times ${x.startUs}..${x.endUs}`);
    previousEnd = x.endUs;
  }
}

const SELECT_MF = '00A4000C023F00';

for (const card of builtInCards()) {
  test(`sim --json: card ${card.name} follows the contract`, async (t) => {
    const r = await sim(['--card', card.name, '--apdu', SELECT_MF, '--json']);
    t.is(r.code, 0, r.stderr);
    const j = parseJson(t, r);
    checkShape(t, j, [SELECT_MF]);
    t.is(j.card, card.name);
    t.is(j.script, null);
    if (card.name === 'mute') {
      t.is(j.atr, null);
      t.is(j.protocol, null);
      t.truthy(j.exchanges[0].error);
    } else {
      t.not(j.atr, null, 'a built-in card other than mute answers reset');
      t.not(j.protocol, null);
      t.is(j.exchanges[0].error, null);
      t.true((j.exchanges[0].response ?? '').length >= 4, 'the response ends with SW1 SW2');
    }
  });
}

test('sim --json: the mute card gives no ATR and every APDU fails with a CCID error', async (t) => {
  const r = await sim(['--card', 'mute', '--apdu', '00B0000010', '--apdu', '0084000008', '--json']);
  t.is(r.code, 0, r.stderr);
  const j = parseJson(t, r);
  checkShape(t, j, ['00B0000010', '0084000008']);
  t.deepEqual([j.atr, j.protocol], [null, null]);
  t.deepEqual(j.exchanges.map((x) => x.error), ['ICC_MUTE', 'ICC_MUTE']);
});

test('sim --json: a PPS card runs at the negotiated Fi and Di values', async (t) => {
  // t0-pps: TA1 = 18, Fi 372 (index 1) and Di 12 (index 8), accepted by echo.
  const j = parseJson(t, await sim(['--card', 't0-pps', '--apdu', SELECT_MF, '--json']));
  t.deepEqual([j.protocol, j.fi, j.di], [0, 372, 12]);
});

test('sim: the same seed gives the same session', async (t) => {
  const args = ['--card', 't0-fs', '--apdu', '0084000008', '--json', '--seed', '7'];
  const [a, b] = await Promise.all([sim(args), sim(args)]);
  t.is(a.stdout, b.stdout);
  t.is(parseJson(t, a).exchanges[0].error, null);
});

test('sim --json: an extended APDU crosses CCID chained both ways (T=1 ECHO of 300 bytes)', async (t) => {
  // 309-byte command and 302-byte response: both longer than dwMaxCCIDMessageLength − 10 = 261.
  const data = 'A5'.repeat(300);
  const command = `80EE000000012C${data}012C`;
  const r = await sim(['--card', 't1', '--apdu', command, '--json']);
  t.is(r.code, 0, r.stderr);
  const j = parseJson(t, r);
  checkShape(t, j, [command]);
  t.is(j.protocol, 1);
  t.is(j.exchanges[0].response, `${data}9000`);
});

async function scriptFile(name: string, script: unknown): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'ccid-sim-'));
  const file = path.join(dir, name);
  await writeFile(file, JSON.stringify(script));
  return file;
}

/** T=0 SELECT MF without response data: header, INS procedure byte, the 2 data bytes, SW 9000. */
const SELECT_SCRIPT = {
  name: 'select-mf', atr: '3B 02 14 50', pps: 'echo',
  steps: [{ expect: '00 A4 00 0C 02', reply: ['A4'] }, { expect: '3F00', reply: ['90 00'] }],
};

test('sim --card FILE: a script the reader follows completes', async (t) => {
  const file = await scriptFile('pass.json', SELECT_SCRIPT);
  const r = await sim(['--card', file, '--apdu', SELECT_MF, '--json']);
  t.is(r.code, 0, r.stderr);
  const j = parseJson(t, r);
  checkShape(t, j, [SELECT_MF]);
  t.is(j.card, 'select-mf');
  t.is(j.atr, '3B021450');
  t.is(j.exchanges[0].response, '9000');
  t.deepEqual(j.script, { completed: true, failedStep: null, reason: null });
});

test('sim --card FILE: a transmission the script does not expect fails it at that step (exit 1)', async (t) => {
  const file = await scriptFile('fail.json', SELECT_SCRIPT);
  const r = await sim(['--card', file, '--apdu', '00A4000C022F00', '--json']);
  t.is(r.code, 1);
  const j = parseJson(t, r);
  checkShape(t, j, ['00A4000C022F00']);
  t.is(j.script?.completed, false);
  t.is(j.script?.failedStep, 2);
  t.is(typeof j.script?.reason, 'string');
  t.not(j.exchanges[0].error, null);
});

test('sim --card FILE: an invalid script is a usage error', async (t) => {
  const file = await scriptFile('bad.json', { steps: [] });
  const r = await sim(['--card', file]);
  t.is(r.code, 2);
  t.regex(r.stderr, /atr/);
});

test('sim --vcd and --pcap write the waveform and the USB capture', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'ccid-sim-'));
  const vcd = path.join(dir, 'line.vcd');
  const pcap = path.join(dir, 'usb.pcap');
  const r = await sim(['--apdu', SELECT_MF, '--json', '--vcd', vcd, '--pcap', pcap]);
  t.is(r.code, 0, r.stderr);
  const j = parseJson(t, r);
  const text = await readFile(vcd, 'utf8');
  t.regex(text, /\$timescale 1 ns \$end/);
  for (const signal of ['VCC', 'RST', 'IO']) t.regex(text, new RegExp(`\\$var \\w+ \\d+ \\S+ ${signal} \\$end`));
  const times = [...text.matchAll(/^#(\d+)$/gm)].map((m) => Number(m[1]));
  t.true(times.length > 20, 'the I/O line toggles during ATR and APDU');
  t.true(times[times.length - 1] >= j.exchanges[0].endUs * 1000, 'the waveform covers the exchange');
  const capture = await readFile(pcap);
  t.is(capture.readUInt32LE(0) === 0xa1b2c3d4 || capture.readUInt32LE(0) === 0xa1b23c4d, true, 'pcap magic');
  t.is(capture.readUInt32LE(20), 220, 'LINKTYPE_USB_LINUX_MMAPPED');
  t.true(capture.length > 24 + 16 * 10, 'records follow the header');
});

test('sim --json --trace: one JSON object on stdout, the protocol trace on stderr', async (t) => {
  const r = await sim(['--apdu', SELECT_MF, '--json', '--trace']);
  t.is(r.code, 0, r.stderr);
  parseJson(t, r);
  t.regex(r.stderr, /PC_to_RDR_IccPowerOn/);
  t.regex(r.stderr, /ATR/);
});

test('sim: the demo session (npm start) powers the card, runs several APDUs and removes the card', async (t) => {
  const [text, json] = await Promise.all([sim([]), sim(['--json'])]);
  t.is(text.code, 0, text.stderr);
  for (const phrase of ['card inserted', 'PC_to_RDR_IccPowerOn', 'ATR 3B 02 14 50', 'SW 90 00', 'time extension', 'card removed', 'GetSlotStatus: no card']) t.true(text.stdout.includes(phrase), phrase);
  const j = parseJson(t, json);
  t.is(j.card, 't0-fs');
  t.true(j.exchanges.length >= 3);
  t.deepEqual(j.exchanges.map((x) => x.error), j.exchanges.map(() => null));
});

for (const [args, pattern] of [
  [['--bogus'], /unknown option '--bogus'/],
  [['--apdu'], /--apdu needs a value/],
  [['--apdu', 'XYZ'], /not hex: 'X' at character 1/],
  [['--apdu', '00A'], /odd length: 3 hex digits/],
  [['--card', 'no-such-card'], /no built-in card 'no-such-card'/],
  [['--seed', '-1'], /--seed/],
  [['--json=1'], /takes no value/],
] as [string[], RegExp][]) {
  // In this process: a usage error is decided before any simulation starts.
  test.serial(`sim ${args.join(' ')}: usage error, exit 2`, async (t) => {
    const r = await captured(() => runSim(args));
    t.is(r.code, 2);
    t.regex(r.stderr, pattern);
    t.is(r.stdout, '');
  });
}

test('ISO 7816-4 §5.1 Ne: T=0 and T=1 cards give the same bytes — at most Ne, the rest behind 61xx for GET RESPONSE', async (t) => {
  const apdus = ['00A40000022F0005', '00C000000B', '00A40000022F00', '00C0000000', '00C0000000'];
  const expected = ['620E820101610B', '83022F00800200208A01059000', '6110', '620E82010183022F00800200208A01059000', '6985'];
  const runs = await Promise.all(['t0-fs', 't1', 't1-crc', 'dual'].map((card) => sim(['--json', '--card', card, ...apdus.flatMap((a) => ['--apdu', a])])));
  for (const r of runs) {
    const j = parseJson(t, r);
    t.deepEqual(j.exchanges.map((x) => x.response), expected, j.card);
  }
});

test('CCID §6.2.6 / ISO 7816-3 §12.1: a command that is no APDU fails alike on T=0 and T=1 with bError 1 (dwLength), unsent', async (t) => {
  const runs = await Promise.all(['t0-fs', 't1'].map((card) => sim(['--json', '--card', card, '--apdu', '00', '--apdu', '00A4', '--apdu', '00A40000022F00'])));
  for (const r of runs) {
    const j = parseJson(t, r);
    t.deepEqual(j.exchanges.map((x) => [x.response, x.error]), [[null, 'BAD_FIELD_OFFSET_1'], [null, 'BAD_FIELD_OFFSET_1'], ['6110', null]], j.card);
    // Refused in the reader: no time passes on the line.
    t.is(j.exchanges[0].endUs, j.exchanges[0].startUs);
  }
});

test('sim --trace: each command\'s heading precedes the firmware trace of it; a mute card gets no PPS line (ISO 7816-3 §9.1: no ATR, no PPS)', async (t) => {
  const [t1, mute] = await Promise.all([sim(['--card', 't1', '--trace', '--apdu', '00A40000022F0005']), sim(['--card', 'mute', '--trace'])]);
  t.is(t1.code, 0, t1.stderr);
  const lines = t1.stdout.split('\n');
  const heading = lines.findIndex((l) => /APDU SELECT$/.test(l));
  const xfr = lines.findIndex((l) => /PC_to_RDR_XfrBlock bSeq/.test(l));
  t.true(heading >= 0 && xfr > heading, `heading at ${heading}, XfrBlock trace at ${xfr}`);
  const powerHeading = lines.findIndex((l) => /PC_to_RDR_IccPowerOn \(automatic/.test(l));
  const powerTrace = lines.findIndex((l) => /slot 0 PC_to_RDR_IccPowerOn bSeq/.test(l));
  t.true(powerHeading >= 0 && powerTrace > powerHeading);
  t.regex(t1.stdout, /PPS: /);
  t.regex(mute.stdout, /IccPowerOn failed: ICC_MUTE/);
  t.notRegex(mute.stdout, /PPS/);
});

test('ISO 7816-3 §7.3 scripted badParity (T=0): that exchange fails XFR_PARITY_ERROR, the card drops the rest of its reply, the next APDU works; an unfinished script says where it ended', async (t) => {
  const file = await scriptFile('bad-parity.json', {
    name: 'bad-parity', atr: '3B021450',
    // badParity: wrong parity on every repetition, so the reader's repetition bound is reached.
    steps: [
      { expect: '00B0000004', reply: ['B0', { badParity: '01' }, '02 03 04 90 00'] },
      { expect: '00B0000004', reply: ['B0 01 02 03 04 90 00'] },
      { expect: '00B0000004', reply: ['B0 01 02 03 04 90 00'] },
    ],
  });
  const r = await sim(['--json', '--card', file, '--apdu', '00B0000004', '--apdu', '00B0000004']);
  const j = parseJson(t, r);
  t.deepEqual(j.exchanges.map((x) => [x.response, x.error]), [[null, 'XFR_PARITY_ERROR'], ['010203049000', null]]);
  t.deepEqual(j.script, { completed: false, failedStep: null, reason: 'ended before step 3 of 3' });
});

test('ISO 7816-3 §8.2: stray characters after a complete ATR are discarded until the line is quiet; the first command then works', async (t) => {
  const file = await scriptFile('long-atr.json', {
    name: 'long-atr', atr: `3B021450${'AA'.repeat(20)}`,
    steps: [{ expect: '00A4000C02', reply: ['A4'] }, { expect: '3F00', reply: ['9000'] }],
  });
  const [json, text] = await Promise.all([
    sim(['--json', '--card', file, '--apdu', '00A4000C023F00']),
    sim(['--trace', '--card', file, '--apdu', '00A4000C023F00']),
  ]);
  const j = parseJson(t, json);
  t.is(j.atr, '3B021450');
  t.deepEqual(j.exchanges.map((x) => [x.response, x.error]), [['9000', null]]);
  t.deepEqual(j.script, { completed: true, failedStep: null, reason: null });
  t.regex(text.stdout, /stray character 20 after the ATR, discarded: 0xaa/);
  t.notRegex(text.stdout, /stray character 21/);
});
