/**
 * `ccid-reader serve`: the simulated reader as a USB device over the Linux USB/IP protocol, for the
 * real PC/SC stack (the `ccid-reader` command's contract). The simulator runs in virtual time paced by the
 * wall clock (hal/sim/usbip/realtime.ts): events run as soon as they are due, never later, so the
 * host's real-time timeouts behave as with hardware. Test control (insert, remove, status) is a
 * separate text socket, never the USB/IP stream.
 */
import type { Socket } from 'node:net';
import type { ExchangeLevel } from '../../firmware/ccid/descriptors.js';
import { MAX_SOCKETS } from '../../boards/sim/board.js';
import type { SimCard } from '../../hal/sim/card.js';
import { openPcapFile, type PcapFile } from '../../hal/sim/pcap-file.js';
import { createIso7816PcapWriter, createUsbPcapWriter, type PcapSink } from '../../hal/sim/pcap.js';
import { recordUsbHost } from '../../hal/sim/pcap-usb-host.js';
import { createSimReader, type SimReader, type SimReaderOptions } from '../reader/reader.js';
import { createReader, isReaderBoard, prepareReaderBoard, READER_BOARDS, type HostReader, type ReaderBoardName } from '../reader/boards.js';
import { boardWithSlots } from '../reader/board-names.js';
import { loadCard } from './card-file.js';
import { EXTENSION_PERIOD_MAX_NS } from '../../firmware/ccid/time-extension.js';
import { fileProblem } from './file-problem.js';
import type { UsbipExport } from '../../hal/sim/usbip/connection.js';
import { endpointsOf } from '../../hal/sim/usbip/endpoints.js';
import { paceInRealTime, parseTimeScale, type TimeScale } from '../../hal/sim/usbip/realtime.js';
import { listen, listenUsbip, parseListenAddress, type ListenAddress, type Listener } from '../../hal/sim/usbip/server.js';
import { deviceInfoOf } from '../../hal/sim/usbip/device-info.js';

export const SERVE_USAGE = `usage: ccid-reader serve --usbip unix:PATH|tcp:HOST:PORT [--slots N] [--card NAME|FILE]...
                         [--control unix:PATH] [--pcap FILE] [--contacts-pcap FILE]
                         [--level tpdu|short|extended] [--board sim|esp32s3|esp32s3-2slot]
                         [--seed N] [--time-scale X|max]

Serves the simulated reader as a USB device over USB/IP: to the libusb stand-in on a Unix socket, or
to a kernel with vhci-hcd ('usbip attach -r HOST -b 1-1') on TCP (port 3240 by convention).

  --usbip ADDR       where to listen: unix:PATH or tcp:HOST:PORT
  --slots N          card slots of the reader, 1 to 8 (default 1), all working in parallel; PC/SC
                     lists one reader per slot ("CCID Reader Sim 00 00", "… 00 01", …)
  --card NAME|FILE   a card inserted at start (see 'ccid-reader cards', or a scripted card JSON file);
                     repeat it for the next slots, in order (slot 0 first)
  --control ADDR     a text socket (unix:PATH or tcp:HOST:PORT) taking lines 'insert [SLOT] NAME|FILE',
                     'remove [SLOT]', 'status [SLOT]' (SLOT: 0 to N-1, default 0; 'status' answers
                     one line per slot); one answer line for every other line ('ok …', or 'error: …'
                     for an empty or unknown one)
  --pcap FILE        write every USB transfer as a usbmon capture (tshark -Y usbccid decodes it)
  --contacts-pcap FILE  write the ATRs and APDUs the card sees as an ISO 7816 capture (exported-PDU
                     link type; at the TPDU level only the ATRs; slot 0's card)
  --level L          CCID exchange level: tpdu, short (APDU) or extended (APDU, the default)
  --board NAME       sim (default), or a virtual ESP32-S3 board running the device firmware
                     (firmware/main.ts) on its own drivers (hal/moddable's C compiled to WebAssembly;
                     needs clang and lld): esp32s3 (1 slot, or with --slots 2 the two-slot board),
                     esp32s3-2slot (2 slots); extended level
  --seed N           seed of the simulation (default 1; slot K's card and socket use N + K)
  --time-scale X|max virtual seconds per wall-clock second (default 1: cards as fast as real ones;
                     0.001 to 1000), or max: as fast as the CPU allows (virtual time moves only
                     from event to event, it never runs ahead while the reader is idle)
`;

export interface ServeArgs {
  usbip: ListenAddress;
  /** Slot 0's card (the first --card), or null. */
  card: string | null;
  /** Every --card, slot by slot. */
  cards: string[];
  slots: number;
  control: ListenAddress | null;
  pcap: string | null;
  contactsPcap: string | null;
  level: ExchangeLevel;
  board: ReaderBoardName;
  seed: number;
  timeScale: TimeScale;
}

const LEVELS: Record<string, ExchangeLevel> = { tpdu: 'tpdu', short: 'short-apdu', extended: 'extended-apdu' };

export function parseServeArgs(argv: readonly string[]): ServeArgs | { error: string } | 'help' {
  const values = new Map<string, string>();
  const cards: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') return 'help';
    const [name, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    if (!['--usbip', '--slots', '--card', '--control', '--pcap', '--contacts-pcap', '--level', '--board', '--seed', '--time-scale'].includes(name)) return { error: `unknown option '${arg}'` };
    const value = inline ?? argv[++i];
    if (value === undefined) return { error: `${name} needs a value` };
    if (name === '--card') cards.push(value);
    else values.set(name, value);
  }
  const named = values.get('--board') ?? 'sim';
  if (!isReaderBoard(named)) return { error: `--board: one of ${READER_BOARDS.join(', ')}` };
  const asked = values.has('--slots') ? Number(values.get('--slots')) : null;
  if (asked !== null && (!Number.isInteger(asked) || asked < 1 || asked > MAX_SOCKETS)) return { error: `--slots: expected 1 to ${MAX_SOCKETS}` };
  const chosen = boardWithSlots(named, asked);
  if ('error' in chosen) return { error: `--slots: ${chosen.error}` };
  const { board, slots } = chosen;
  if (cards.length > slots) return { error: `${cards.length} cards for ${slots} slot${slots === 1 ? '' : 's'} (--slots N: one --card per slot at most)` };
  const usbip = values.get('--usbip');
  if (usbip === undefined) return { error: '--usbip is required' };
  const level = LEVELS[values.get('--level') ?? 'extended'];
  if (level === undefined) return { error: `--level: expected tpdu, short or extended` };
  if (board !== 'sim' && level !== 'extended-apdu') return { error: `--level: the ${board} board runs the device firmware, which offers the extended level only` };
  const seed = Number(values.get('--seed') ?? '1');
  const timeScale = parseTimeScale(values.get('--time-scale') ?? '1');
  if (!Number.isInteger(seed) || seed < 0) return { error: '--seed: expected a non-negative integer' };
  if (typeof timeScale === 'object') return { error: `--time-scale: ${timeScale.error}` };
  try {
    const control = values.get('--control');
    return {
      usbip: parseListenAddress(usbip),
      card: cards[0] ?? null,
      cards,
      slots,
      control: control === undefined ? null : parseListenAddress(control),
      pcap: values.get('--pcap') ?? null,
      contactsPcap: values.get('--contacts-pcap') ?? null,
      level, board, seed, timeScale,
    };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * One control line → its answer: one line, or for `status` on a reader of several slots one line
 * per slot. An optional slot number comes first (`insert 1 t1`, `remove 1`, `status 1`); without it,
 * slot 0. Slot K's cards draw from seed + K, as its socket does. A card file is read asynchronously
 * (card-file.ts): nothing blocks the server.
 */
export async function controlCommand(reader: HostReader, line: string, seed: number): Promise<string> {
  const [verb, ...words] = line.trim().split(/\s+/);
  const target = controlSlot(verb, words, reader.slots.length);
  if ('error' in target) return `error: ${target.error}`;
  const { slot, rest } = target;
  const sim = reader.board.sockets[slot ?? 0].sim;
  switch (verb) {
    case '':
      return `error: empty line (${CONTROL_VERBS})`;
    case 'insert': {
      if (rest.length === 0) return 'error: insert needs NAME or FILE';
      if (sim.card !== null) return `error: card '${sim.card.name}' is already inserted${slot === null ? '' : ` in slot ${slot}`}`;
      const resolved = await loadCard(rest.join(' '), seed + (slot ?? 0));
      if ('error' in resolved) return `error: ${resolved.error}`;
      // Another connection may have inserted a card while the file was read.
      const now = sim.card as SimCard | null;
      if (now !== null) return `error: card '${now.name}' is already inserted${slot === null ? '' : ` in slot ${slot}`}`;
      sim.insert(resolved.card);
      return `ok inserted ${resolved.card.name}${slot === null ? '' : ` in slot ${slot}`}`;
    }
    case 'remove':
      if (rest.length > 0) return `error: remove takes only a slot number`;
      if (sim.card === null) return `error: no card${slot === null ? '' : ` in slot ${slot}`}`;
      sim.remove();
      return `ok removed${slot === null ? '' : ` from slot ${slot}`}`;
    case 'status': {
      if (rest.length > 0) return `error: status takes only a slot number`;
      const configured = reader.usb.configured ? 1 : 0;
      const one = (index: number): string => {
        const card = reader.board.sockets[index].sim.card;
        return `card=${card === null ? 'none' : card.name} state=${reader.slots[index].attributes.state} configured=${configured}`;
      };
      // One slot: the line this command has always answered. Several: one line per slot, each naming it.
      if (reader.slots.length === 1) return `ok ${one(0)}`;
      const shown = slot === null ? reader.slots.map((_, i) => i) : [slot];
      return shown.map((i) => `ok slot=${i} ${one(i)}`).join('\n');
    }
    default:
      return `error: unknown command '${verb ?? ''}' (${CONTROL_VERBS})`;
  }
}

const CONTROL_VERBS = 'insert [SLOT] NAME|FILE, remove [SLOT], status [SLOT]';

/** The optional slot number that starts a control line's arguments (a lone word after insert is the card). */
function controlSlot(verb: string, words: string[], slots: number): { slot: number | null; rest: string[] } | { error: string } {
  const numbered = words.length > (verb === 'insert' ? 1 : 0) && /^\d+$/.test(words[0]);
  if (!numbered) return { slot: null, rest: words };
  const slot = Number(words[0]);
  if (slot >= slots) return { error: `no slot ${slot} (slots 0–${slots - 1})` };
  return { slot, rest: words.slice(1) };
}

function serveControl(socket: Socket, answer: (line: string) => Promise<string>): void {
  let pending = '';
  // Answers leave in the order of the lines, one at a time: a line waits for the one before it.
  let answered: Promise<void> = Promise.resolve();
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    pending += chunk;
    // A client that never sends a newline must not grow our memory without bound.
    if (pending.length > 4096 && !pending.includes('\n')) {
      socket.end('error: line too long\n');
      pending = '';
      return;
    }
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl).replace(/\r$/, '');
      pending = pending.slice(nl + 1);
      // Every line gets its answer line, an empty one too: a client waits for one per line it sends.
      answered = answered.then(async () => {
        const text = await answer(line);
        if (!socket.destroyed) socket.write(`${text}\n`);
      });
    }
  });
  socket.on('error', () => undefined);
}

/**
 * The reader `serve` runs. Nothing is recorded in it (captures are streamed by their writers): a
 * long-running server's memory must not grow with traffic.
 */
export function serveReader(options: Omit<SimReaderOptions, 'recording'>): SimReader;
export function serveReader(options: Omit<SimReaderOptions, 'recording'>, board: ReaderBoardName): HostReader;
export function serveReader(options: Omit<SimReaderOptions, 'recording'>, board: ReaderBoardName = 'sim'): HostReader {
  return board === 'sim' ? createSimReader({ ...options, recording: false }) : createReader(board, { ...options, recording: false });
}

function openInto(files: PcapFile[], path: string): PcapSink {
  const file = openPcapFile(path);
  files.push(file);
  return file.sink;
}

export async function run(argv: string[]): Promise<number> {
  const args = parseServeArgs(argv);
  if (args === 'help') {
    process.stdout.write(SERVE_USAGE);
    return 0;
  }
  if ('error' in args) {
    process.stderr.write(`ccid-reader serve: ${args.error}\n${SERVE_USAGE}`);
    return 2;
  }
  const cards: SimCard[] = [];
  for (const [slot, spec] of args.cards.entries()) {
    const resolved = await loadCard(spec, args.seed + slot);
    if ('error' in resolved) {
      process.stderr.write(`ccid-reader serve: --card: ${resolved.error}\n`);
      return 2;
    }
    cards.push(resolved.card);
  }
  const log = (message: string): void => void process.stderr.write(`${message}\n`);
  // Captures are stamped with the wall-clock time at which virtual time 0 was (serve starts at 0).
  const epochNs = Date.now() * 1e6;
  const files: PcapFile[] = [];
  // Both captures are opened before anything runs, so a bad path is reported at once.
  const sinks = new Map<string, PcapSink>();
  for (const path of [args.contactsPcap, args.pcap]) {
    if (path === null) continue;
    try {
      sinks.set(path, openInto(files, path));
    } catch (error) {
      log(`ccid-reader serve: ${path === args.pcap ? '--pcap' : '--contacts-pcap'}: ${fileProblem(path, error)}`);
      for (const f of files) f.close();
      return 1;
    }
  }
  const contacts = args.contactsPcap === null ? undefined : createIso7816PcapWriter({ sink: sinks.get(args.contactsPcap)!, epochNs });
  try {
    await prepareReaderBoard(args.board);
  } catch (error) {
    log(`ccid-reader serve: --board ${args.board}: ${error instanceof Error ? error.message : String(error)}`);
    for (const f of files) f.close();
    return 1;
  }
  const reader = serveReader({ seed: args.seed, slots: args.slots, cards, exchangeLevel: args.level, contacts }, args.board);
  const scheduler = reader.board.scheduler;
  const endpoints = endpointsOf(reader.usb.descriptors.configuration);
  let host = reader.usb.host;
  if (args.pcap !== null) {
    const info = deviceInfoOf(reader.usb.descriptors);
    const writer = createUsbPcapWriter({ sink: sinks.get(args.pcap)!, busnum: info.busnum, devnum: info.devnum, epochNs });
    host = recordUsbHost(host, writer, scheduler, endpoints);
  }
  const exported: UsbipExport = { info: deviceInfoOf(reader.usb.descriptors), host, endpoints, importer: null };
  const pacer = paceInRealTime(scheduler, args.timeScale, (error) => log(`simulator: ${error instanceof Error ? error.stack ?? error.message : String(error)}`));
  // CCID §6.2.6 in the host's time as well as the reader's: however slowly virtual time runs (a slow
  // time scale, a starved CPU), a host waiting on a card command hears that it goes on.
  const extensions = setInterval(() => {
    reader.extendPending?.();
    pacer.kick();
  }, EXTENSION_PERIOD_MAX_NS / 1e6);
  extensions.unref();
  const listeners: Listener[] = [];
  try {
    listeners.push(await listenUsbip(args.usbip, { exported, onActivity: pacer.kick, log }));
    process.stdout.write(`usbip: listening on ${args.usbip.kind}:${listeners[0].address} (bus id ${exported.info.busid})\n`);
    if (args.control !== null) {
      listeners.push(await listen(args.control, (socket) => serveControl(socket, async (line) => {
        let answer: string;
        try {
          answer = await controlCommand(reader, line, args.seed);
        } catch (error) {
          answer = `error: ${error instanceof Error ? error.message : String(error)}`;
        }
        pacer.kick();
        return answer;
      })));
      process.stdout.write(`control: listening on ${args.control.kind}:${listeners[1].address}\n`);
    }
  } catch (error) {
    log(`ccid-reader serve: ${error instanceof Error ? error.message : String(error)}`);
    for (const l of listeners) await l.close();
    clearInterval(extensions);
    pacer.stop();
    for (const f of files) f.close();
    return 1;
  }
  pacer.kick();
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  clearInterval(extensions);
  pacer.stop();
  for (const l of listeners) await l.close();
  reader.close();
  for (const f of files) f.close();
  return 0;
}
