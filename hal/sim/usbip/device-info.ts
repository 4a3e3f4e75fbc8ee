/**
 * The USB/IP device record (OP_REP_DEVLIST / OP_REP_IMPORT) of a simulated device, read from its
 * descriptors so that `usbip list` shows what enumeration will find.
 */
import type { UsbDescriptorSet } from '../../interfaces/usb-device.js';
import type { UsbipDeviceInfo } from './protocol.js';

/** Bus 1, device 2, bus id "1-1": one device on one simulated root port. */
export const SIM_BUSNUM = 1;
export const SIM_DEVNUM = 2;
export const SIM_BUSID = '1-1';
const FULL_SPEED = 2;

export function deviceInfoOf(descriptors: UsbDescriptorSet): UsbipDeviceInfo {
  const d = descriptors.device;
  const c = descriptors.configuration;
  const interfaces: UsbipDeviceInfo['interfaces'][number][] = [];
  for (let i = 0; i + 1 < c.length && c[i] >= 2; i += c[i]) {
    // Alternate setting 0 of each interface (USB 2.0 §9.6.5).
    if (c[i + 1] === 4 && c[i] >= 9 && i + 7 < c.length && c[i + 3] === 0) {
      interfaces.push({ bInterfaceClass: c[i + 5], bInterfaceSubClass: c[i + 6], bInterfaceProtocol: c[i + 7] });
    }
  }
  return {
    path: '/sys/devices/platform/ccid-reader-sim/usb1/1-1',
    busid: SIM_BUSID,
    busnum: SIM_BUSNUM,
    devnum: SIM_DEVNUM,
    speed: FULL_SPEED,
    idVendor: d[8] | (d[9] << 8),
    idProduct: d[10] | (d[11] << 8),
    bcdDevice: d[12] | (d[13] << 8),
    bDeviceClass: d[4],
    bDeviceSubClass: d[5],
    bDeviceProtocol: d[6],
    bConfigurationValue: c[5],
    bNumConfigurations: d[17],
    interfaces,
  };
}
