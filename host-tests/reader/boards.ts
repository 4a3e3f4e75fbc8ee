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
import { ESP32S3_BOARDS, type Esp32s3BoardName } from './esp32s3-firmware.js';
import { createEsp32s3Reader, prepareEsp32s3 } from './esp32s3-reader.js';
import { createSimReader } from './reader.js';

export const READER_BOARDS: readonly string[] = Object.freeze(['sim', ...Object.keys(ESP32S3_BOARDS)]);
export type ReaderBoardName = 'sim' | Esp32s3BoardName;

/** A socket's test backdoor. */
export interface ReaderSocket {
  readonly line: SimLine;
  readonly card: SimCard | null;
  insert(card: SimCard): void;
  remove(): void;
}

/** A reader as the host tools drive it. */
export interface HostReader {
  readonly board: { readonly scheduler: VirtualScheduler; readonly sim: ReaderSocket };
  readonly slot: Slot;
  readonly slots: readonly Slot[];
  readonly usb: { readonly host: SimUsbHost; readonly descriptors: UsbDescriptorSet; readonly configured: boolean };
  close(): void;
}

export interface HostReaderOptions {
  seed?: number;
  card?: SimCard;
  /** The sim board's firmware trace. */
  trace?: Trace;
  /** A virtual ESP32-S3's console lines (its firmware traces through Moddable's trace()), with the trace mask to set. */
  console?: { readonly mask: number; write(line: string): void };
  contacts?: Iso7816PcapWriter;
  exchangeLevel?: ExchangeLevel;
}

export function isReaderBoard(name: string): name is ReaderBoardName {
  return READER_BOARDS.includes(name);
}

/** What a board needs before readers can be created on it (the ESP32-S3 firmware bundle). */
export async function prepareReaderBoard(name: ReaderBoardName): Promise<void> {
  if (name !== 'sim') await prepareEsp32s3(name);
}

export function createReader(name: ReaderBoardName, options: HostReaderOptions = {}): HostReader {
  if (name === 'sim') {
    return createSimReader({ seed: options.seed, card: options.card, trace: options.trace, contacts: options.contacts, exchangeLevel: options.exchangeLevel });
  }
  if (options.exchangeLevel !== undefined && options.exchangeLevel !== 'extended-apdu') {
    throw new Error(`the ${name} board runs firmware/main.ts, which offers the extended APDU level only`);
  }
  return createEsp32s3Reader(name, {
    cards: [options.card],
    contacts: options.contacts,
    console: options.console?.write,
    config: options.console ? { trace: options.console.mask } : undefined,
  });
}
