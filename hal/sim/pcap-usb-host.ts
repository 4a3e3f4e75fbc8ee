/**
 * Records every URB made through a simulated device's bus API as usbmon 'S' / 'C' pairs: wrap the
 * SimUsbHost once, hand the wrapper to whoever plays the bus (the USB/IP server, `sim`), and the
 * capture holds exactly what crossed the bus, including the GET_DESCRIPTOR(configuration) exchange
 * tshark needs to recognise the CCID interface. No Node APIs.
 */
import type { Scheduler } from '../interfaces/scheduler.js';
import type { SimUsbHost, UsbTransferStatus } from './usb-device.js';
import type { UsbPcapWriter } from './pcap.js';
import type { EndpointMap } from './usbip/endpoints.js';

const ERRNO_OF: Record<UsbTransferStatus, number> = { ok: 0, stall: -32, overflow: -75, 'no-device': -19 };
const ECONNRESET = 104;

export function recordUsbHost(host: SimUsbHost, writer: UsbPcapWriter, scheduler: Scheduler, endpoints: EndpointMap): SimUsbHost {
  let nextId = 1;
  const open = new Map<number, { id: number; transfer: 'bulk' | 'interrupt'; endpoint: number }>();
  const inUrb = (transfer: 'bulk' | 'interrupt', endpoint: number, submit: (done: (s: UsbTransferStatus, d: Uint8Array) => void) => number,
    maxLength: number, done: (s: UsbTransferStatus, d: Uint8Array) => void): number => {
    const id = nextId++;
    writer.submit({ id, transfer, endpoint, timeNs: scheduler.now(), length: maxLength });
    let handle = 0;
    handle = submit((status, data) => {
      open.delete(handle);
      writer.complete({ id, transfer, endpoint, timeNs: scheduler.now(), status: ERRNO_OF[status], length: data.length, data });
      done(status, data);
    });
    open.set(handle, { id, transfer, endpoint });
    return handle;
  };
  return {
    control(setup, data) {
      const id = nextId++;
      const endpoint = setup.bmRequestType & 0x80;
      const out = endpoint === 0 ? (data ?? new Uint8Array(0)) : undefined;
      writer.submit({ id, transfer: 'control', endpoint, timeNs: scheduler.now(), setup, length: out ? out.length : setup.wLength, data: out });
      const result = host.control(setup, data);
      const status = result.status === 'ok' ? 0 : ERRNO_OF.stall;
      writer.complete({ id, transfer: 'control', endpoint, timeNs: scheduler.now(), status, length: endpoint ? result.data.length : out!.length, data: endpoint ? result.data : undefined });
      return result;
    },
    bulkOut(data, done) {
      const id = nextId++;
      const endpoint = endpoints.addressOf['bulk-out'];
      writer.submit({ id, transfer: 'bulk', endpoint, timeNs: scheduler.now(), length: data.length, data });
      let handle = 0;
      handle = host.bulkOut(data, (status) => {
        open.delete(handle);
        writer.complete({ id, transfer: 'bulk', endpoint, timeNs: scheduler.now(), status: ERRNO_OF[status], length: status === 'ok' ? data.length : 0 });
        done?.(status);
      });
      open.set(handle, { id, transfer: 'bulk', endpoint });
      return handle;
    },
    bulkIn: (maxLength, done) => inUrb('bulk', endpoints.addressOf['bulk-in'], (d) => host.bulkIn(maxLength, d), maxLength, done),
    interruptIn: (maxLength, done) => inUrb('interrupt', endpoints.addressOf['interrupt-in'], (d) => host.interruptIn(maxLength, d), maxLength, done),
    cancel(handle) {
      const cancelled = host.cancel(handle);
      const urb = open.get(handle);
      if (cancelled && urb) {
        open.delete(handle);
        writer.complete({ ...urb, timeNs: scheduler.now(), status: -ECONNRESET, length: 0 });
      }
      return cancelled;
    },
    reset: () => host.reset(),
    get address() { return host.address; },
    get configuration() { return host.configuration; },
  };
}
