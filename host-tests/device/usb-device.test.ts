/**
 * The TypeScript half of the ESP32-S3 USB device (hal/moddable/usb-device.ts) over a stand-in for
 * the TinyUSB application driver of usb-device.c: descriptors handed to esp_tinyusb, and each kind of
 * message the driver posts turned into the UsbDevice callbacks, class requests answered by sequence.
 */
import test from 'ava';
import type { ControlReply, SetupPacket, UsbDevice, UsbDeviceConstructor, UsbDeviceOptions } from '../../hal/interfaces/usb-device.js';
import { describeReader } from '../../firmware/ccid/descriptors.js';
import { loadDeviceModule, natives } from './xs-natives.js';

class FakeDriver {
  device!: Uint8Array;
  configuration!: Uint8Array;
  strings!: Uint8Array;
  scratch!: ArrayBuffer;
  deliver!: (length: number) => void;
  sent: [boolean, number[]][] = [];
  replies: unknown[][] = [];
  busy = false;
  closed = 0;

  post(...bytes: number[]): void {
    new Uint8Array(this.scratch).set(bytes);
    this.deliver(bytes.length);
  }
}

let next: FakeDriver | null = null;
const driverOf = (self: Record<string, unknown>) => self.driver as FakeDriver;

natives({
  xs_usbdevice: (self, device, configuration, strings, scratch, deliver) => {
    const driver = next!;
    self.driver = driver;
    Object.assign(driver, { device, configuration, strings, scratch, deliver });
  },
  xs_usbdevice_send: (self, interrupt, message) => {
    const driver = driverOf(self);
    if (driver.busy) return false;
    driver.sent.push([interrupt as boolean, [...(message as Uint8Array)]]);
    return true;
  },
  xs_usbdevice_reply: (self, ...args) => void driverOf(self).replies.push(args.map((a) => (a instanceof Uint8Array ? [...a] : a))),
  xs_usbdevice_get_configured: () => true,
  xs_usbdevice_get_capacity: () => 4106,
  xs_usbdevice_close: (self) => void driverOf(self).closed++,
});

const description = describeReader({
  manufacturer: 'ccid-reader', product: 'ESP32-S3 CCID Reader', slots: 1, classes: ['C', 'B', 'A'],
  clocksHz: [4_000_000, 5_000_000], clockStop: true, protocols: [0, 1], exchangeLevel: 'extended-apdu',
});

async function open(onControl: (setup: SetupPacket, data: Uint8Array | null) => ControlReply = () => 'stall') {
  const { Esp32UsbDevice } = await loadDeviceModule<{ Esp32UsbDevice: UsbDeviceConstructor }>('usb-device');
  const driver = new FakeDriver();
  const events: string[] = [];
  const options: UsbDeviceOptions = {
    descriptors: description.descriptors,
    onControl,
    onBulkOut: (data) => events.push(`out ${[...data].join(' ')}`),
    onConfigured: (configuration) => events.push(`configured ${configuration}`),
    onInComplete: (endpoint) => events.push(`complete ${endpoint}`),
  };
  next = driver;
  const usb: UsbDevice = new Esp32UsbDevice(options);
  return { usb, driver, events, Esp32UsbDevice, options };
}

test('the CCID class\'s descriptors go to esp_tinyusb: device and configuration as they are, strings as ASCII', async (t) => {
  const { driver } = await open();
  t.deepEqual([...driver.device], [...description.descriptors.device]);
  t.deepEqual([...driver.configuration], [...description.descriptors.configuration]);
  const text = new TextDecoder().decode(driver.strings).split('\0');
  t.deepEqual(text.slice(1, 3), ['ccid-reader', 'ESP32-S3 CCID Reader']);
});

test('driver messages become callbacks: configured, bulk OUT data, IN completions', async (t) => {
  const { driver, events } = await open();
  driver.post(1, 1);
  driver.post(2, 0x6f, 0, 0, 0, 0, 0, 7, 0, 0, 0);
  driver.post(3, 0);
  driver.post(3, 1);
  driver.post(1, 0);
  t.deepEqual(events, ['configured 1', 'out 111 0 0 0 0 0 7 0 0 0', 'complete bulk', 'complete interrupt', 'configured 0']);
});

test('CCID §5.3 class requests are answered for their own sequence number: data, ack or stall', async (t) => {
  const seen: SetupPacket[] = [];
  const { driver } = await open((setup) => {
    seen.push({ ...setup });
    if (setup.bRequest === 0x02) return description.clockFrequencies;
    return setup.bRequest === 0x01 ? 'ack' : 'stall';
  });
  driver.post(4, 7, 0xa1, 0x02, 0, 0, 0, 0, 0x00, 0x01);
  driver.post(4, 8, 0x21, 0x01, 0x00, 0x05, 0, 0, 0, 0);
  driver.post(4, 9, 0xa1, 0x7f, 0, 0, 0, 0, 0, 0);
  t.deepEqual(seen[0], { bmRequestType: 0xa1, bRequest: 0x02, wValue: 0, wIndex: 0, wLength: 256 });
  t.deepEqual(seen[1].wValue, 0x0500);
  t.deepEqual(driver.replies, [[7, 2, [...description.clockFrequencies]], [8, 1, undefined], [9, 0, undefined]]);
});

test('sendBulk / sendInterrupt pick the endpoint; false while busy; longer than the driver buffer is an error', async (t) => {
  const { usb, driver } = await open();
  t.true(usb.sendBulk(Uint8Array.of(0x80, 0, 0, 0, 0, 0, 1, 0, 0, 0)));
  t.true(usb.sendInterrupt(Uint8Array.of(0x50, 0x03)));
  driver.busy = true;
  t.false(usb.sendBulk(Uint8Array.of(0x81)));
  t.deepEqual(driver.sent.map(([interrupt]) => interrupt), [false, true]);
  t.throws(() => usb.sendBulk(new Uint8Array(4107)), { instanceOf: RangeError });
});

test('malformed descriptors are refused before the driver is installed', async (t) => {
  const { Esp32UsbDevice, options } = await open();
  const device = Uint8Array.from(description.descriptors.device);
  device[0] = 17;
  t.throws(() => new Esp32UsbDevice({ ...options, descriptors: { ...description.descriptors, device } }), { instanceOf: RangeError });
});

test('close() is idempotent and silences the callbacks', async (t) => {
  const { usb, driver, events } = await open();
  usb.close();
  usb.close();
  driver.post(1, 1);
  t.is(driver.closed, 1);
  t.deepEqual(events, []);
  t.false(usb.sendBulk(Uint8Array.of(1)));
});
