/**
 * The reader on a virtual ESP32-S3 board (`--board esp32s3`, `esp32s3-2slot`): the device's own
 * composition, firmware/main.ts, run unchanged on hal/sim/esp32s3 with the board's provider —
 * hal/moddable's TypeScript halves on top of its C compiled to WebAssembly. The firmware comes from
 * esp32s3-firmware.ts (evaluated afresh for each board); the board's pads are wired to interface
 * chips and sockets from the provider's roles, socket by socket in slot order. Host-only (Node).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Scheduler } from '../../hal/interfaces/scheduler.js';
import type { Slot } from '../../hal/interfaces/slot.js';
import type { UsbDescriptorSet } from '../../hal/interfaces/usb-device.js';
import type { SimCard } from '../../hal/sim/card.js';
import type { Iso7816PcapWriter } from '../../hal/sim/pcap.js';
import type { VirtualScheduler } from '../../hal/sim/scheduler.js';
import type { SimUsbHost } from '../../hal/sim/usb-device.js';
import { Esp32s3Board, type Esp32s3BoardOptions, type Esp32s3Socket } from '../../hal/sim/esp32s3/board.js';
import { boardTools, projectRoot } from '../../hal/sim/esp32s3/build.js';
import type { InterfaceChipPins } from '../../hal/sim/esp32s3/tda8035.js';
import { loadFirmware, type Esp32s3BoardName, type Firmware, type FirmwareFactory } from './esp32s3-firmware.js';
import { recordSlotApdus } from './pcap-slot.js';

export interface Esp32s3ReaderOptions extends Esp32s3BoardOptions {
  /** The cards in each socket at time 0, in slot order. */
  cards?: readonly (SimCard | null | undefined)[];
  /** Record ATRs and APDUs at slot 0's contacts (an ISO 7816 capture). */
  contacts?: Iso7816PcapWriter;
  /** The manifest's "config" as the firmware reads it from mc/config (default: manifest.json's). */
  config?: Record<string, unknown>;
}

/** What the host tools use of a reader on a virtual ESP32-S3 board. */
export interface Esp32s3Reader {
  readonly board: {
    readonly name: Esp32s3BoardName;
    readonly scheduler: VirtualScheduler;
    /** Socket 0's backdoor. */
    readonly sim: Esp32s3Socket;
    readonly sockets: readonly Esp32s3Socket[];
    readonly esp32s3: Esp32s3Board;
  };
  /** The slots firmware/main.ts created, index = bSlot; `slot` is slot 0. */
  readonly slot: Slot;
  readonly slots: readonly Slot[];
  readonly usb: {
    readonly host: SimUsbHost;
    readonly descriptors: UsbDescriptorSet;
    readonly configured: boolean;
  };
  close(): void;
}

const factories = new Map<Esp32s3BoardName, FirmwareFactory>();

/** Load (and build if needed) the firmware of `board`; createEsp32s3Reader needs it first. */
export async function prepareEsp32s3(board: Esp32s3BoardName): Promise<void> {
  boardTools(projectRoot(import.meta.url)); // a missing tool is one line here, not a stack trace later
  factories.set(board, await loadFirmware(board));
}

function manifestConfig(): Record<string, unknown> {
  const path = join(projectRoot(import.meta.url), 'manifest.json');
  return (JSON.parse(readFileSync(path, 'utf8')) as { config?: Record<string, unknown> }).config ?? {};
}

interface ProviderSocket {
  uart: { data: number };
  clock: { pin: number };
  reset: { pin: number };
  supply: { pin: number };
  classSelect?: { pins: readonly number[] };
  detect: { pin: number };
  fault?: { pin: number };
  led?: { pin: number };
}

/** A provider socket's roles as the pins of its interface chip (WIRING.md: TDA8035). */
function chipPins(socket: ProviderSocket): InterfaceChipPins {
  const select = socket.classSelect?.pins;
  if (select === undefined || socket.fault === undefined) throw new Error('the virtual board models a TDA8035 socket: class select and OFFN are required');
  return {
    io: socket.uart.data, clock: socket.clock.pin, reset: socket.reset.pin, supply: socket.supply.pin,
    select5v: select[0], select1v8: select[1], detect: socket.detect.pin, fault: socket.fault.pin, led: socket.led?.pin,
  };
}

/** A new virtual board with the firmware evaluated for it and its sockets wired, main() not run yet. */
export interface Esp32s3Firmware {
  readonly board: Esp32s3Board;
  readonly firmware: Firmware;
  /** The provider's sockets, in slot order (what the drivers are bound to). */
  readonly providerSockets: readonly unknown[];
  readonly sockets: readonly Esp32s3Socket[];
}

/** The board and firmware of `name` (after prepareEsp32s3(name)); `slotCreated` sees every slot main() creates. */
export function loadEsp32s3(name: Esp32s3BoardName, options: Esp32s3ReaderOptions = {}, slotCreated: (slot: Slot) => Slot = (slot) => slot): Esp32s3Firmware {
  const factory = factories.get(name);
  if (factory === undefined) throw new Error(`await prepareEsp32s3('${name}') first`);
  const board = new Esp32s3Board(options);
  const { chip } = board;
  const platform = { ...chip.platform, config: Object.freeze({ ...manifestConfig(), ...options.config }), slotCreated };
  const firmware = factory(platform, chip.platform.Native, chip.platform.native, chip.platform.trace);
  const device = firmware.device as { card: ProviderSocket; cards?: readonly ProviderSocket[] };
  const providerSockets = device.cards ?? [device.card];
  const sockets = board.wire(providerSockets.map(chipPins));
  (options.cards ?? []).forEach((card, i) => {
    if (card) sockets[i]?.insert(card);
  });
  return { board, firmware, providerSockets, sockets };
}

/** A reader on a new virtual board (after prepareEsp32s3(name)). */
export function createEsp32s3Reader(name: Esp32s3BoardName, options: Esp32s3ReaderOptions = {}): Esp32s3Reader {
  const slots: Slot[] = [];
  let scheduler: VirtualScheduler | undefined;
  const { board, firmware, sockets } = loadEsp32s3(name, options, (created) => {
    const slot = options.contacts && slots.length === 0 ? recordSlotApdus(created, options.contacts, scheduler as Scheduler) : created;
    slots.push(slot);
    return slot;
  });
  const { chip } = board;
  scheduler = board.scheduler;
  firmware.main();
  chip.critical.check('firmware/main.ts');
  if (slots.length !== sockets.length) throw new Error(`firmware/main.ts created ${slots.length} slots for ${sockets.length} sockets`);
  return {
    board: { name, scheduler: board.scheduler, sim: sockets[0], sockets, esp32s3: board },
    slot: slots[0],
    slots: Object.freeze(slots),
    usb: {
      host: chip.usb.host,
      get descriptors() { return chip.usb.descriptors; },
      get configured() { return chip.usb.configured; },
    },
    close: () => {
      chip.usb.uninstall();
    },
  };
}
