/**
 * `ccid-reader host-setup [--board NAME|DIR] [--bundle PATH] [--apply|--undo]`: what a stock
 * pcscd + libccid host needs to open the board — its idVendor:idProduct in
 * the reader list of libccid's Info.plist (libccid-plist.ts). Without an option it shows the state
 * and the entries to add; `--apply` adds them (idempotent, the original kept as a backup the first
 * time); `--undo` takes them out again and, when the list is back to the backup, drops the backup.
 */
import { chmodSync, copyFileSync, existsSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { boardFolder, READER_BOARDS, type ReaderBoardName } from '../reader/board-names.js';
import { createReader, prepareReaderBoard } from '../reader/boards.js';
import { boardNames, boardUsb, type BoardUsb } from './board-usb.js';
import { ccidDump } from './ccid-dump.js';
import { addReader, entryLines, listsReader, removeReader, type ReaderEntry } from './libccid-plist.js';

export const HOST_SETUP_USAGE = `usage: ccid-reader host-setup [--board NAME|DIR] [--bundle PATH] [--apply | --undo | --descriptors]

pcscd opens a USB reader only when a driver's Info.plist lists its USB ID. This shows whether
libccid's list has the board's ID and what to add; --apply adds it, --undo removes it again.

  --board NAME|DIR  the board (default sim): ${'${boards}'}, or a board folder
  --bundle PATH     libccid's bundle (default: the one pcscd uses, e.g.
                    /usr/lib/pcsc/drivers/ifd-ccid.bundle)
  --apply           add the entries (as root); the original Info.plist is kept as
                    Info.plist's target + .ccid-reader-backup
  --undo            remove the entries --apply added
  --descriptors     print the reader's USB descriptors as libccid's parse tool does (what libccid's
                    maintainer asks for to list a new reader), read from the simulated reader or
                    the virtual ESP32-S3 board running the device firmware
`;

export interface HostSetupArgs {
  board: string;
  bundle: string | null;
  action: 'show' | 'apply' | 'undo' | 'descriptors';
}

export function parseHostSetupArgs(argv: readonly string[]): HostSetupArgs | { error: string } | 'help' {
  const args: HostSetupArgs = { board: 'sim', bundle: null, action: 'show' };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const inline = eq > 0 ? arg.slice(eq + 1) : undefined;
    if (name === '--help' || name === '-h') return 'help';
    if (name === '--apply' || name === '--undo' || name === '--descriptors') {
      if (inline !== undefined) return { error: `${name} takes no value` };
      const action = name === '--apply' ? 'apply' : name === '--undo' ? 'undo' : 'descriptors';
      if (args.action !== 'show' && args.action !== action) return { error: '--apply, --undo and --descriptors exclude each other' };
      args.action = action;
      continue;
    }
    if (name !== '--board' && name !== '--bundle') return { error: `unknown option '${arg}'` };
    const value = inline ?? argv[++i];
    if (value === undefined || value === '') return { error: `${name} needs a value` };
    if (name === '--board') args.board = value;
    else args.bundle = value;
  }
  return args;
}

/** Where pcscd looks for USB drivers: PCSCLITE_HP_DROPDIR first (pcsc-lite and libccid honour it). */
export function bundleCandidates(env: NodeJS.ProcessEnv = process.env, platform: string = process.platform): string[] {
  const dirs = platform === 'darwin'
    ? ['/usr/local/libexec/SmartCardServices/drivers', '/usr/libexec/SmartCardServices/drivers']
    : ['/usr/lib/pcsc/drivers', '/usr/lib64/pcsc/drivers', '/usr/local/lib/pcsc/drivers'];
  if (env.PCSCLITE_HP_DROPDIR) dirs.unshift(env.PCSCLITE_HP_DROPDIR);
  return dirs.map((dir) => join(dir, 'ifd-ccid.bundle'));
}

const hex4 = (id: number): string => id.toString(16).padStart(4, '0');

function describe(board: BoardUsb): string[] {
  const lines = [`board ${board.board}: USB ID ${hex4(board.vendorId)}:${hex4(board.productId)} "${board.product}" (${board.source})`];
  if (board.vendorId === 0x1209 && board.productId === 0x0001) {
    lines.push('  1209:0001 is the test ID of pid.codes: for development, never for a product (README, "Your own USB ID")');
  }
  return lines;
}

function writeAtomically(path: string, text: string): void {
  const temp = join(dirname(path), `.${Date.now()}-${process.pid}.ccid-reader-tmp`);
  writeFileSync(temp, text);
  chmodSync(temp, statSync(path).mode & 0o7777);
  renameSync(temp, path);
}

function failure(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') return `${(error as Error).message}: run it as root (sudo)`;
  return error instanceof Error ? error.message : String(error);
}

export async function run(argv: string[]): Promise<number> {
  const args = parseHostSetupArgs(argv);
  const usage = HOST_SETUP_USAGE.replace('${boards}', boardNames().join(', '));
  if (args === 'help') {
    process.stdout.write(usage);
    return 0;
  }
  if ('error' in args) {
    process.stderr.write(`ccid-reader host-setup: ${args.error}\n\n${usage}`);
    return 2;
  }
  const board = boardUsb(args.board);
  if ('error' in board) {
    process.stderr.write(`ccid-reader host-setup: ${board.error}\n`);
    return 2;
  }
  const out = (line: string): void => void process.stdout.write(`${line}\n`);
  const fail = (line: string): number => {
    process.stderr.write(`ccid-reader host-setup: ${line}\n`);
    return 1;
  };
  if (args.action === 'descriptors') {
    // The boards a reader can be composed for: the simulated one, and the virtual ESP32-S3 boards
    // running the device's own firmware (so their descriptors are the device's).
    const readerBoard = READER_BOARDS.find((name) => name === args.board || (name !== 'sim' && boardFolder(name as ReaderBoardName) === args.board));
    if (readerBoard === undefined) return fail(`--descriptors composes a reader (--board ${READER_BOARDS.join(', ')}); for another device, run libccid's parse with it plugged in`);
    await prepareReaderBoard(readerBoard as ReaderBoardName);
    const reader = createReader(readerBoard as ReaderBoardName);
    try {
      // 10 ms of virtual time for the device to act on SET_CONFIGURATION.
      for (const line of ccidDump(reader.usb.host, () => reader.board.scheduler.advance(10_000_000))) out(line);
    } finally {
      reader.close();
    }
    return 0;
  }
  for (const line of describe(board)) out(line);
  if (process.platform === 'darwin' && args.bundle === null) {
    out('macOS 14 and later drive CCID readers with Apple\'s own class driver by default, without a list; libccid\'s');
    out('bundle is used only after `sudo defaults write /Library/Preferences/com.apple.security.smartcard useIFDCCID -bool yes`.');
  }

  const bundle = args.bundle ?? bundleCandidates().find((b) => existsSync(join(b, 'Contents', 'Info.plist')));
  if (bundle === undefined) {
    return fail(`no libccid bundle found (looked in ${bundleCandidates().join(', ')}): install libccid (Debian: apt-get install pcscd libccid), or pass --bundle PATH`);
  }
  const link = join(bundle, 'Contents', 'Info.plist');
  if (!existsSync(link)) return fail(`${bundle}: not a driver bundle (no Contents/Info.plist)`);
  // Debian's Info.plist is a symlink to /etc/libccid_Info.plist: edit the file itself, keep the link.
  const plistPath = realpathSync(link);
  const backup = `${plistPath}.ccid-reader-backup`;
  out(`libccid bundle: ${bundle}${plistPath === link ? '' : ` (Info.plist is ${plistPath})`}`);

  let plist: string;
  try {
    plist = readFileSync(plistPath, 'utf8');
  } catch (error) {
    return fail(failure(error));
  }
  const listed = listsReader(plist, board.vendorId, board.productId);
  if (typeof listed === 'object') return fail(`${plistPath}: ${listed.error}`);
  const entry: ReaderEntry = { vendorId: board.vendorId, productId: board.productId, name: board.product };
  const id = `${hex4(board.vendorId)}:${hex4(board.productId)}`;

  if (args.action === 'show') {
    if (listed) {
      out(`status: listed: pcscd opens ${id} with libccid`);
      return 0;
    }
    const [vendor, product, name] = entryLines(entry);
    out(`status: NOT listed: pcscd ignores ${id} until Info.plist lists it. Append one line to each array:`);
    out(`  ifdVendorID      ${vendor}`);
    out(`  ifdProductID     ${product}`);
    out(`  ifdFriendlyName  ${name}`);
    out(`or let \`ccid-reader host-setup --board ${board.board} --apply\` do it (as root; it keeps a backup, --undo reverts),`);
    out('then restart pcscd (systemctl restart pcscd).');
    return 0;
  }

  if (args.action === 'apply') {
    if (listed) {
      out(`already listed: ${plistPath} unchanged`);
      return 0;
    }
    const changed = addReader(plist, entry);
    if (typeof changed === 'object') return fail(`${plistPath}: ${changed.error}`);
    try {
      if (!existsSync(backup)) copyFileSync(plistPath, backup);
      writeAtomically(plistPath, changed);
    } catch (error) {
      return fail(failure(error));
    }
    out(`added ${id} "${board.product}" to ${plistPath} (the original is ${backup})`);
    out('restart pcscd so that it reads the list again (systemctl restart pcscd)');
    return 0;
  }

  const reverted = removeReader(plist, entry);
  if (reverted !== null && typeof reverted === 'object') return fail(`${plistPath}: ${reverted.error}`);
  if (reverted === null) {
    out(`nothing to undo: ${plistPath} has no entry ${id} "${board.product}"`);
    return 0;
  }
  try {
    writeAtomically(plistPath, reverted);
    if (existsSync(backup) && readFileSync(backup, 'utf8') === reverted) rmSync(backup);
  } catch (error) {
    return fail(failure(error));
  }
  out(`removed ${id} "${board.product}" from ${plistPath}${existsSync(backup) ? ` (the backup ${backup} stays: the list has other changes)` : ''}`);
  return 0;
}
