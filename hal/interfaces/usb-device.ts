/**
 * A full-speed USB device function as the CCID class sees it: descriptors it serves, control
 * requests it answers, and three endpoints (bulk OUT, bulk IN, interrupt IN) carrying whole
 * messages. Packetisation (64-byte packets, zero-length packet after a transfer that is a multiple of
 * the packet size) is the implementation's job (TinyUSB on the device, the USB/IP server on the host).
 * ECMA-419 shape: options fixed at construction, callbacks notify, `close()` idempotent.
 */

export interface SetupPacket {
  bmRequestType: number;
  bRequest: number;
  wValue: number;
  wIndex: number;
  wLength: number;
}

/** The answer to a control request: data for the IN stage (trimmed to wLength), an empty OK, or a STALL. */
export type ControlReply = Uint8Array | 'ack' | 'stall';

export interface UsbDescriptorSet {
  /** Device descriptor (18 bytes). */
  device: Uint8Array;
  /** The whole configuration descriptor set (configuration, interface, class, endpoints). */
  configuration: Uint8Array;
  /** String descriptors by index; index 0 is the language list. */
  strings: readonly Uint8Array[];
}

export interface UsbDeviceOptions {
  descriptors: UsbDescriptorSet;
  /**
   * Class and vendor requests to the interface (standard requests are the implementation's).
   * `data` holds the OUT stage, if any. Must answer synchronously: hosts time out on control requests.
   */
  onControl(setup: SetupPacket, data: Uint8Array | null): ControlReply;
  /** Bytes arrived on bulk OUT: one USB transfer, or part of one (the class reassembles by its own length field). The view is valid only during the call. */
  onBulkOut(data: Uint8Array): void;
  /** SET_CONFIGURATION: 0 = unconfigured (bus reset or host de-configured), 1 = configured. */
  onConfigured?(configuration: number): void;
  /** The previous bulk IN or interrupt IN message has been taken by the host. */
  onInComplete?(endpoint: 'bulk' | 'interrupt'): void;
}

export interface UsbDevice {
  readonly configured: boolean;
  /**
   * Queue one whole message on bulk IN. Returns false (and queues nothing) when the endpoint still
   * holds an earlier message; retry from `onInComplete('bulk')`. The bytes are copied.
   */
  sendBulk(message: Uint8Array): boolean;
  /** Queue one interrupt IN message (≤ 64 bytes), same rules as sendBulk. */
  sendInterrupt(message: Uint8Array): boolean;
  /**
   * Flow control on bulk OUT (USB 2.0 §8.4.5: a device NAKs what it cannot take yet). While paused,
   * the device takes no further bulk OUT packet: the host's transfer waits, as on a NAKed endpoint,
   * and `onBulkOut` resumes after `pauseBulkOut(false)`. A class pauses when it could not answer the
   * next command, so no command goes unanswered. Optional: without it, bulk OUT is never held back.
   */
  pauseBulkOut?(paused: boolean): void;
  close(): void;
}

export interface UsbDeviceConstructor {
  new (options: UsbDeviceOptions): UsbDevice;
}
