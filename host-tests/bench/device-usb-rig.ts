/**
 * What the ESP32-S3's USB device (hal/moddable/usb-device.ts) costs in XS per CCID message, for the
 * firmware cost estimate: its JavaScript half runs here on stand-ins for the native functions of
 * usb-device.c (each a tiny JS function: the C moves the bytes outside XS), so the figures are what XS
 * spends per bulk OUT message (the native delivery and its decoding up to `onBulkOut`) and per bulk IN
 * message (`sendBulk`, then the delivery of its completion up to `onInComplete`). firmware-cost.ts
 * installs `globalThis.native` and `Native`, then hal/moddable/usb-device.ts bundled on its own as
 * `globalThis.__Esp32UsbDevice`, before this script. No Node API: this runs inside XS.
 */
import type { UsbDevice, UsbDeviceOptions } from '../../hal/interfaces/usb-device.js';

/** usb-device.c's message kinds (usb-device.ts MESSAGE_BULK_OUT, MESSAGE_IN_COMPLETE). */
const MESSAGE_BULK_OUT = 2;
const MESSAGE_IN_COMPLETE = 3;

interface Standins {
  __deliver: (length: number) => void;
  __scratch: ArrayBuffer;
  __Esp32UsbDevice: new (options: UsbDeviceOptions) => UsbDevice;
}

/** A device and device/configuration descriptors just valid enough for its start-up checks. */
function device(onBulkOut: (data: Uint8Array) => void, onInComplete: () => void): UsbDevice {
  const g = globalThis as unknown as Standins;
  const deviceDescriptor = new Uint8Array(18);
  deviceDescriptor[0] = 18;
  deviceDescriptor[1] = 0x01;
  const configuration = new Uint8Array(9);
  configuration[1] = 0x02;
  configuration[2] = 9;
  return new g.__Esp32UsbDevice({
    descriptors: { device: deviceDescriptor, configuration, strings: [] },
    onControl: () => 'stall',
    onBulkOut,
    onInComplete,
  } as unknown as UsbDeviceOptions);
}

/** `n` bulk OUT messages of 10 + 5 bytes delivered to `onBulkOut`. */
export function usbOut(args: { n: number }): null {
  let seen = 0;
  const usb = device((data) => {
    seen += data.length;
  }, () => {});
  const g = globalThis as unknown as Standins;
  const scratch = new Uint8Array(g.__scratch);
  scratch[0] = MESSAGE_BULK_OUT;
  for (let i = 0; i < args.n; i++) g.__deliver(1 + 15);
  usb.close();
  if (seen !== 15 * args.n) throw new Error('device USB rig: a message was not delivered');
  return null;
}

/** `n` bulk IN messages of 10 + 18 bytes handed over, each completion delivered to `onInComplete`. */
export function usbIn(args: { n: number }): null {
  let completed = 0;
  const usb = device(() => {}, () => {
    completed++;
  });
  const g = globalThis as unknown as Standins;
  const scratch = new Uint8Array(g.__scratch);
  const message = new Uint8Array(28);
  for (let i = 0; i < args.n; i++) {
    usb.sendBulk(message);
    scratch[0] = MESSAGE_IN_COMPLETE;
    scratch[1] = 0;
    g.__deliver(2);
  }
  usb.close();
  if (completed !== args.n) throw new Error('device USB rig: a completion was not delivered');
  return null;
}
