/**
 * Command-line parsing for `ccid-reader sim` (the `ccid-reader` command's contract). Usage errors are values,
 * so the command can print them with the usage text and exit 2.
 */
import { parseHex } from '../../hal/sim/hex.js';
import { boardWithSlots, isReaderBoard, READER_BOARDS, type ReaderBoardName } from '../reader/board-names.js';

export interface SimArgs {
  /** A built-in card name or a scripted-card JSON file; null for the default card. */
  card: string | null;
  /** Every --card, slot by slot (the last one also fills the slots after it). */
  cards: string[];
  /** Card slots of the reader, 1–8 (default 1). */
  slots: number;
  /** APDUs in order, as bytes; empty for the demo session. */
  apdus: Uint8Array[];
  json: boolean;
  trace: boolean;
  vcd: string | null;
  pcap: string | null;
  /** Seed of the simulated board and card (determinism: same seed, same trace). */
  seed: number;
  /** The board: `sim` or a virtual ESP32-S3 board (host-tests/reader/boards.ts). */
  board: ReaderBoardName;
  help: boolean;
}

export const SIM_USAGE = `usage: ccid-reader sim [--slots N] [--card NAME|FILE]... [--apdu HEX]... [--json] [--trace] [--vcd FILE]
                       [--pcap FILE] [--seed N] [--board sim|esp32s3|esp32s3-2slot]

Runs the reader firmware on the simulated board: inserts the card, powers it on (IccPowerOn),
reads the ATR, negotiates PPS, sets up the protocol, sends each APDU through the CCID path and
removes the card. Without --apdu it runs a demo session.

  --slots N         a reader of N card slots (1–8, default 1) working in parallel: every slot gets its
                    card, powers it on and sends the APDUs at the same time as the others; with
                    --json, "slots" lists each slot's report (the top-level fields are slot 0's)
  --card NAME|FILE  a built-in card (see 'ccid-reader cards') or a scripted card JSON file; with
                    --slots, repeat it for slots 0, 1, …: the last one also fills the slots after it
  --apdu HEX        an APDU to send (repeatable; spaces allowed inside the quotes)
  --json            print one JSON object instead of the readable trace; an exchange's "error" is the
                    CCID bError name (ICC_MUTE, XFR_PARITY_ERROR, …; BAD_FIELD_OFFSET_1 = dwLength:
                    the --apdu bytes are no APDU, refused before the card on T=0 and T=1 alike)
  --trace           add the firmware's protocol trace (to stderr with --json)
  --vcd FILE        write the contact signals (VCC, CLK, RST, I/O) as a VCD waveform (slot 0's)
  --pcap FILE       write the USB traffic as a usbmon pcap capture (every slot's)
  --seed N          seed of the simulation (default 1; slot K's card and socket use N + K)
  --board NAME      sim (default): the simulated board; esp32s3 (1 slot; with --slots 2 the two-slot
                    board), esp32s3-2slot (2 slots): a
                    virtual ESP32-S3 board running the device firmware (firmware/main.ts) on its own
                    drivers (hal/moddable's C compiled to WebAssembly; needs clang and lld); --trace
                    shows what the firmware prints on the board's console
`;

const WITH_VALUE = new Set(['--slots', '--card', '--apdu', '--vcd', '--pcap', '--seed', '--board']);
/** CCID's bMaxSlotIndex 7 (boards/sim/board.ts MAX_SOCKETS). */
const MAX_SLOTS = 8;
const FLAGS = new Set(['--json', '--trace', '--help', '-h']);

export function parseSimArgs(argv: readonly string[]): SimArgs | { error: string } {
  const args: SimArgs = { card: null, cards: [], slots: 1, apdus: [], json: false, trace: false, vcd: null, pcap: null, seed: 1, board: 'sim', help: false };
  let slotsGiven = false;
  for (let i = 0; i < argv.length; i++) {
    let name = argv[i];
    let value: string | undefined;
    const eq = name.indexOf('=');
    if (name.startsWith('--') && eq > 0) {
      value = name.slice(eq + 1);
      name = name.slice(0, eq);
    }
    if (FLAGS.has(name)) {
      if (value !== undefined) return { error: `${name} takes no value` };
      if (name === '--json') args.json = true;
      else if (name === '--trace') args.trace = true;
      else args.help = true;
      continue;
    }
    if (!WITH_VALUE.has(name)) return { error: `unknown option '${argv[i]}'` };
    if (value === undefined) {
      if (i + 1 >= argv.length) return { error: `${name} needs a value` };
      value = argv[++i];
    }
    switch (name) {
      case '--card':
        args.card ??= value;
        args.cards.push(value);
        break;
      case '--slots': {
        const slots = Number(value);
        if (!Number.isInteger(slots) || slots < 1 || slots > MAX_SLOTS) return { error: `--slots '${value}' is not a number from 1 to ${MAX_SLOTS}` };
        args.slots = slots;
        slotsGiven = true;
        break;
      }
      case '--apdu': {
        const apdu = parseHex(value);
        if ('error' in apdu) return { error: `--apdu '${value}': ${apdu.error}` };
        if (apdu.bytes.length === 0) return { error: '--apdu needs at least one byte' };
        args.apdus.push(apdu.bytes);
        break;
      }
      case '--vcd':
        args.vcd = value;
        break;
      case '--pcap':
        args.pcap = value;
        break;
      case '--board':
        if (!isReaderBoard(value)) return { error: `--board '${value}': one of ${READER_BOARDS.join(', ')}` };
        args.board = value;
        break;
      case '--seed': {
        const seed = Number(value);
        if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) return { error: `--seed '${value}' is not an integer from 0 to 4294967295` };
        args.seed = seed;
        break;
      }
    }
  }
  const chosen = boardWithSlots(args.board, slotsGiven ? args.slots : null);
  if ('error' in chosen) return { error: `--slots ${args.slots}: ${chosen.error}` };
  args.board = chosen.board;
  args.slots = chosen.slots;
  if (args.cards.length > args.slots) {
    return { error: args.slots === 1 ? '--card given twice (--slots N for a card per slot)' : `${args.cards.length} cards for ${args.slots} slots` };
  }
  return args;
}
