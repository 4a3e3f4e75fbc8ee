import test from 'ava';
import { describeReader, supportedDataRates, TEST_PRODUCT_ID, TEST_VENDOR_ID } from '../../firmware/ccid/descriptors.js';
import { dword as readU32 } from '../host-driver/ccid-messages.js';
import { TEST_CONFIG } from './harness.js';

/** configuration (9 bytes) + interface (9), then the class descriptor. */
function classDescriptor(configuration: Uint8Array): Uint8Array {
  return configuration.subarray(18, 18 + 54);
}

test('CCID §5.1 Table 5.1-1: the 54-byte class descriptor follows the interface descriptor (class 0x0B, 3 endpoints)', (t) => {
  const { descriptors } = describeReader({ ...TEST_CONFIG, slots: 2 });
  const configuration = descriptors.configuration;
  t.is(configuration[2] | (configuration[3] << 8), configuration.length);
  t.true(configuration.length <= 255);
  t.deepEqual(Array.from(configuration.subarray(9, 18)), [9, 4, 0, 0, 3, 0x0b, 0, 0, 0]);
  const ccid = classDescriptor(configuration);
  t.is(ccid[0], 54);
  t.is(ccid[1], 0x21);
  t.is(ccid[2] | (ccid[3] << 8), 0x0110);
  t.is(ccid[4], 1, 'bMaxSlotIndex');
  t.is(ccid[5], 0x07, 'bVoltageSupport A|B|C');
  t.is(readU32(ccid, 6), 0x03, 'dwProtocols T=0|T=1');
  t.is(readU32(ccid, 10), 4000);
  t.is(readU32(ccid, 19), Math.floor(4e6 / 372), 'dwDataRate at the default clock, Fd/Dd');
  t.is(readU32(ccid, 28), 254, 'dwMaxIFSD');
  t.is(readU32(ccid, 44), 271, 'dwMaxCCIDMessageLength');
  t.is(ccid[52], 0, 'bPINSupport: no PIN pad');
  t.is(ccid[53], 2, 'bMaxCCIDBusySlots');
  const endpoints = configuration.subarray(18 + 54);
  t.deepEqual(Array.from(endpoints.subarray(0, 7)), [7, 5, 0x01, 2, 64, 0, 0]);
  t.deepEqual(Array.from(endpoints.subarray(7, 14)), [7, 5, 0x81, 2, 64, 0, 0]);
  t.is(endpoints[14 + 3], 3, 'interrupt');
});

test('CCID §5.1 dwFeatures is honest: automatic ATR/voltage/clock/baud, negotiation (0x40) and IFSD (0x400) at the APDU levels, level from the config, clock stop only when the board can', (t) => {
  const extended = readU32(classDescriptor(describeReader(TEST_CONFIG).descriptors.configuration), 40);
  t.is(extended, 0x02 | 0x08 | 0x10 | 0x20 | 0x40 | 0x100 | 0x400 | 0x40000);
  const tpdu = readU32(classDescriptor(describeReader({ ...TEST_CONFIG, exchangeLevel: 'tpdu', clockStop: false }).descriptors.configuration), 40);
  // The TPDU level leaves PPS and SetParameters to the host: neither 0x40 nor 0x80 (libccid then sends both).
  t.is(tpdu, 0x02 | 0x08 | 0x10 | 0x20 | 0x10000);
  const short = readU32(classDescriptor(describeReader({ ...TEST_CONFIG, exchangeLevel: 'short-apdu' }).descriptors.configuration), 40);
  t.is(short & 0x70000, 0x20000);
});

test('CCID §5.1 bNumClockSupported / bNumDataRatesSupported equal the lists the class requests return', (t) => {
  const description = describeReader({ ...TEST_CONFIG, clocksHz: [4e6, 8e6] });
  const ccid = classDescriptor(description.descriptors.configuration);
  t.is(ccid[18], 2);
  t.is(description.clockFrequencies.length, 8);
  t.is(ccid[27] * 4, description.dataRates.length);
  t.is(readU32(ccid, 23), description.dataRatesBps[description.dataRatesBps.length - 1], 'dwMaxDataRate is the highest rate listed');
});

test('ISO 7816-3 Tables 7/8: data rates are f·Di/Fi at the board clocks, within f(max) and the UART limit', (t) => {
  const rates = supportedDataRates([4e6], 500_000);
  t.true(rates.includes(10752), 'Fd/Dd at 4 MHz');
  t.true(rates.includes(Math.floor((4e6 * 8) / 372)));
  t.true(rates.every((rate) => rate <= 500_000));
  t.deepEqual(rates, [...rates].sort((a, b) => a - b));
  // At 6 MHz, FI 0 (f max 4 MHz) and FI 1 (5 MHz) are excluded, FI 2 (Fi 558, 6 MHz) is allowed.
  const six = supportedDataRates([6e6], Infinity);
  t.false(six.includes(Math.floor((6e6 * 20) / 372)), 'Fi 372 with Di 20: only FI 0/1 give it');
  t.true(six.includes(Math.floor((6e6 * 20) / 558)));
});

test('USB 2.0 §9.6.1 device descriptor: pid.codes test VID/PID 0x1209:0x0001 by default, configurable', (t) => {
  const device = describeReader(TEST_CONFIG).descriptors.device;
  t.is(device[8] | (device[9] << 8), TEST_VENDOR_ID);
  t.is(device[10] | (device[11] << 8), TEST_PRODUCT_ID);
  const custom = describeReader({ ...TEST_CONFIG, vendorId: 0x1234, productId: 0x5678 }).descriptors.device;
  t.is(custom[10] | (custom[11] << 8), 0x5678);
});

test('CCID §5.1 impossible configurations are refused at construction', (t) => {
  t.throws(() => describeReader({ ...TEST_CONFIG, slots: 0 }));
  t.throws(() => describeReader({ ...TEST_CONFIG, clocksHz: [] }));
  t.throws(() => describeReader({ ...TEST_CONFIG, maxMessageLength: 40 }));
  const manyClocks = Array.from({ length: 17 }, (_, i) => 1e6 + i * 0.25e6);
  t.throws(() => describeReader({ ...TEST_CONFIG, clocksHz: manyClocks, maxBaud: Infinity }), { message: /255/ });
});
