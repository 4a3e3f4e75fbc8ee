/**
 * The boards a host reader can run on (`--board`): `sim`, the simulated board with the host's
 * composition (reader.ts); `esp32s3` and `esp32s3-2slot`, virtual ESP32-S3 boards running the
 * device's composition, firmware/main.ts, on the drivers of hal/moddable (esp32s3-reader.ts). The
 * host tools (sim, serve, tests) see one shape of reader whichever board it is.
 */
import type { Slot } from '../../hal/interfaces/slot.js';
import type { Trace } from '../../hal/interfaces/trace.js';
import type { UsbDescriptorSet } from '../../hal/interfaces/usb-device.js';
import type { SimCard } from '../../hal/sim/card.js';
import type { SimLine } from '../../hal/sim/line.js';
import type { Iso7816PcapWriter } from '../../hal/sim/pcap.js';
import type { VirtualScheduler } from '../../hal/sim/scheduler.js';
import type { SimUsbHost } from '../../hal/sim/usb-device.js';
import type { ExchangeLevel } from '../../firmware/ccid/descriptors.js';
import type { ReaderBoardName } from './board-names.js';
import { createEsp32s3Reader, prepareEsp32s3 } from './esp32s3-reader.js';
import { createSimReader } from './reader.js';

export { READER_BOARDS, fixedSockets, isReaderBoard, type ReaderBoardName } from './board-names.js';

/** A socket's test backdoor. */
export interface ReaderSocket {
  readonly line: SimLine;
  readonly card: SimCard | null;
  insert(card: SimCard): void;
  remove(): void;
}

/** A reader as the host tools drive it. */
export interface HostReader {
  /** `sim` is socket 0's backdoor, `sockets[k].sim` socket k's (index = bSlot). */
  readonly board: { readonly scheduler: VirtualScheduler; readonly sim: ReaderSocket; readonly sockets: readonly { readonly sim: ReaderSocket }[] };
  readonly slot: Slot;
  readonly slots: readonly Slot[];
  readonly usb: { readonly host: SimUsbHost; readonly descriptors: UsbDescriptorSet; readonly configured: boolean };
  /** CCID §6.2.6 time extensions now for the card commands in progress (CcidClass.extendPending), where the reader offers them. */
  extendPending?(): void;
  close(): void;
}

export interface HostReaderOptions {
  seed?: number;
  /** The sim board's sockets (default 1); a virtual ESP32-S3 has the sockets it is wired with. */
  slots?: number;
  card?: SimCard;
  /** The cards in each socket at time 0 (overrides `card`). */
  cards?: readonly (SimCard | null | undefined)[];
  /** Keep the line's record and character events (default true); `serve` keeps nothing. */
  recording?: boolean;
  /** The sim board's firmware trace. */
  trace?: Trace;
  /** A virtual ESP32-S3's console lines (its firmware traces through Moddable's trace()), with the trace mask to set. */
  console?: { readonly mask: number; write(line: string): void };
  contacts?: Iso7816PcapWriter;
  exchangeLevel?: ExchangeLevel;
}

/** What a board needs before readers can be created on it (the ESP32-S3 firmware bundle). */
export async function prepareReaderBoard(name: ReaderBoardName): Promise<void> {
  if (name !== 'sim') await prepareEsp32s3(name);
}

export function createReader(name: ReaderBoardName, options: HostReaderOptions = {}): HostReader {
  if (name === 'sim') {
    return createSimReader({
      seed: options.seed, slots: options.slots, card: options.card, cards: options.cards, trace: options.trace,
      contacts: options.contacts, exchangeLevel: options.exchangeLevel, recording: options.recording,
    });
  }
  if (options.exchangeLevel !== undefined && options.exchangeLevel !== 'extended-apdu') {
    throw new Error(`the ${name} board runs firmware/main.ts, which offers the extended APDU level only`);
  }
  return createEsp32s3Reader(name, {
    cards: options.cards ?? [options.card],
    recording: options.recording,
    contacts: options.contacts,
    console: options.console?.write,
    config: options.console ? { trace: options.console.mask } : undefined,
  });
}
