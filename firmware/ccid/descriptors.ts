/**
 * USB descriptors of the reader, generated from what the board can do (`ReaderConfig`): USB 2.0 §9.6
 * device, configuration, interface, endpoint and string descriptors, and the CCID Rev 1.1 §5.1
 * Table 5.1-1 smart card device class descriptor (54 bytes, right after the interface descriptor:
 * libccid accepts no other extra descriptor there).
 */
import type { VoltageClass } from '../../hal/interfaces/card-contacts.js';
import type { UsbDescriptorSet } from '../../hal/interfaces/usb-device.js';
import { diValue, fiValue, fmaxHz } from '../iso7816/tables.js';
import { dataRate, Dd, Fd } from '../iso7816/timing.js';
import { Feature, HEADER_LENGTH } from './constants.js';
import { writeU32 } from './messages.js';

/** Who maps APDUs to TPDUs (CCID §5.1 dwFeatures exchange level). */
export type ExchangeLevel = 'tpdu' | 'short-apdu' | 'extended-apdu';

export interface ReaderConfig {
  /** idVendor / idProduct; the default is pid.codes' test ID 0x1209:0x0001 (never for products). */
  vendorId?: number;
  productId?: number;
  /** bcdDevice, default 0x0100. */
  release?: number;
  manufacturer?: string;
  product?: string;
  serialNumber?: string;
  /** Number of card slots (1–8 here: one interrupt packet and the busy-slot bitmap stay small). */
  slots: number;
  /** Voltage classes the board can supply (CardContactsCapabilities.classes). */
  classes: readonly VoltageClass[];
  /** CLK frequencies in Hz, the first the default (CardContactsCapabilities.clocksHz). */
  clocksHz: readonly number[];
  /** The board can stop CLK (CardContactsCapabilities.clockStop). */
  clockStop: boolean;
  /** Highest bit rate the card UART holds (CardUartCapabilities.maxBaud); absent: no limit. */
  maxBaud?: number;
  /** Protocols the session implements. */
  protocols: readonly (0 | 1)[];
  exchangeLevel: ExchangeLevel;
  /**
   * dwMaxCCIDMessageLength = the size of every message buffer. Default 271 (10 + 261: a short APDU
   * with Lc = 255 and Le, or a T=1 block with IFSD 254, fits in one message). At the extended APDU
   * level longer APDUs travel in chained messages of this size.
   */
  maxMessageLength?: number;
  /**
   * Longest command APDU the extended APDU level assembles from a chain (the reader's APDU buffer).
   * Default 65544 (4 + 3 + 65535 + 2: the longest ISO 7816-4 extended APDU); a board short of RAM
   * sets less, and a longer chain fails with XFR_OVERRUN.
   */
  maxApduLength?: number;
  /** The board has a PIN pad. No PIN pad driver exists: only false is accepted (bPINSupport 0). */
  pinPad?: false;
  /** bMaxPower in mA (default 250: the ESP32-S3 plus a class A card). */
  maxPowerMa?: number;
  /** Endpoint addresses (TinyUSB's choice on the device). */
  endpoints?: { bulkOut: number; bulkIn: number; interruptIn: number };
}

/** Everything the class needs besides the descriptor bytes, with the config's defaults applied. */
export interface ReaderDescription {
  readonly descriptors: UsbDescriptorSet;
  readonly maxMessageLength: number;
  readonly maxApduLength: number;
  readonly exchangeLevel: ExchangeLevel;
  readonly slots: number;
  readonly features: number;
  /** GET_CLOCK_FREQUENCIES: bNumClockSupported dwords, kHz. */
  readonly clockFrequencies: Uint8Array;
  /** GET_DATA_RATES: bNumDataRatesSupported dwords, bit/s. */
  readonly dataRates: Uint8Array;
  readonly clocksKHz: readonly number[];
  readonly dataRatesBps: readonly number[];
  readonly bClassGetResponse: number;
  readonly bClassEnvelope: number;
}

/** pid.codes (VID 0x1209) reserves PID 0x0001 for tests: fine for the simulator and development boards. */
export const TEST_VENDOR_ID = 0x1209;
export const TEST_PRODUCT_ID = 0x0001;

const VOLTAGE_BIT: Readonly<Record<VoltageClass, number>> = Object.freeze({ A: 0x01, B: 0x02, C: 0x04 });

/**
 * Every bit rate f·Di/Fi (ISO 7816-3 §7.1, Tables 7 and 8) that the board can produce: each clock f
 * it has, each defined FI whose f(max) allows that clock, each defined DI, at most `maxBaud`.
 * Sorted, integers (bit/s, rounded down), each once. At most 255 (bNumDataRatesSupported is a byte).
 */
export function supportedDataRates(clocksHz: readonly number[], maxBaud: number): number[] {
  const rates: number[] = [];
  for (const f of clocksHz) {
    for (let fi = 0; fi < 16; fi++) {
      const F = fiValue(fi);
      const fmax = fmaxHz(fi);
      if (F === null || fmax === null || f > fmax) continue;
      for (let di = 0; di < 16; di++) {
        const D = diValue(di);
        if (D === null) continue;
        const rate = dataRate(F, D, f);
        if (rate <= maxBaud && !rates.includes(rate)) rates.push(rate);
      }
    }
  }
  rates.sort((a, b) => a - b);
  if (rates.length > 255) throw new RangeError('more than 255 data rates: lower maxBaud');
  return rates;
}

/**
 * §5.1 dwFeatures: only what this firmware does. The session parses the ATR, picks the voltage
 * class, and when PPS succeeds changes the rate and the clock itself (the ATR at the default clock,
 * then the highest board clock within the card's f(max) whose rate the UART holds), at every level:
 * 0x10 and 0x20, so a host (Windows usbccid) has no SetDataRateAndClockFrequency to send.
 *
 * Who negotiates (libccid 1.5.2 IFDHSetProtocolParameters): with 0x40 it sends neither PPS nor
 * SetParameters; with 0x80 SetParameters but no PPS; with neither it sends the raw PPS request in an
 * XfrBlock (when it wants another protocol than the default or TA1's rate), then SetParameters.
 * - APDU levels: 0x40. The session runs PPS and the protocol set-up on IccPowerOn, T=1 with its
 *   S(IFS request) (0x400), so the card is SPECIFIC before the host's first APDU.
 * - TPDU level: neither 0x40 nor 0x80. libccid speaks T=1 blocks itself and picks the protocol
 *   per connection (a T=0/T=1 card may be asked for either), so the card waits in NEGOTIABLE
 *   (slot.ts PowerOnOptions 'host') and gets the host's PPS as written, right after the ATR (§9.1);
 *   SetParameters then sets only what PPS does not. With 0x40 a T=0/T=1 card would stay at its
 *   default protocol (the host's T=1 blocks answered as T=0 commands); with 0x80 the reader would
 *   have to turn SetParameters into a warm reset and its own PPS.
 */
export function readerFeatures(config: ReaderConfig): number {
  let features = Feature.autoConfigFromAtr | Feature.autoVoltage | Feature.autoClock | Feature.autoBaud;
  if (config.clockStop) features |= Feature.clockStop;
  if (config.exchangeLevel === 'tpdu') return features | Feature.levelTpdu;
  features |= Feature.autoParameterNegotiation | Feature.autoIfsd;
  return features | (config.exchangeLevel === 'short-apdu' ? Feature.levelShortApdu : Feature.levelExtendedApdu);
}

function stringDescriptor(text: string): Uint8Array {
  const out = new Uint8Array(2 + text.length * 2);
  out[0] = out.length;
  out[1] = 3;
  for (let i = 0; i < text.length; i++) {
    out[2 + i * 2] = text.charCodeAt(i) & 0xff;
    out[3 + i * 2] = text.charCodeAt(i) >> 8;
  }
  return out;
}

function dwords(values: readonly number[]): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  values.forEach((value, i) => writeU32(out, i * 4, value));
  return out;
}

/** Build the descriptors and the class's numbers from the board's capabilities. Throws on an impossible configuration. */
export function describeReader(config: ReaderConfig): ReaderDescription {
  const slots = config.slots;
  if (!Number.isInteger(slots) || slots < 1 || slots > 8) throw new RangeError('slots must be 1–8');
  if (config.pinPad) throw new RangeError('PIN pad not supported');
  if (config.clocksHz.length === 0 || config.clocksHz.length > 255) throw new RangeError('clocksHz must list 1–255 clocks');
  if (config.classes.length === 0) throw new RangeError('no voltage class');
  const maxMessageLength = config.maxMessageLength ?? 271;
  // At least one packet, so every fixed-size reply (Escape READ_ATTRIBUTES is the longest) fits.
  if (maxMessageLength < 64 || maxMessageLength > 65544 + HEADER_LENGTH) throw new RangeError('maxMessageLength out of range');
  const maxApduLength = config.exchangeLevel === 'extended-apdu'
    ? (config.maxApduLength ?? 65544)
    : maxMessageLength - HEADER_LENGTH;
  const clocksKHz = config.clocksHz.map((hz) => Math.floor(hz / 1000));
  const dataRatesBps = supportedDataRates(config.clocksHz, config.maxBaud ?? Infinity);
  const features = readerFeatures(config);
  const defaultClock = config.clocksHz[0];

  const ccid = new Uint8Array(54);
  ccid[0] = 54;
  ccid[1] = 0x21;
  ccid[2] = 0x10; // bcdCCID 1.10
  ccid[3] = 0x01;
  ccid[4] = slots - 1;
  ccid[5] = config.classes.reduce<number>((bits, c) => bits | VOLTAGE_BIT[c], 0);
  writeU32(ccid, 6, config.protocols.reduce<number>((bits, t) => bits | (1 << t), 0));
  writeU32(ccid, 10, clocksKHz[0]);
  writeU32(ccid, 14, Math.max(...clocksKHz));
  ccid[18] = clocksKHz.length;
  writeU32(ccid, 19, dataRate(Fd, Dd, defaultClock));
  writeU32(ccid, 23, dataRatesBps.length > 0 ? dataRatesBps[dataRatesBps.length - 1] : dataRate(Fd, Dd, defaultClock));
  ccid[27] = dataRatesBps.length;
  writeU32(ccid, 28, config.protocols.includes(1) ? 254 : 0); // dwMaxIFSD
  writeU32(ccid, 32, 0); // dwSynchProtocols
  writeU32(ccid, 36, 0); // dwMechanical
  writeU32(ccid, 40, features);
  writeU32(ccid, 44, maxMessageLength);
  ccid[48] = 0xff; // bClassGetResponse: echo the command's class
  ccid[49] = 0xff; // bClassEnvelope
  ccid[50] = 0; // wLcdLayout: no LCD
  ccid[51] = 0;
  ccid[52] = 0; // bPINSupport: no PIN pad
  ccid[53] = slots; // bMaxCCIDBusySlots: every slot works in parallel

  const endpoints = config.endpoints ?? { bulkOut: 0x01, bulkIn: 0x81, interruptIn: 0x82 };
  const endpoint = (address: number, attributes: number, interval: number): number[] => [7, 5, address, attributes, 64, 0, interval];
  const body = [
    // Interface 0: class 0x0B (smart card), subclass 0, protocol 0 (bulk, with interrupt), 3 endpoints.
    9, 4, 0, 0, 3, 0x0b, 0, 0, 0,
    ...ccid,
    ...endpoint(endpoints.bulkOut, 2, 0),
    ...endpoint(endpoints.bulkIn, 2, 0),
    ...endpoint(endpoints.interruptIn, 3, 16),
  ];
  const total = 9 + body.length;
  const maxPower = Math.min(255, Math.ceil((config.maxPowerMa ?? 250) / 2));
  const configuration = Uint8Array.from([9, 2, total & 0xff, total >> 8, 1, 1, 0, 0x80, maxPower, ...body]);

  const vendorId = config.vendorId ?? TEST_VENDOR_ID;
  const productId = config.productId ?? TEST_PRODUCT_ID;
  const release = config.release ?? 0x0100;
  const device = Uint8Array.from([
    18, 1, 0x00, 0x02, // bcdUSB 2.00 (full speed only: DEVICE_QUALIFIER is stalled)
    0, 0, 0, 64, // class per interface, bMaxPacketSize0 64
    vendorId & 0xff, vendorId >> 8, productId & 0xff, productId >> 8,
    release & 0xff, release >> 8,
    1, 2, 3, 1, // iManufacturer, iProduct, iSerialNumber, bNumConfigurations
  ]);
  const strings = Object.freeze([
    Uint8Array.of(4, 3, 0x09, 0x04), // LANGID en-US
    stringDescriptor(config.manufacturer ?? 'ccid-reader'),
    stringDescriptor(config.product ?? 'ccid-reader ESP32-S3 CCID'),
    stringDescriptor(config.serialNumber ?? '0001'),
  ]);

  return Object.freeze({
    descriptors: Object.freeze({ device, configuration, strings }),
    maxMessageLength,
    maxApduLength,
    exchangeLevel: config.exchangeLevel,
    slots,
    features,
    clockFrequencies: dwords(clocksKHz),
    dataRates: dwords(dataRatesBps),
    clocksKHz: Object.freeze(clocksKHz),
    dataRatesBps: Object.freeze(dataRatesBps),
    bClassGetResponse: 0xff,
    bClassEnvelope: 0xff,
  });
}
