/**
 * The command line in-process: option parsing, usage errors, HEX and FILE arguments. No process is
 * spawned here (the spawned command is tested in process.test.ts and package.test.ts).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { resolveCard } from '../reader/reader.js';
import { captured } from './capture.js';
import { main } from './main.js';
import { parseSimArgs } from './sim-args.js';
import { run as runCards } from './cards-command.js';
import { run as runServe } from './serve-command.js';
import { run as runSim } from './sim-command.js';

const dir = mkdtempSync(join(tmpdir(), 'ccid-args-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

test('sim options: every option, --name=value, repeated --apdu in order, defaults', (t) => {
  t.deepEqual(parseSimArgs([]), { card: null, cards: [], slots: 1, apdus: [], json: false, trace: false, vcd: null, pcap: null, seed: 1, board: 'sim', help: false });
  t.like(parseSimArgs(['--card', 't1', '--apdu', '00 a4 00 0c', '--apdu=3F:00', '--json', '--trace', '--vcd', 'l.vcd', '--pcap=u.pcap', '--seed', '7']), {
    card: 't1', apdus: [Uint8Array.of(0x00, 0xa4, 0x00, 0x0c), Uint8Array.of(0x3f, 0x00)], json: true, trace: true, vcd: 'l.vcd', pcap: 'u.pcap', seed: 7, help: false,
  });
  t.true((parseSimArgs(['-h']) as { help: boolean }).help);
});

test('sim usage errors are values: HEX by the one parser (odd length apart from not hex), values, unknown options', (t) => {
  t.deepEqual(parseSimArgs(['--apdu', '00A40']), { error: "--apdu '00A40': odd length: 5 hex digits (two per byte)" });
  t.deepEqual(parseSimArgs(['--apdu', '00G4']), { error: "--apdu '00G4': not hex: 'G' at character 3" });
  t.deepEqual(parseSimArgs(['--apdu', ' ']), { error: '--apdu needs at least one byte' });
  t.deepEqual(parseSimArgs(['--apdu']), { error: '--apdu needs a value' });
  t.deepEqual(parseSimArgs(['--card', 'a', '--card', 'b']), { error: '--card given twice (--slots N for a card per slot)' });
  t.deepEqual(parseSimArgs(['--json=1']), { error: '--json takes no value' });
  t.deepEqual(parseSimArgs(['--seed', '-1']), { error: "--seed '-1' is not an integer from 0 to 4294967295" });
  t.deepEqual(parseSimArgs(['--bogus']), { error: "unknown option '--bogus'" });
});

test.serial('ccid-reader: no command is a usage error on stderr; --help on stdout; --version prints package.json\'s version', async (t) => {
  const none = await captured(() => main([]));
  t.is(none.code, 2);
  t.regex(none.stderr, /^usage: ccid-reader <command>/);
  t.is(none.stdout, '');
  const help = await captured(() => main(['--help']));
  t.is(help.code, 0);
  t.regex(help.stdout, /host-setup +show \(or install\)/);
  const version = await captured(() => main(['--version']));
  t.is(version.code, 0);
  t.is(version.stdout, `${(JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version}\n`);
  const unknown = await captured(() => main(['simulate']));
  t.is(unknown.code, 2);
  t.regex(unknown.stderr, /unknown command 'simulate'/);
});

test.serial('cards takes no argument: exit 2 with its usage', async (t) => {
  const r = await captured(() => runCards(['--bogus']));
  t.is(r.code, 2);
  t.regex(r.stderr, /usage: ccid-reader cards/);
});

test.serial('FILE arguments: a directory is said to be a directory (--card, --vcd, serve --pcap), before anything runs', async (t) => {
  t.deepEqual(resolveCard(dir, 1, (path) => readFileSync(path, 'utf8')), {
    error: `${dir} is a directory, not a scripted card (a JSON file) nor a built-in card (see 'ccid-reader cards')`,
  });
  t.deepEqual(resolveCard(join(dir, 'none.json'), 1, (path) => readFileSync(path, 'utf8')), {
    error: `no built-in card '${join(dir, 'none.json')}' and no such file (see 'ccid-reader cards')`,
  });
  const card = await captured(() => runSim(['--card', dir]));
  t.is(card.code, 2);
  t.regex(card.stderr, /is a directory, not a scripted card/);
  const vcd = await captured(() => runSim(['--vcd', dir]));
  t.is(vcd.code, 1);
  t.is(vcd.stderr, `ccid-reader sim: --vcd: ${dir} is a directory\n`);
  t.is(vcd.stdout, '', 'no session ran');
  const serve = await captured(() => runServe(['--usbip', `unix:${join(dir, 'u.sock')}`, '--pcap', dir]));
  t.is(serve.code, 1);
  t.is(serve.stderr, `ccid-reader serve: --pcap: ${dir} is a directory\n`);
});

test('scripted cards read HEX with the same parser: an odd-length field names the field and the length', (t) => {
  const file = join(dir, 'odd.json');
  writeFileSync(file, JSON.stringify({ atr: '3B 02 14 50', steps: [{ expect: '00 A4 0', reply: ['90 00'] }] }));
  t.deepEqual(resolveCard(file, 1, (path) => readFileSync(path, 'utf8')), { error: `${file}: steps[0].expect: odd length: 5 hex digits (two per byte)` });
  writeFileSync(file, JSON.stringify({ atr: '3B 02 14 50', steps: [{ expect: '*', reply: ['90 0x'] }] }));
  t.deepEqual(resolveCard(file, 1, (path) => readFileSync(path, 'utf8')), { error: `${file}: steps[0].reply[0]: not hex: 'x' at character 5` });
});
