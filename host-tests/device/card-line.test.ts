/**
 * The card line arithmetic of hal/moddable (card-line.ts, usb-strings.ts): the ESP32-S3 UART divider,
 * TC1 framing (§8.3), and the string descriptors handed to esp_tinyusb. (The inverse convention's
 * coding is card-uart.c's: host-tests/esp32s3 runs inverse-convention cards on the virtual board.)
 */
import test from 'ava';
import {
  cardUartCapabilities, closestBaud, errorSignalWanted, framing, MAX_BAUD,
} from '../../hal/moddable/card-line.js';
import { packStrings } from '../../hal/moddable/usb-strings.js';

test('§7.1 etu: at 4 MHz the UART divider hits F/D exactly enough (< 0.01 %) for every D up to 32', (t) => {
  for (const D of [1, 2, 4, 8, 16, 32]) {
    const baud = (D * 4_000_000) / 372;
    t.true(Math.abs(closestBaud(baud) - baud) / baud < 1e-4, `D=${D}`);
  }
});

test('the advertised UART limit is the ISO 7816-3 maximum at 5 MHz, Fi 372 / Di 64 (860.2 kbit/s); nothing above it', (t) => {
  t.is(cardUartCapabilities.maxBaud, MAX_BAUD);
  t.is(MAX_BAUD, (64 * 5_000_000) / 372);
  t.true((64 * 20_000_000) / 2048 < MAX_BAUD);
  t.true((64 * 20_000_000) / 1860 < MAX_BAUD);
  t.true((64 * 10_000_000) / 372 > MAX_BAUD);
});

test('§8.3 TC1 framing: 12 + N etu with 8E2; N = 255 is 12 etu in T=0 and 11 etu (8E1) in T=1', (t) => {
  t.deepEqual(framing(0, 0), { stopBits: 2, extraGuardEtu: 0 });
  t.deepEqual(framing(3, 1), { stopBits: 2, extraGuardEtu: 3 });
  t.deepEqual(framing(255, 0), { stopBits: 2, extraGuardEtu: 0 });
  t.deepEqual(framing(255, 1), { stopBits: 1, extraGuardEtu: 0 });
});

test('§7.3 error signal wanted only in T=0 with repetition (whether it is in time, the C driver measures)', (t) => {
  t.true(errorSignalWanted(0, 4));
  t.false(errorSignalWanted(1, 4));
  t.false(errorSignalWanted(0, 0));
});

function stringDescriptor(text: string): Uint8Array {
  const out = new Uint8Array(2 + 2 * text.length);
  out[0] = out.length;
  out[1] = 0x03;
  for (let i = 0; i < text.length; i++) {
    out[2 + 2 * i] = text.charCodeAt(i) & 0xff;
    out[3 + 2 * i] = text.charCodeAt(i) >> 8;
  }
  return out;
}

test('USB 2.0 §9.6.7 strings become NUL-terminated ASCII for esp_tinyusb, language ID kept as two bytes', (t) => {
  const packed = packStrings([Uint8Array.of(4, 3, 0x09, 0x04), stringDescriptor('ccid'), stringDescriptor('Ré')]);
  t.deepEqual([...packed], [0x09, 0x04, 0, 0x63, 0x63, 0x69, 0x64, 0, 0x52, 0x3f, 0]);
});

test('a malformed string descriptor is a configuration error', (t) => {
  t.throws(() => packStrings([Uint8Array.of(4, 3, 0x09, 0x04), Uint8Array.of(6, 3, 0x41, 0)]), { instanceOf: RangeError });
});
