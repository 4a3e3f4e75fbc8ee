/**
 * The reader on the virtual ESP32-S3 board (`--board esp32s3`): the device's own composition,
 * firmware/main.ts, run unchanged on hal/sim/esp32s3 with the ESP32-S3-DevKitC board's provider
 * (boards/esp32s3-devkitc/host/provider.js) — hal/moddable's TypeScript halves on top of its C
 * compiled to WebAssembly. The firmware is bundled once per process (esbuild, as mcconfig would
 * resolve its modules: `embedded:*`, `timer` and `mc/config` are the virtual board's) and evaluated
 * once per board, with the board's Native, native and trace as its globals.
 *
 * Two observation points the device does not have, both outside the firmware: the slot main.ts
 * creates is recorded (for the control socket's status and the contacts capture), by re-exporting
 * firmware/iso7816/session.ts with createCardSlot wrapped; and the board's console (`trace()`).
 * Host-only (Node).
 */
import { build, type Plugin } from 'esbuild';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Slot } from '../../hal/interfaces/slot.js';
import type { Scheduler } from '../../hal/interfaces/scheduler.js';
import type { UsbDescriptorSet } from '../../hal/interfaces/usb-device.js';
import type { SimCard } from '../../hal/sim/card.js';
import type { SimLine } from '../../hal/sim/line.js';
import type { Iso7816PcapWriter } from '../../hal/sim/pcap.js';
import type { VirtualScheduler } from '../../hal/sim/scheduler.js';
import type { SimUsbHost } from '../../hal/sim/usb-device.js';
import { Esp32s3Board, type Esp32s3BoardOptions } from '../../hal/sim/esp32s3/board.js';
import type { InterfaceChipPins } from '../../hal/sim/esp32s3/tda8035.js';
import { recordSlotApdus } from './pcap-slot.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PROVIDER = 'boards/esp32s3-devkitc/host/provider.js';

export interface Esp32s3ReaderOptions extends Esp32s3BoardOptions {
  /** A card inserted at time 0. */
  card?: SimCard;
  /** Record ATRs and APDUs at the contacts (an ISO 7816 capture). */
  contacts?: Iso7816PcapWriter;
  /** The manifest's "config" as the firmware reads it from mc/config (default: manifest.json's). */
  config?: Record<string, unknown>;
}

/** What the host tools use of a reader, on any board. */
export interface Esp32s3Reader {
  readonly board: {
    readonly name: 'esp32s3';
    readonly scheduler: VirtualScheduler;
    readonly sim: {
      readonly line: SimLine;
      readonly card: SimCard | null;
      insert(card: SimCard): void;
      remove(): void;
      fault(): void;
    };
    readonly esp32s3: Esp32s3Board;
  };
  /** The slot firmware/main.ts created. */
  readonly slot: Slot;
  readonly usb: {
    readonly host: SimUsbHost;
    readonly descriptors: UsbDescriptorSet;
    readonly configured: boolean;
  };
  close(): void;
}

interface Firmware {
  main(): void;
  device: { pin: Record<string, number> };
}

type FirmwareFactory = (
  platform: unknown, Native: unknown, native: unknown, trace: unknown,
) => Firmware;

let bundled: FirmwareFactory | null = null;
let bundling: Promise<FirmwareFactory> | null = null;

/** The manifest's "config" (mc/config). */
function manifestConfig(): Record<string, unknown> {
  const manifest = JSON.parse(readFileSync(join(ROOT, 'manifest.json'), 'utf8')) as { config?: Record<string, unknown> };
  return manifest.config ?? {};
}

/**
 * Bundle firmware/main.ts and the DevKitC provider, resolved as mcconfig resolves the manifest's
 * modules; once per process. createEsp32s3Reader needs it done (esbuild's plugins are asynchronous).
 */
export function loadEsp32s3Firmware(): Promise<FirmwareFactory> {
  bundling ??= bundleFirmware().then((factory) => (bundled = factory));
  return bundling;
}

async function bundleFirmware(): Promise<FirmwareFactory> {
  const session = join(ROOT, 'firmware/iso7816/session.ts');
  const platformModules: Record<string, string> = {
    'embedded:io/digital': 'export default platform.Digital;',
    'embedded:io/pwm': 'export default platform.PWM;',
    timer: 'export default platform.Timer;',
    'mc/config': 'export default platform.config;',
    'firmware-session': [
      `import { createCardSlot as create } from ${JSON.stringify(session)};`,
      `export * from ${JSON.stringify(session)};`,
      'export function createCardSlot(options) { return platform.slotCreated(create(options)); }',
    ].join('\n'),
    entry: [
      `export { default as main } from ${JSON.stringify(join(ROOT, 'firmware/main.ts'))};`,
      `export { default as device } from ${JSON.stringify(join(ROOT, PROVIDER))};`,
    ].join('\n'),
  };
  const modules: Plugin = {
    name: 'moddable-modules',
    setup(build) {
      build.onResolve({ filter: /^(embedded:io\/(digital|pwm)|timer|mc\/config|entry)$/ }, (args) => ({ path: args.path, namespace: 'platform' }));
      build.onResolve({ filter: /^embedded:provider\/builtin$/ }, () => ({ path: join(ROOT, PROVIDER) }));
      build.onResolve({ filter: /^hal\/moddable\// }, (args) => ({ path: join(ROOT, `${args.path}.ts`) }));
      // main.ts's session import, observed (see the top of this file).
      build.onResolve({ filter: /\/iso7816\/session\.js$/ }, (args) =>
        (args.importer.endsWith(join('firmware', 'main.ts')) ? { path: 'firmware-session', namespace: 'platform' } : undefined));
      build.onLoad({ filter: /.*/, namespace: 'platform' }, (args) => ({ contents: platformModules[args.path], loader: 'js', resolveDir: ROOT }));
    },
  };
  const result = await build({
    entryPoints: ['entry'], bundle: true, write: false, format: 'iife', globalName: '__firmware', platform: 'neutral',
    target: 'es2022', plugins: [modules], logLevel: 'silent',
  });
  const code = result.outputFiles[0].text;
  return new Function('platform', 'Native', 'native', 'trace', `${code}\nreturn __firmware;`) as FirmwareFactory;
}

/** The provider's pin table as the interface chip's pins (boards/esp32s3-devkitc/WIRING.md). */
function chipPins(pin: Record<string, number>): InterfaceChipPins {
  return {
    io: pin.cardIO, clock: pin.cardClock, reset: pin.cardReset, supply: pin.cardSupply,
    select5v: pin.card5V3V, select1v8: pin.card1V8, detect: pin.cardDetect, fault: pin.cardFault, led: pin.led,
  };
}

/** A reader on a new virtual ESP32-S3 board (after loadEsp32s3Firmware()). */
export function createEsp32s3Reader(options: Esp32s3ReaderOptions = {}): Esp32s3Reader {
  if (bundled === null) throw new Error('createEsp32s3Reader: await loadEsp32s3Firmware() first');
  const esp32s3 = new Esp32s3Board(options);
  const { chip, scheduler } = esp32s3;
  let slot: Slot | null = null;
  const platform = {
    ...chip.platform,
    config: Object.freeze({ ...manifestConfig(), ...options.config }),
    slotCreated: (created: Slot): Slot => {
      slot = options.contacts ? recordSlotApdus(created, options.contacts, scheduler as Scheduler) : created;
      return slot;
    },
  };
  const firmware = bundled(platform, chip.platform.Native, chip.platform.native, chip.platform.trace);
  esp32s3.wire(chipPins(firmware.device.pin));
  if (options.card) esp32s3.insert(options.card);
  firmware.main();
  chip.critical.check('firmware/main.ts');
  if (slot === null) throw new Error('firmware/main.ts created no slot');
  const createdSlot: Slot = slot;
  return {
    board: {
      name: 'esp32s3',
      scheduler,
      sim: {
        line: esp32s3.line,
        get card() { return esp32s3.card; },
        insert: (card) => esp32s3.insert(card),
        remove: () => esp32s3.remove(),
        fault: () => esp32s3.fault(),
      },
      esp32s3,
    },
    slot: createdSlot,
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
