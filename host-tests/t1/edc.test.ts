/**
 * ISO/IEC 7816-3 §11.4.4 error detection codes. Vector sources:
 * - "123456789" check values: the CRC catalogue (Greg Cook, reveng "Catalogue of parametrised CRC
 *   algorithms"): CRC-16/MCRF4XX = 0x6F91 (reflected 0x1021, init FFFF, no xorout: libccid's register),
 *   CRC-16/IBM-SDLC = 0x906E (the same with xorout FFFF: ISO/IEC 13239's FCS, also called X-25).
 * - "00 C1 01 FE 3E": S(IFS request) IFSD 254 with LRC, the first block libccid sends to every T=1
 *   card (visible in any pcscd debug log, "sending: 00 C1 01 FE 3E").
 * - R/S-block LRCs worked out by hand (XOR of NAD PCB LEN).
 */
import test from 'ava';
import fc from 'fast-check';
import { checkEdc, crc16, edcLength, lrc, writeEdc } from '../../firmware/iso7816/t1/edc.js';

const ascii = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

/** Bit-by-bit reference of the reflected CCITT CRC (independent of the table in edc.ts). */
function crcBitwise(bytes: Uint8Array): number {
  let v = 0xffff;
  for (const b of bytes) {
    v ^= b;
    for (let k = 0; k < 8; k++) v = v & 1 ? (v >>> 1) ^ 0x8408 : v >>> 1;
  }
  return v;
}

test('§11.4.4 CRC register: CRC-16/MCRF4XX check value 0x6F91 for "123456789" (reveng catalogue)', (t) => {
  t.is(crc16(ascii('123456789'), 0, 9), 0x6f91);
});

test('§11.4.4 CRC libccid framing: register high byte first, "123456789" → 6F 91', (t) => {
  const buf = new Uint8Array(11);
  buf.set(ascii('123456789'));
  t.is(writeEdc('crc', buf, 9), 11);
  t.deepEqual([buf[9], buf[10]], [0x6f, 0x91]);
  t.true(checkEdc('crc', buf, 11));
});

test('§11.4.4 CRC ISO/IEC 13239 framing: complemented, low byte first — CRC-16/IBM-SDLC 0x906E → 6E 90', (t) => {
  const buf = new Uint8Array(11);
  buf.set(ascii('123456789'));
  writeEdc('crc', buf, 9, 'iso13239');
  t.deepEqual([buf[9], buf[10]], [0x6e, 0x90]);
  t.true(checkEdc('crc', buf, 11, 'iso13239'));
  t.false(checkEdc('crc', buf, 11, 'libccid'));
});

test('§11.4.4 LRC: S(IFS request 254) is 00 C1 01 FE 3E (libccid first block)', (t) => {
  const buf = Uint8Array.from([0x00, 0xc1, 0x01, 0xfe, 0]);
  t.is(lrc(buf, 0, 4), 0x3e);
  t.is(writeEdc('lrc', buf, 4), 5);
  t.is(buf[4], 0x3e);
  t.true(checkEdc('lrc', buf, 5));
});

test('§11.4.4 EDC lengths: LRC 1 byte, CRC 2 bytes', (t) => {
  t.is(edcLength('lrc'), 1);
  t.is(edcLength('crc'), 2);
});

test('§11.4.4 CRC table equals the bit-by-bit definition (property)', (t) => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (data) => crc16(data, 0, data.length) === crcBitwise(data)));
  t.pass();
});

test('§11.4.4 any single-bit error is detected by LRC and by CRC (property)', (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 1, maxLength: 257 }), fc.nat(), fc.nat(7), fc.constantFrom('lrc' as const, 'crc' as const), (data, pos, bit, kind) => {
      const buf = new Uint8Array(data.length + 2);
      buf.set(data);
      const n = writeEdc(kind, buf, data.length);
      buf[pos % n] ^= 1 << bit;
      return !checkEdc(kind, buf, n);
    }),
  );
  t.pass();
});
