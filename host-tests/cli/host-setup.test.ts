/**
 * `ccid-reader host-setup` on copies of Debian's own libccid bundle. The oracle for the reader list is
 * Python's plistlib (an independent property-list parser): what it reads before and after --apply and
 * --undo. The board IDs are checked against the boards themselves: the simulated reader's device
 * descriptor, and each ESP32-S3 provider evaluated with stand-ins for its platform modules.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { build, type Plugin } from 'esbuild';
import { createSimReader } from '../reader/reader.js';
import { LIBCCID_BUNDLE, requirePackages } from '../setup/debian-packages.js';
import { BOARDS_DIR, boardNames, boardUsb, providerUsb } from './board-usb.js';
import { bundleCandidates, parseHostSetupArgs } from './host-setup-command.js';
import { addReader, listsReader, readerEntries, removeReader } from './libccid-plist.js';
import { tsharkFields } from '../interop/tshark.js';
import { runCli } from './run-cli.js';

const PYTHON = '/usr/bin/python3';

interface Lists {
  ifdVendorID: string[];
  ifdProductID: string[];
  ifdFriendlyName: string[];
}

/** The three reader arrays as plistlib reads them. */
function pythonLists(file: string): Lists {
  const script = 'import json, plistlib, sys\nd = plistlib.load(open(sys.argv[1], "rb"))\n' +
    'print(json.dumps({k: d[k] for k in ("ifdVendorID", "ifdProductID", "ifdFriendlyName")}))';
  return JSON.parse(execFileSync(PYTHON, ['-c', script, file], { encoding: 'utf8' })) as Lists;
}

/** Debian's bundle copied (Info.plist dereferenced), with every 1209:0001 entry taken out by plistlib. */
function bundleWithout1209(dir: string): string {
  const bundle = join(dir, 'ifd-ccid.bundle');
  cpSync(LIBCCID_BUNDLE, bundle, { recursive: true, dereference: true });
  const script = 'import plistlib, sys\np = sys.argv[1]\nd = plistlib.load(open(p, "rb"))\n' +
    'keep = [i for i, (v, p2) in enumerate(zip(d["ifdVendorID"], d["ifdProductID"])) if (int(v, 16), int(p2, 16)) != (0x1209, 1)]\n' +
    'for k in ("ifdVendorID", "ifdProductID", "ifdFriendlyName"): d[k] = [d[k][i] for i in keep]\n' +
    'plistlib.dump(d, open(p, "wb"))';
  execFileSync(PYTHON, ['-c', script, join(bundle, 'Contents', 'Info.plist')]);
  return bundle;
}

test('libccid-plist reads Debian\'s reader list as plistlib does', (t) => {
  requirePackages('libccid');
  const file = join(LIBCCID_BUNDLE, 'Contents', 'Info.plist');
  const ours = readerEntries(readFileSync(file, 'utf8'));
  if ('error' in ours) return t.fail(ours.error);
  const theirs = pythonLists(file);
  t.true(ours.length > 500);
  t.deepEqual(ours.map((e) => e.vendorId), theirs.ifdVendorID.map((v) => parseInt(v, 16)));
  t.deepEqual(ours.map((e) => e.productId), theirs.ifdProductID.map((v) => parseInt(v, 16)));
  t.deepEqual(ours.map((e) => e.name), theirs.ifdFriendlyName);
});

test('addReader then removeReader gives back the same bytes; names are escaped for XML', (t) => {
  requirePackages('libccid');
  const plist = readFileSync(join(LIBCCID_BUNDLE, 'Contents', 'Info.plist'), 'utf8');
  const entry = { vendorId: 0xfffe, productId: 0x00ab, name: 'Tom & Jerry <test>' };
  const added = addReader(plist, entry);
  if (typeof added === 'object') return t.fail(added.error);
  t.true(listsReader(added, 0xfffe, 0xab) === true);
  const entries = readerEntries(added);
  t.like(Array.isArray(entries) ? entries[entries.length - 1] : {}, entry);
  t.is(removeReader(added, entry), plist);
  t.is(removeReader(plist, entry), null);
  t.like(readerEntries('<plist><dict><key>ifdVendorID</key><array><string>0x1</string></array></dict></plist>'), { error: 'Info.plist has no ifdProductID' });
});

test('host-setup --apply / --undo on a copy of Debian\'s bundle: the list gains exactly our entry, once, and loses it again', async (t) => {
  requirePackages('libccid');
  t.timeout(60_000, 'three CLI runs and plistlib');
  const dir = mkdtempSync(join(tmpdir(), 'ccid-host-setup-'));
  try {
    const bundle = bundleWithout1209(dir);
    const plist = join(bundle, 'Contents', 'Info.plist');
    const original = readFileSync(plist, 'utf8');
    const before = pythonLists(plist);

    const shown = await runCli(['host-setup', '--bundle', bundle]);
    t.is(shown.code, 0, shown.stderr);
    t.regex(shown.stdout, /board sim: USB ID 1209:0001 "CCID Reader Sim"/);
    t.regex(shown.stdout, /status: NOT listed/);
    t.regex(shown.stdout, /ifdVendorID +<string>0x1209<\/string>/);

    const applied = await runCli(['host-setup', '--bundle', bundle, '--apply']);
    t.is(applied.code, 0, applied.stderr);
    const after = pythonLists(plist);
    t.deepEqual(after, {
      ifdVendorID: [...before.ifdVendorID, '0x1209'],
      ifdProductID: [...before.ifdProductID, '0x0001'],
      ifdFriendlyName: [...before.ifdFriendlyName, 'CCID Reader Sim'],
    });
    t.is(readFileSync(`${plist}.ccid-reader-backup`, 'utf8'), original);

    const again = await runCli(['host-setup', '--bundle', bundle, '--apply']);
    t.is(again.code, 0, again.stderr);
    t.regex(again.stdout, /already listed/);
    t.deepEqual(pythonLists(plist), after);
    t.regex((await runCli(['host-setup', '--bundle', bundle])).stdout, /status: listed/);

    const undone = await runCli(['host-setup', '--bundle', bundle, '--undo']);
    t.is(undone.code, 0, undone.stderr);
    t.is(readFileSync(plist, 'utf8'), original);
    t.false(existsSync(`${plist}.ccid-reader-backup`));
    t.regex((await runCli(['host-setup', '--bundle', bundle, '--undo'])).stdout, /nothing to undo/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('host-setup edits the file a symlinked Info.plist points to (Debian: /etc/libccid_Info.plist) and keeps the link', async (t) => {
  requirePackages('libccid');
  const dir = mkdtempSync(join(tmpdir(), 'ccid-host-setup-'));
  try {
    const bundle = bundleWithout1209(dir);
    const link = join(bundle, 'Contents', 'Info.plist');
    const etc = join(dir, 'etc');
    mkdirSync(etc);
    const target = join(etc, 'libccid_Info.plist');
    writeFileSync(target, readFileSync(link));
    unlinkSync(link);
    symlinkSync(target, link);
    const r = await runCli(['host-setup', '--bundle', bundle, '--apply']);
    t.is(r.code, 0, r.stderr);
    t.true(lstatSync(link).isSymbolicLink());
    t.is(readlinkSync(link), target);
    t.true(existsSync(`${target}.ccid-reader-backup`));
    t.true(pythonLists(target).ifdVendorID.includes('0x1209'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('host-setup: unknown board and missing bundle are errors with the way out', async (t) => {
  const board = await runCli(['host-setup', '--board', 'no-such-board']);
  t.is(board.code, 2);
  t.regex(board.stderr, /no board 'no-such-board' \(boards: sim, esp32s3, esp32s3-2slot, esp32s3-devkitc/);
  const bundle = await runCli(['host-setup', '--bundle', '/nonexistent/ifd-ccid.bundle']);
  t.is(bundle.code, 1);
  t.regex(bundle.stderr, /not a driver bundle/);
});

test('host-setup options are parsed in-process', (t) => {
  t.deepEqual(parseHostSetupArgs([]), { board: 'sim', bundle: null, action: 'show' });
  t.deepEqual(parseHostSetupArgs(['--board=esp32s3-devkitc', '--apply', '--bundle', '/b']), { board: 'esp32s3-devkitc', bundle: '/b', action: 'apply' });
  t.deepEqual(parseHostSetupArgs(['--apply', '--undo']), { error: '--apply, --undo and --descriptors exclude each other' });
  t.deepEqual(parseHostSetupArgs(['--board']), { error: '--board needs a value' });
  t.deepEqual(parseHostSetupArgs(['--apply=yes']), { error: '--apply takes no value' });
  t.deepEqual(parseHostSetupArgs(['--bogus']), { error: "unknown option '--bogus'" });
  t.is(parseHostSetupArgs(['-h']), 'help');
  t.deepEqual(bundleCandidates({ PCSCLITE_HP_DROPDIR: '/opt/drivers' }, 'linux')[0], '/opt/drivers/ifd-ccid.bundle');
  t.deepEqual(bundleCandidates({}, 'darwin'), ['/usr/local/libexec/SmartCardServices/drivers/ifd-ccid.bundle', '/usr/libexec/SmartCardServices/drivers/ifd-ccid.bundle']);
});

test('the sim board\'s ID is the one the simulated reader enumerates with (its USB device descriptor)', (t) => {
  const reader = createSimReader();
  try {
    const device = reader.usb.descriptors.device;
    const usb = boardUsb('sim');
    if ('error' in usb) return t.fail(usb.error);
    t.is(device[8] | (device[9] << 8), usb.vendorId);
    t.is(device[10] | (device[11] << 8), usb.productId);
  } finally {
    reader.close();
  }
});

/** The provider as the device evaluates it, with constructors standing in for the platform modules. */
const platformStubs: Plugin = {
  name: 'platform-stubs',
  setup(b) {
    b.onResolve({ filter: /^(embedded:|hal\/moddable\/)/ }, (args) => ({ path: args.path, namespace: 'stub' }));
    b.onLoad({ filter: /.*/, namespace: 'stub' }, (args) => ({
      contents: args.path.startsWith('embedded:') ? 'export default class Stub {}' : `export class ${args.path.endsWith('card-uart') ? 'Esp32CardUart' : 'Esp32UsbDevice'} {}`,
      loader: 'js',
    }));
  },
};

for (const board of boardNames().filter((name) => existsSync(join(BOARDS_DIR, name, 'host', 'provider.js')))) {
  test(`${board}: the ID host-setup reads from host/provider.js is the provider's own usb.vendorId/productId`, async (t) => {
    const result = await build({
      entryPoints: [join(BOARDS_DIR, board, 'host', 'provider.js')],
      bundle: true, write: false, format: 'esm', platform: 'neutral', plugins: [platformStubs], logLevel: 'silent',
    });
    const module = await import(`data:text/javascript;base64,${Buffer.from(result.outputFiles[0].text).toString('base64')}`);
    const usb = (module.default as { usb: { vendorId: number; productId: number; product: string } }).usb;
    const read = boardUsb(board);
    t.like(read, { vendorId: usb.vendorId, productId: usb.productId, product: usb.product });
  });
}

test('the virtual boards\' names read the ID of the folder they are wired as', (t) => {
  t.like(boardUsb('esp32s3'), { board: 'esp32s3', source: 'boards/esp32s3-devkitc/host/provider.js' });
  t.like(boardUsb('esp32s3-2slot'), { board: 'esp32s3-2slot', source: 'boards/esp32s3-devkitc-2slot/host/provider.js' });
});

test('provider text: a USB ID that is not a number literal is refused; an absent one is the firmware default', (t) => {
  t.like(providerUsb('const d = { usb: Object.freeze({ io: X, vendorId: VID, productId: 2 }) };', 'x', 'x.js'), { error: 'x.js: usb.vendorId must be a number literal (0x1209) for host-setup to read it' });
  t.like(providerUsb('const d = { usb: { io: X, product: "P" } };', 'x', 'x.js'), { vendorId: 0x1209, productId: 0x0001, product: 'P' });
  t.like(providerUsb('const d = { usb: { vendorId: 0x1D50, productId: 24812 } };', 'x', 'x.js'), { vendorId: 0x1d50, productId: 24812 });
  t.like(providerUsb('const d = { card: {} };', 'x', 'x.js'), { error: 'x.js: no usb entry' });
});

test('host-setup --descriptors prints the class descriptor in parse\'s layout, the values Wireshark reads from the same reader', async (t) => {
  requirePackages('tshark');
  t.timeout(60_000, 'a simulated session with a capture, and tshark');
  const dir = mkdtempSync(join(tmpdir(), 'ccid-descriptors-'));
  try {
    const dump = await runCli(['host-setup', '--board', 'sim', '--descriptors']);
    t.is(dump.code, 0, dump.stderr);
    const value = (name: string): string => {
      const m = new RegExp(`^ +${name}: (\\S+)`, 'm').exec(dump.stdout);
      if (m === null) throw new Error(`no ${name} in the dump`);
      return m[1];
    };
    const pcap = join(dir, 'usb.pcap');
    const sim = await runCli(['sim', '--card', 't0-fs', '--apdu', '00A4000C023F00', '--pcap', pcap]);
    t.is(sim.code, 0, sim.stderr);
    const fields = ['usb.idVendor', 'usb.idProduct', 'usbccid.bcdCCID', 'usbccid.bVoltageSupport', 'usbccid.dwProtocols', 'usbccid.dwDefaultClock', 'usbccid.dwMaximumClock',
      'usbccid.bNumClockSupported', 'usbccid.dwDataRate', 'usbccid.dwMaxDataRate', 'usbccid.bNumDataRatesSupported', 'usbccid.dwMaxIFSD', 'usbccid.dwFeatures',
      'usbccid.dwMaxCCIDMessageLength', 'usbccid.hf_ccid_bMaxCCIDBusySlots'];
    const [device] = await tsharkFields(pcap, 'usb.idVendor', fields.slice(0, 2));
    const [ccid] = await tsharkFields(pcap, 'usbccid.bcdCCID', fields.slice(2));
    const ws = Object.fromEntries([...device, ...ccid].map((v, i) => [fields[i], v]));
    const num = (text: string): number => Number(text);
    t.is(num(value('idVendor')), num(ws['usb.idVendor']));
    t.is(num(value('idProduct')), num(ws['usb.idProduct']));
    t.is(value('bcdCCID'), '1.10');
    t.is(ws['usbccid.bcdCCID'], '0x0110');
    t.is(num(value('bVoltageSupport')), num(ws['usbccid.bVoltageSupport']));
    t.is(num(value('dwDefaultClock')) * 1000, num(ws['usbccid.dwDefaultClock']));
    t.is(num(value('dwMaximumClock')) * 1000, num(ws['usbccid.dwMaximumClock']));
    t.is(num(value('bNumClockSupported')), num(ws['usbccid.bNumClockSupported']));
    t.is((dump.stdout.match(/^ {3}Support \d+ kHz$/gm) ?? []).length, num(ws['usbccid.bNumClockSupported']));
    t.is(num(value('dwDataRate')), num(ws['usbccid.dwDataRate']));
    t.is(num(value('dwMaxDataRate')), num(ws['usbccid.dwMaxDataRate']));
    t.is((dump.stdout.match(/^ {3}Support \d+ bps$/gm) ?? []).length, num(ws['usbccid.bNumDataRatesSupported']));
    t.regex(dump.stdout, new RegExp(`^ {3}Support ${ws['usbccid.dwDataRate']} bps$`, 'm'), 'the default rate is among the listed ones');
    t.is(num(value('dwMaxIFSD')), num(ws['usbccid.dwMaxIFSD']));
    t.is(num(value('dwFeatures')), num(ws['usbccid.dwFeatures']));
    t.is(num(value('dwMaxCCIDMessageLength')), num(ws['usbccid.dwMaxCCIDMessageLength']));
    t.is(num(value('bMaxCCIDBusySlots')), num(ws['usbccid.hf_ccid_bMaxCCIDBusySlots']));
    const other = await runCli(['host-setup', '--board', 'esp32s3-devkitc-discrete', '--descriptors']);
    t.is(other.code, 1);
    t.regex(other.stderr, /run libccid's parse with it plugged in/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

for (const board of ['sim', 'esp32s3', 'esp32s3-2slot']) {
  test(`${board}: GET_CLOCK_FREQUENCIES and GET_DATA_RATES (CCID §5.3.2, §5.3.3) return as many values as the class descriptor announces`, async (t) => {
    if (board !== 'sim') requirePackages('clang', 'lld');
    t.timeout(120_000, 'the virtual ESP32-S3 board runs the device firmware');
    const dump = await runCli(['host-setup', '--board', board, '--descriptors']);
    t.is(dump.code, 0, dump.stderr);
    // parse says "Got N … but was expecting M" when they differ; a host that trusts M misses values.
    t.notRegex(dump.stdout, /^ +Got \d+/m);
    const count = (name: string): number => Number(new RegExp(`^  ${name}: (\\d+)`, 'm').exec(dump.stdout)?.[1]);
    t.is((dump.stdout.match(/^ {3}Support \d+ kHz$/gm) ?? []).length, count('bNumClockSupported'));
    t.is((dump.stdout.match(/^ {3}Support \d+ bps$/gm) ?? []).length, count('bNumDataRatesSupported'));
    t.true(count('bNumDataRatesSupported') > 64, 'more rates than a 256-byte control buffer holds');
  });
}
