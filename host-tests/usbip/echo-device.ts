/**
 * Test-only: a minimal CCID-shaped device on the simulated USB device, for exercising the USB/IP
 * server without the real CCID class. It answers each bulk-OUT message (10-byte header, dwLength
 * data) with a DataBlock echoing the data, stalls class request 0x7F, and can send an interrupt.
 */
import { SimUsbDevice } from '../../hal/sim/usb-device.js';
import { VirtualScheduler } from '../../hal/sim/scheduler.js';

const device = Uint8Array.of(18, 1, 0x00, 0x02, 0, 0, 0, 64, 0x34, 0x12, 0x78, 0x56, 0x00, 0x01, 1, 2, 0, 1);
/**
 * Interface, a 54-byte class descriptor (filler, but for bMaxSlotIndex at offset 4 and
 * dwMaxCCIDMessageLength = 271 at offset 44, CCID rev 1.1 §5.1: the host's read-ahead sizes itself
 * by it, and is only for one slot), then the three endpoints.
 */
function configuration(maxSlotIndex: number): Uint8Array {
  return Uint8Array.of(
    9, 2, 9 + 9 + 54 + 7 * 3, 0, 1, 1, 0, 0x80, 50,
    9, 4, 0, 0, 3, 0x0b, 0, 0, 0,
    54, 0x21, 0x11, 0x11, maxSlotIndex, ...new Array<number>(39).fill(0x11), 0x0f, 0x01, 0, 0, ...new Array<number>(6).fill(0x11),
    7, 5, 0x01, 2, 64, 0, 0,
    7, 5, 0x82, 2, 64, 0, 0,
    7, 5, 0x83, 3, 8, 0, 16,
  );
}
const strings = [Uint8Array.of(4, 3, 0x09, 0x04), Uint8Array.of(8, 3, 0x54, 0, 0x65, 0, 0x73, 0), Uint8Array.of(6, 3, 0x45, 0, 0x63, 0)];

export interface EchoDevice {
  scheduler: VirtualScheduler;
  usb: SimUsbDevice;
}

/** `maxSlotIndex`: the slots the class descriptor declares, less one (default 0: one slot). */
export function createEchoDevice(maxSlotIndex = 0): EchoDevice {
  const scheduler = new VirtualScheduler();
  let pending = new Uint8Array(0);
  let queue: Uint8Array[] = [];
  const usb: SimUsbDevice = new SimUsbDevice({
    scheduler,
    descriptors: { device, configuration: configuration(maxSlotIndex), strings },
    onControl: (setup) => (setup.bRequest === 0x7f ? 'stall' : Uint8Array.of(1, 2, 3, 4)),
    onBulkOut: (data) => {
      const joined = new Uint8Array(pending.length + data.length);
      joined.set(pending);
      joined.set(data, pending.length);
      pending = joined;
      if (pending.length < 10) return;
      const length = pending[1] | (pending[2] << 8) | (pending[3] << 16);
      if (pending.length < 10 + length) return;
      const reply = new Uint8Array(10 + length);
      reply.set(pending.subarray(0, 10 + length));
      reply[0] = 0x80;
      pending = new Uint8Array(0);
      if (!usb.sendBulk(reply)) queue.push(reply);
    },
    onInComplete: (endpoint) => {
      if (endpoint === 'bulk' && queue.length > 0) usb.sendBulk(queue.shift()!);
    },
    onConfigured: (value) => {
      if (value === 0) queue = [];
    },
  });
  return { scheduler, usb };
}

/** A PC_to_RDR_XfrBlock carrying `data`, bSeq `seq`. */
export function xfrBlock(seq: number, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(10 + data.length);
  out[0] = 0x6f;
  out[1] = data.length & 0xff;
  out[2] = (data.length >> 8) & 0xff;
  out[6] = seq;
  out.set(data, 10);
  return out;
}
