/**
 * A reader's USB identity and CCID class descriptor (CCID Rev 1.1 §5.1, Table 5.1-1) in the layout of
 * libccid's `parse` tool — the dump libccid's maintainer keeps for every listed reader (the readers/
 * folder of the CCID project) and asks for when a new reader is proposed. Like `parse`, it reads the
 * device over USB: GET_DESCRIPTOR for the device, configuration and string descriptors, then — once
 * the device is configured, as the host's enumeration leaves it (USB 2.0 §9.4.7: interface requests
 * are for a configured device) — GET_CLOCK_FREQUENCIES and GET_DATA_RATES (§5.3.2, §5.3.3).
 */
import type { SimUsbHost } from '../../hal/sim/usb-device.js';
import { ClassRequest } from '../../firmware/ccid/constants.js';

const le16 = (b: Uint8Array, at: number): number => b[at] | (b[at + 1] << 8);
const le32 = (b: Uint8Array, at: number): number => (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;
const hex = (value: number, digits: number): string => `0x${value.toString(16).toUpperCase().padStart(digits, '0')}`;
const bcd = (value: number): string => `${(value >> 8).toString(16).toUpperCase()}.${(value & 0xff).toString(16).toUpperCase().padStart(2, '0')}`;

function getDescriptor(host: SimUsbHost, type: number, index: number, length: number): Uint8Array {
  const reply = host.control({ bmRequestType: 0x80, bRequest: 6, wValue: (type << 8) | index, wIndex: type === 3 && index > 0 ? 0x0409 : 0, wLength: length });
  if (reply.status !== 'ok') throw new Error(`GET_DESCRIPTOR(${type}, ${index}) stalled`);
  return reply.data;
}

function stringOf(host: SimUsbHost, index: number): string | null {
  if (index === 0) return null;
  const d = getDescriptor(host, 3, index, 255);
  let text = '';
  for (let i = 2; i + 1 < d[0]; i += 2) text += String.fromCharCode(le16(d, i));
  return text;
}

/** The u32 list a class request returns (kHz or bit/s), or null when the request is stalled. */
function classList(host: SimUsbHost, request: number, interfaceNumber: number): number[] | null {
  // Room for the most a one-byte count can announce: 255 values.
  const reply = host.control({ bmRequestType: 0xa1, bRequest: request, wValue: 0, wIndex: interfaceNumber, wLength: 255 * 4 });
  if (reply.status !== 'ok') return null;
  const out: number[] = [];
  for (let at = 0; at + 4 <= reply.data.length; at += 4) out.push(le32(reply.data, at));
  return out;
}

/**
 * As parse does: a list whose length is not the count the class descriptor announced gets a line
 * saying so (a host that trusts the count misses values), and only the announced number is shown.
 */
function announced(values: readonly number[], count: number, what: string, out: string[]): readonly number[] {
  if (count === 0 || values.length === count) return values;
  out.push(`   Got ${values.length} ${what} but was expecting ${count}`);
  return values.slice(0, count);
}

const FEATURES: readonly [number, string][] = Object.freeze([
  [0x02, '....02 Automatic parameter configuration based on ATR data'],
  [0x04, '....04 Automatic activation of ICC on inserting'],
  [0x08, '....08 Automatic ICC voltage selection'],
  [0x10, '....10 Automatic ICC clock frequency change according to parameters'],
  [0x20, '....20 Automatic baud rate change according to frequency and Fi, Di params'],
  [0x40, '....40 Automatic parameters negotiation made by the CCID'],
  [0x80, '....80 Automatic PPS made by the CCID'],
  [0x100, '..01.. CCID can set ICC in clock stop mode'],
  [0x200, '..02.. NAD value other than 00 accepted (T=1)'],
  [0x400, '..04.. Automatic IFSD exchange as first exchange (T=1)'],
  [0x800, '..08.. ICCD token'],
]);
const LEVELS: Readonly<Record<number, string>> = Object.freeze({
  0x00000: '00.... Character level exchange',
  0x10000: '01.... TPDU level exchange',
  0x20000: '02.... Short APDU level exchange',
  0x40000: '04.... Short and Extended APDU level exchange',
});

/**
 * The dump, one line each, as `parse` prints it for a CCID reader on interface 0. `settle` lets the
 * device act on a request it completes later (the virtual ESP32-S3 configures through events).
 */
export function ccidDump(host: SimUsbHost, settle: () => void): string[] {
  const device = getDescriptor(host, 1, 0, 18);
  const head = getDescriptor(host, 2, 0, 9);
  const config = getDescriptor(host, 2, 0, le16(head, 2));
  if (host.control({ bmRequestType: 0x00, bRequest: 9, wValue: config[5], wIndex: 0, wLength: 0 }).status !== 'ok') throw new Error('SET_CONFIGURATION stalled');
  settle();
  const out: string[] = [];
  out.push(` idVendor: ${hex(le16(device, 8), 4)}`);
  out.push(`  iManufacturer: ${stringOf(host, device[14]) ?? ''}`);
  out.push(` idProduct: ${hex(le16(device, 10), 4)}`);
  out.push(`  iProduct: ${stringOf(host, device[15]) ?? ''}`);
  out.push(` bcdDevice: ${bcd(le16(device, 12))} (firmware release?)`);

  // The first interface descriptor and the class descriptor right after it (§5.1).
  let at = 0;
  while (at < config.length && config[at + 1] !== 4) at += config[at];
  const intf = config.subarray(at, at + config[at]);
  const ccid = config.subarray(at + intf[0], at + intf[0] + config[at + intf[0]]);
  out.push(` bLength: ${intf[0]}`, ` bDescriptorType: ${intf[1]}`, ` bInterfaceNumber: ${intf[2]}`, ` bAlternateSetting: ${intf[3]}`);
  out.push(` bNumEndpoints: ${intf[4]}`);
  out.push(`  ${['Control only', 'Interrupt-IN', 'bulk-IN and bulk-OUT', 'bulk-IN, bulk-OUT and Interrupt-IN'][intf[4]] ?? 'UNKNOWN value'}`);
  out.push(` bInterfaceClass: ${hex(intf[5], 2)}${intf[5] === 0x0b ? ' [Chip Card Interface Device Class (CCID)]' : ''}`);
  out.push(` bInterfaceSubClass: ${intf[6]}`, ` bInterfaceProtocol: ${intf[7]}`);
  if (intf[7] === 0) out.push('  bulk transfer, optional interrupt-IN (CCID)');
  const iInterface = stringOf(host, intf[8]);
  out.push(iInterface === null ? " Can't get iInterface string" : ` iInterface: ${iInterface}`);

  out.push(' CCID Class Descriptor');
  out.push(`  bLength: ${hex(ccid[0], 2)}`, `  bDescriptorType: ${hex(ccid[1], 2)}`, `  bcdCCID: ${bcd(le16(ccid, 2))}`);
  out.push(`  bMaxSlotIndex: ${hex(ccid[4], 2)}`, `  bVoltageSupport: ${hex(ccid[5], 2)}`);
  if (ccid[5] & 1) out.push('   5.0V');
  if (ccid[5] & 2) out.push('   3.0V');
  if (ccid[5] & 4) out.push('   1.8V');
  const protocols = le32(ccid, 6);
  out.push(`  dwProtocols: ${hex(protocols >>> 16, 4)} ${hex(protocols & 0xffff, 4)}`);
  if (protocols & 1) out.push('   T=0');
  if (protocols & 2) out.push('   T=1');
  out.push(`  dwDefaultClock: ${(le32(ccid, 10) / 1000).toFixed(3)} MHz`, `  dwMaximumClock: ${(le32(ccid, 14) / 1000).toFixed(3)} MHz`);
  const clocks = ccid[18];
  out.push(`  bNumClockSupported: ${clocks}${clocks === 0 ? ' (will use whatever is returned)' : ''}`);
  const clockList = classList(host, ClassRequest.GET_CLOCK_FREQUENCIES, intf[2]);
  if (clockList === null) out.push('   IFD does not support GET CLOCK FREQUENCIES request');
  else for (const khz of announced(clockList, clocks, 'clock frequencies', out)) out.push(`   Support ${khz} kHz`);
  out.push(`  dwDataRate: ${le32(ccid, 19)} bps`, `  dwMaxDataRate: ${le32(ccid, 23)} bps`);
  const rates = ccid[27];
  out.push(`  bNumDataRatesSupported: ${rates}${rates === 0 ? ' (will use whatever is returned)' : ''}`);
  const rateList = classList(host, ClassRequest.GET_DATA_RATES, intf[2]);
  if (rateList === null) out.push('   IFD does not support GET_DATA_RATES request');
  else for (const bps of announced(rateList, rates, 'data rates', out)) out.push(`   Support ${bps} bps`);
  out.push(`  dwMaxIFSD: ${le32(ccid, 28)}`);
  const synch = le32(ccid, 32);
  out.push(`  dwSynchProtocols: ${hex(synch, 8)}`);
  for (const [bit, name] of [[1, '2-wire protocol'], [2, '3-wire protocol'], [4, 'I2C protocol']] as const) if (synch & bit) out.push(`   ${name}`);
  const mechanical = le32(ccid, 36);
  out.push(`  dwMechanical: ${hex(mechanical, 8)}`);
  if (mechanical === 0) out.push('   No special characteristics');
  for (const [bit, name] of [[1, 'Card accept mechanism'], [2, 'Card ejection mechanism'], [4, 'Card capture mechanism'], [8, 'Card lock/unlock mechanism']] as const) {
    if (mechanical & bit) out.push(`   ${name}`);
  }
  const features = le32(ccid, 40);
  out.push(`  dwFeatures: ${hex(features, 8)}`);
  if (features === 0) out.push('   No special characteristics');
  for (const [bit, name] of FEATURES) if (features & bit) out.push(`   ${name}`);
  const level = LEVELS[features & 0x70000];
  if (level !== undefined) out.push(`   ${level}`);
  if (features & 0x100000) out.push('   10.... USB Wake up signaling supported on card insertion and removal');
  out.push(`  dwMaxCCIDMessageLength: ${le32(ccid, 44)} bytes`);
  out.push(`  bClassGetResponse: ${hex(ccid[48], 2)}`);
  if (ccid[48] === 0xff) out.push('   echoes the APDU class');
  out.push(`  bClassEnvelope: ${hex(ccid[49], 2)}`);
  if (ccid[49] === 0xff) out.push('   echoes the APDU class');
  out.push(`  wLcdLayout: ${hex(le16(ccid, 50), 4)}`);
  if (ccid[51] > 0) out.push(`   ${String(ccid[51]).padStart(2)} lines`, `   ${String(ccid[50]).padStart(2)} characters per line`);
  out.push(`  bPINSupport: ${hex(ccid[52], 2)}`);
  if (ccid[52] & 1) out.push('   PIN Verification supported');
  if (ccid[52] & 2) out.push('   PIN Modification supported');
  out.push(`  bMaxCCIDBusySlots: ${ccid[53]}`);
  return out;
}
