/**
 * UsbDevice on the ESP32-S3's USB-OTG port: the TypeScript half of usb-device.c (a TinyUSB
 * application class driver for the CCID interface, installed through esp_tinyusb). The descriptors
 * come from the CCID class; this side turns them into what esp_tinyusb takes, decodes what the
 * driver posts, and answers class requests through `onControl`.
 *
 * The board's manifest must build with `USE_USB: 0`: the port then belongs to this driver, and the
 * Moddable console and debugger stay on UART0.
 */
import type {
  ControlReply, SetupPacket, UsbDescriptorSet, UsbDevice, UsbDeviceOptions,
} from '../interfaces/usb-device.js';
import { packStrings } from './usb-strings.js';

/** Message kinds posted by usb-device.c (its enum, same order). */
const MESSAGE_CONFIGURED = 1;
const MESSAGE_BULK_OUT = 2;
const MESSAGE_IN_COMPLETE = 3;
const MESSAGE_CONTROL = 4;

const REPLY_STALL = 0;
const REPLY_ACK = 1;
const REPLY_DATA = 2;

/** Kind byte + sequence + setup packet + the largest bulk OUT transfer (usb-device.c kOutSize). */
const SCRATCH_SIZE = 1 + 1 + 8 + 512;
const SETUP_OFFSET = 2;
const SETUP_LENGTH = 8;

/** The native record; methods map one to one onto usb-device.c. */
class UsbDevicePort extends Native('xs_usbdevice_destructor') {
  constructor(device: Uint8Array, configuration: Uint8Array, strings: Uint8Array, scratch: ArrayBuffer,
    deliver: (length: number) => void) {
    super();
    native('xs_usbdevice').call(this, device, configuration, strings, scratch, deliver);
  }
  close(): void {
    native('xs_usbdevice_close').call(this);
  }
  send(interrupt: boolean, message: Uint8Array): boolean {
    return native('xs_usbdevice_send').call(this, interrupt, message) as boolean;
  }
  reply(sequence: number, kind: number, data?: Uint8Array): void {
    native('xs_usbdevice_reply').call(this, sequence, kind, data);
  }
  get configured(): boolean {
    return native('xs_usbdevice_get_configured').call(this) as boolean;
  }
  get capacity(): number {
    return native('xs_usbdevice_get_capacity').call(this) as number;
  }
}

function checkDescriptors(descriptors: UsbDescriptorSet): void {
  const { device, configuration } = descriptors;
  if (device.length !== 18 || device[0] !== 18 || device[1] !== 0x01) throw new RangeError('device descriptor');
  const total = configuration[2] | (configuration[3] << 8);
  if (configuration[1] !== 0x02 || total !== configuration.length) throw new RangeError('configuration descriptor');
}

export class Esp32UsbDevice implements UsbDevice {
  readonly #options: UsbDeviceOptions;
  readonly #port: UsbDevicePort;
  readonly #scratch: Uint8Array;
  readonly #setup: SetupPacket = { bmRequestType: 0, bRequest: 0, wValue: 0, wIndex: 0, wLength: 0 };
  /** The longest message the driver's IN buffer takes (fixed when it opens): read once, not per message. */
  readonly #capacity: number;
  #closed = false;

  constructor(options: UsbDeviceOptions) {
    checkDescriptors(options.descriptors);
    this.#options = options;
    const scratch = new ArrayBuffer(SCRATCH_SIZE);
    this.#scratch = new Uint8Array(scratch);
    const { device, configuration, strings } = options.descriptors;
    this.#port = new UsbDevicePort(device, configuration, packStrings(strings), scratch, this.#deliver);
    this.#capacity = this.#port.capacity;
  }

  get configured(): boolean {
    return !this.#closed && this.#port.configured;
  }

  sendBulk(message: Uint8Array): boolean {
    if (this.#closed) return false;
    if (message.length > this.#capacity) throw new RangeError('message longer than dwMaxCCIDMessageLength');
    // The native directly (UsbDevicePort.send's): one call fewer for every reply.
    return native('xs_usbdevice_send').call(this.#port, false, message) as boolean;
  }

  sendInterrupt(message: Uint8Array): boolean {
    if (this.#closed) return false;
    return this.#port.send(true, message);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#port.close();
  }

  /** One message from usb-device.c, copied into the scratch buffer (the native calls it directly: one call per message). */
  readonly #deliver = (length: number): void => {
    if (this.#closed || length < 1) return;
    const bytes = this.#scratch;
    // The frequent kinds first: the cases are compared in order.
    switch (bytes[0]) {
      case MESSAGE_BULK_OUT:
        this.#options.onBulkOut(bytes.subarray(1, length));
        break;
      case MESSAGE_IN_COMPLETE:
        this.#options.onInComplete?.(bytes[1] === 0 ? 'bulk' : 'interrupt');
        break;
      case MESSAGE_CONFIGURED:
        this.#options.onConfigured?.(bytes[1]);
        break;
      case MESSAGE_CONTROL:
        this.#control(length);
        break;
      default:
        break;
    }
  };

  #control(length: number): void {
    const bytes = this.#scratch;
    const sequence = bytes[1];
    const setup = this.#setup;
    const s = SETUP_OFFSET;
    setup.bmRequestType = bytes[s];
    setup.bRequest = bytes[s + 1];
    setup.wValue = bytes[s + 2] | (bytes[s + 3] << 8);
    setup.wIndex = bytes[s + 4] | (bytes[s + 5] << 8);
    setup.wLength = bytes[s + 6] | (bytes[s + 7] << 8);
    const dataStart = s + SETUP_LENGTH;
    const data = length > dataStart ? bytes.subarray(dataStart, length) : null;
    const reply: ControlReply = this.#options.onControl(setup, data);
    if (reply === 'stall') this.#port.reply(sequence, REPLY_STALL);
    else if (reply === 'ack') this.#port.reply(sequence, REPLY_ACK);
    else this.#port.reply(sequence, REPLY_DATA, reply);
  }
}
