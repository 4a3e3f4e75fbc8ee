/**
 * The simulated reader, composed once for the host (`ccid-reader serve`, `ccid-reader sim`): the sim
 * board, one card slot (an ISO 7816-3 session) per socket — 1 to 8, all working in parallel
 * (bMaxCCIDBusySlots = slots) —, the CCID class on a simulated USB device. The USB
 * side is reached through `usb.host` (the bus API the USB/IP server and the capture writers use).
 * The host's composition root (the device's is firmware/main.ts), beside the CLI: the one place on the
 * host that joins the firmware to the simulator (hal/ never imports firmware/).
 */
import type { Trace } from '../../hal/interfaces/trace.js';
import { CcidClass } from '../../firmware/ccid/ccid-class.js';
import type { ExchangeLevel, ReaderConfig } from '../../firmware/ccid/descriptors.js';
import { createCardSlot } from '../../firmware/iso7816/session/session.js';
import type { Slot } from '../../hal/interfaces/slot.js';
import { SIM_BOARD_CLASSES, SIM_BOARD_CLOCKS_HZ, SIM_BOARD_USB, createSimBoardProvider, type SimBoardProvider } from '../../boards/sim/board.js';
import type { SimCard } from '../../hal/sim/card.js';
import { findCard } from '../../hal/sim/cards/registry.js';
import { parseScriptedCard } from '../../hal/sim/cards/scripted.js';
import type { Iso7816PcapWriter } from '../../hal/sim/pcap.js';
import { recordSlotApdus } from './pcap-slot.js';
import { SimUsbDevice, type SimUsbDeviceOptions } from '../../hal/sim/usb-device.js';
import { boardConstructor } from '../../hal/sim/board.js';
import type { UsbDeviceOptions } from '../../hal/interfaces/usb-device.js';

export interface SimReaderOptions {
  seed?: number;
  /** Number of card slots (default 1, at most 8). */
  slots?: number;
  /** The card in slot 0 at time 0. */
  card?: SimCard;
  /** The cards in each slot at time 0 (an absent entry: that slot is empty); overrides `card`. */
  cards?: readonly (SimCard | null | undefined)[];
  /** Default: the extended APDU level (libccid sends whole APDUs, up to 64 KB, chained). */
  exchangeLevel?: ExchangeLevel;
  trace?: Trace;
  /** Record ATRs and APDUs at the contacts (an ISO 7816 capture; slot 0's). */
  contacts?: Iso7816PcapWriter;
  /** Keep the line's record and character events (default true); `serve` keeps nothing. */
  recording?: boolean;
}

export interface SimReader {
  readonly board: SimBoardProvider;
  /** Slot 0. */
  readonly slot: Slot;
  /** Every slot, index = bSlot. */
  readonly slots: readonly Slot[];
  readonly ccid: CcidClass;
  readonly usb: SimUsbDevice;
  readonly config: ReaderConfig;
  /** CCID §6.2.6 time extensions now for the card commands in progress (CcidClass.extendPending). */
  extendPending(): void;
  close(): void;
}

export function readerConfig(exchangeLevel: ExchangeLevel, slots = 1): ReaderConfig {
  return {
    ...SIM_BOARD_USB,
    slots,
    classes: SIM_BOARD_CLASSES,
    clocksHz: SIM_BOARD_CLOCKS_HZ,
    clockStop: true,
    protocols: [0, 1],
    exchangeLevel,
  };
}

export function createSimReader(options: SimReaderOptions = {}): SimReader {
  const count = options.slots ?? 1;
  const board = createSimBoardProvider({ seed: options.seed, sockets: count, card: options.card, cards: options.cards, trace: options.trace, recording: options.recording });
  const scheduler = board.scheduler;
  const slots = board.sockets.map((socket, index) => {
    const session = createCardSlot({ contacts: socket.card.contacts, uart: socket.card.uart, scheduler, trace: options.trace });
    return options.contacts && index === 0 ? recordSlotApdus(session, options.contacts, scheduler) : session;
  });
  const config = readerConfig(options.exchangeLevel ?? 'extended-apdu', count);
  // The simulated device needs the virtual clock besides the class's options.
  const usb = boardConstructor((o: UsbDeviceOptions) => new SimUsbDevice({ ...o, scheduler } satisfies SimUsbDeviceOptions));
  const ccid = new CcidClass({ usb, slots, config, scheduler, trace: options.trace });
  return {
    board,
    slot: slots[0],
    slots,
    ccid,
    usb: ccid.usb as SimUsbDevice,
    config,
    extendPending: () => ccid.extendPending(),
    close: () => ccid.close(),
  };
}

/**
 * `--card NAME|FILE` and the control socket's `insert NAME|FILE`: a built-in card by name, else a
 * scripted card read from the JSON file. Errors are values (the caller prints them).
 */
export function resolveCard(spec: string, seed: number, readFile: (path: string) => string): { card: SimCard } | { error: string } {
  const builtIn = findCard(spec);
  if (builtIn) return { card: builtIn.create(seed) };
  let text: string;
  try {
    text = readFile(spec);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ENOENT') return { error: `no built-in card '${spec}' and no such file (see 'ccid-reader cards')` };
    if (code === 'EISDIR') return { error: `${spec} is a directory, not a scripted card (a JSON file) nor a built-in card (see 'ccid-reader cards')` };
    return { error: `${spec}: ${error instanceof Error ? error.message : String(error)}` };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { error: `${spec}: not JSON (${error instanceof Error ? error.message : String(error)})` };
  }
  const parsed = parseScriptedCard(json);
  return 'error' in parsed ? { error: `${spec}: ${parsed.error}` } : { card: parsed.card };
}
