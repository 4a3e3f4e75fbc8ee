/**
 * The floor of the virtual reader's path, for the vsmartcard bench: the same USB/IP server, CCID
 * class and descriptors as `ccid-reader serve`, but the slot is a stand-in that answers every
 * command at once (hal/sim/sim-slot.ts with no delays) instead of the ISO 7816-3 session and a
 * simulated card on a simulated line. What pcscd + libccid + the libusb stand-in + USB/IP + the CCID
 * class cost on their own: the most `serve` could reach.
 *
 * Usage (as the interop harness starts a server; the bench runs it bundled, as serve is): tsx host-tests/bench/floor-server.ts
 *   --usbip unix:PATH --control unix:PATH
 * Answers: READ BINARY (INS B0) gets Ne bytes and 90 00, everything else 90 00.
 */
import { CcidClass } from '../../firmware/ccid/ccid-class.js';
import type { UsbDeviceOptions } from '../../hal/interfaces/usb-device.js';
import { VirtualScheduler } from '../../hal/sim/scheduler.js';
import { SimSlot, type SimSlotReply } from '../../hal/sim/sim-slot.js';
import { SimUsbDevice, type SimUsbDeviceOptions } from '../../hal/sim/usb-device.js';
import type { UsbipExport } from '../../hal/sim/usbip/connection.js';
import { deviceInfoOf } from '../../hal/sim/usbip/device-info.js';
import { endpointsOf } from '../../hal/sim/usbip/endpoints.js';
import { paceInRealTime } from '../../hal/sim/usbip/realtime.js';
import { listen, listenUsbip, parseListenAddress } from '../../hal/sim/usbip/server.js';
import { readerConfig } from '../reader/reader.js';

const OK = Uint8Array.of(0x90, 0x00);

/** Ne of a command APDU (ISO/IEC 7816-4 §5.1): 0 when absent, 65 536 or 256 for an Le of zero. */
function ne(apdu: Uint8Array): number {
  if (apdu.length === 5) return apdu[4] === 0 ? 256 : apdu[4];
  if (apdu.length === 7 && apdu[4] === 0) return ((apdu[5] << 8) | apdu[6]) || 65536;
  return 0;
}

function respond(apdu: Uint8Array): SimSlotReply {
  if (apdu.length >= 4 && apdu[1] === 0xb0) {
    const response = new Uint8Array(ne(apdu) + 2);
    response.set(OK, response.length - 2);
    return { response, delayNs: 0 };
  }
  return { response: OK, delayNs: 0 };
}

function option(name: string): string {
  const i = process.argv.indexOf(name);
  const value = i >= 0 ? process.argv[i + 1] : undefined;
  if (value === undefined) throw new Error(`floor-server: ${name} is required`);
  return value;
}

const scheduler = new VirtualScheduler();
const slot = new SimSlot({ scheduler, powerOnDelayNs: 0, parametersDelayNs: 0, respond });
const usb = class extends SimUsbDevice {
  constructor(o: UsbDeviceOptions) {
    super({ ...o, scheduler } satisfies SimUsbDeviceOptions);
  }
};
const ccid = new CcidClass({ usb, slots: [slot], config: readerConfig('extended-apdu'), scheduler });
const device = ccid.usb as SimUsbDevice;
const exported: UsbipExport = {
  info: deviceInfoOf(device.descriptors), host: device.host, endpoints: endpointsOf(device.descriptors.configuration), importer: null,
};
const pacer = paceInRealTime(scheduler, 'max');
const usbip = parseListenAddress(option('--usbip'));
const control = parseListenAddress(option('--control'));
const listeners = [
  await listenUsbip(usbip, { exported, onActivity: pacer.kick }),
  await listen(control, (socket) => socket.on('data', () => socket.write('ok\n'))),
];
process.stdout.write(`usbip: listening on ${listeners[0].address}\ncontrol: listening on ${listeners[1].address}\n`);
await new Promise<void>((resolve) => {
  process.once('SIGINT', resolve);
  process.once('SIGTERM', resolve);
});
pacer.stop();
for (const l of listeners) await l.close();
ccid.close();
