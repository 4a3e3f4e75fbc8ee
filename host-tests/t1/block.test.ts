/**
 * ISO/IEC 7816-3 §11.3 block frame and PCB coding. Vectors: hand-worked from §11.3.2.2 (PCB bits) and
 * the LRC of §11.4.4; "00 C1 01 FE 3E" and "00 E1 01 FE 1E" are libccid's S(IFS) request and the
 * card's echo as seen in pcscd debug logs.
 */
import test from 'ava';
import fc from 'fast-check';
import {
  BLOCK_MAX, blockLength, decodeBlock, describePcb, encodeI, encodeR, encodeS, type DecodedBlock,
} from '../../firmware/iso7816/t1/block.js';
import type { EdcKind } from '../../firmware/iso7816/t1/edc.js';

const b = (hex: string) => Uint8Array.from(hex.replace(/\s+/g, '').match(/../g)!.map((x) => parseInt(x, 16)));
const hex = (u: Uint8Array) => Array.from(u, (x) => x.toString(16).padStart(2, '0').toUpperCase()).join(' ');

function enc(f: (out: Uint8Array) => number): string {
  const out = new Uint8Array(BLOCK_MAX);
  return hex(out.subarray(0, f(out)));
}

test('§11.3.2.2 S(IFS request) IFSD 254 encodes as 00 C1 01 FE 3E, the response as 00 E1 01 FE 1E', (t) => {
  t.is(enc((o) => encodeS(o, 0, 'IFS', false, 254, 'lrc')), '00 C1 01 FE 3E');
  t.is(enc((o) => encodeS(o, 0, 'IFS', true, 254, 'lrc')), '00 E1 01 FE 1E');
  t.deepEqual(decodeBlock(b('00 E1 01 FE 1E'), 5, 'lrc'), { kind: 'S', nad: 0, type: 'IFS', response: true, value: 254 });
});

test('§11.3.2.2 PCB: I(0) 00, I(1) 40, M bit 20; R(0) 80, R(1) 90, EDC error 01, other 02; S RESYNCH C0, ABORT C2, WTX C3, responses +20', (t) => {
  t.is(enc((o) => encodeI(o, 0, 1, true, b('0102'), 0, 2, 'lrc')), '00 60 02 01 02 61');
  t.is(enc((o) => encodeR(o, 0, 0, 'none', 'lrc')), '00 80 00 80');
  t.is(enc((o) => encodeR(o, 0, 1, 'edc', 'lrc')), '00 91 00 91');
  t.is(enc((o) => encodeR(o, 0, 0, 'other', 'lrc')), '00 82 00 82');
  t.is(enc((o) => encodeS(o, 0, 'RESYNCH', false, null, 'lrc')), '00 C0 00 C0');
  t.is(enc((o) => encodeS(o, 0, 'ABORT', true, null, 'lrc')), '00 E2 00 E2');
  t.is(enc((o) => encodeS(o, 0, 'WTX', true, 3, 'lrc')), '00 E3 01 03 E1');
  t.is(describePcb(0x60), 'I(1,M)');
  t.is(describePcb(0x91), 'R(1,edc)');
  t.is(describePcb(0xc3), 'S(WTX req)');
});

test('§11.3.1 an APDU I-block: 00 00 05 00 A4 04 00 00 LRC, and its decode gives a view of INF', (t) => {
  const s = enc((o) => encodeI(o, 0, 0, false, b('00A4040000'), 0, 5, 'lrc'));
  t.is(s, '00 00 05 00 A4 04 00 00 A5');
  const d = decodeBlock(b(s), 9, 'lrc');
  t.is(d.kind, 'I');
  if (d.kind === 'I') {
    t.is(d.ns, 0);
    t.false(d.more);
    t.is(hex(d.inf), '00 A4 04 00 00');
  }
});

test('§11.4.2 LEN = 255 is reserved: decode reports bad-len', (t) => {
  t.deepEqual(decodeBlock(b('00 00 FF 00'), 4, 'lrc'), { kind: 'invalid', error: 'bad-len', pcb: 0 });
});

test('§11.3 a block whose byte count does not match 3 + LEN + EDC: length-mismatch', (t) => {
  t.is((decodeBlock(b('00 00 02 01 03'), 5, 'lrc') as { error: string }).error, 'length-mismatch');
  t.is((decodeBlock(b('00 00'), 2, 'lrc') as { error: string }).error, 'too-short');
});

test('§11.4.4 a wrong EDC: bad-edc (LRC and CRC)', (t) => {
  t.is((decodeBlock(b('00 80 00 81'), 4, 'lrc') as { error: string }).error, 'bad-edc');
  const out = new Uint8Array(BLOCK_MAX);
  const n = encodeR(out, 0, 1, 'none', 'crc');
  out[n - 1] ^= 1;
  t.is((decodeBlock(out, n, 'crc') as { error: string }).error, 'bad-edc');
});

test('§11.3.2.2 reserved PCB bits and unknown S types: bad-pcb; R with INF or S with a wrong LEN: bad-inf-length; S(IFS) 0: bad-inf', (t) => {
  const lrcBlock = (bytes: number[]) => {
    const u = Uint8Array.from([...bytes, bytes.reduce((a, x) => a ^ x, 0)]);
    return decodeBlock(u, u.length, 'lrc');
  };
  const err = (d: DecodedBlock) => (d.kind === 'invalid' ? d.error : d.kind);
  t.is(err(lrcBlock([0, 0x01, 0])), 'bad-pcb'); // I-block b1 set
  t.is(err(lrcBlock([0, 0xa0, 0])), 'bad-pcb'); // R-block b6 set
  t.is(err(lrcBlock([0, 0x83, 0])), 'bad-pcb'); // R-block error code 11
  t.is(err(lrcBlock([0, 0xc4, 0])), 'bad-pcb'); // S type 4
  t.is(err(lrcBlock([0, 0x80, 1, 0])), 'bad-inf-length');
  t.is(err(lrcBlock([0, 0xc1, 0])), 'bad-inf-length');
  t.is(err(lrcBlock([0, 0xc0, 1, 5])), 'bad-inf-length');
  t.is(err(lrcBlock([0, 0xc1, 1, 0])), 'bad-inf');
  t.is(err(lrcBlock([0, 0xc1, 1, 255])), 'bad-inf');
});

test('§11.3 framing: blockLength = 3 + LEN + EDC length', (t) => {
  t.is(blockLength(0, 'lrc'), 4);
  t.is(blockLength(254, 'crc'), 259);
});

const arbEdc = fc.constantFrom<EdcKind>('lrc', 'crc');

test('§11.3 round trip: every I-block encodes and decodes to the same fields (property)', (t) => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 254 }), fc.nat(255), fc.constantFrom<0 | 1>(0, 1), fc.boolean(), arbEdc, (data, nad, ns, more, edc) => {
    const out = new Uint8Array(BLOCK_MAX);
    const n = encodeI(out, nad, ns, more, data, 0, data.length, edc);
    const d = decodeBlock(out, n, edc);
    return n === blockLength(data.length, edc) && d.kind === 'I' && d.nad === nad && d.ns === ns && d.more === more && hex(d.inf) === hex(data);
  }));
  t.pass();
});

test('§11.3 round trip: R- and S-blocks (property)', (t) => {
  fc.assert(fc.property(fc.constantFrom<0 | 1>(0, 1), fc.constantFrom('none' as const, 'edc' as const, 'other' as const), fc.constantFrom('RESYNCH' as const, 'IFS' as const, 'ABORT' as const, 'WTX' as const), fc.boolean(), fc.integer({ min: 1, max: 254 }), arbEdc,
    (nr, error, type, response, value, edc) => {
      const out = new Uint8Array(BLOCK_MAX);
      const r = decodeBlock(out, encodeR(out, 0, nr, error, edc), edc);
      if (!(r.kind === 'R' && r.nr === nr && r.error === error)) return false;
      const s = decodeBlock(out, encodeS(out, 0, type, response, value, edc), edc);
      const v = type === 'IFS' || type === 'WTX' ? value : null;
      return s.kind === 'S' && s.type === type && s.response === response && s.value === v;
    }));
  t.pass();
});

test('§11.3 decoder never throws, and any one corrupted byte makes the block invalid (property)', (t) => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 270 }), fc.nat(300), arbEdc, (bytes, len, edc) => {
    decodeBlock(bytes, len, edc);
    decodeBlock(bytes, bytes.length, edc);
    return true;
  }), { numRuns: 2000 });
  fc.assert(fc.property(fc.uint8Array({ maxLength: 254 }), fc.nat(), fc.integer({ min: 1, max: 255 }), arbEdc, (data, pos, flip, edc) => {
    const out = new Uint8Array(BLOCK_MAX);
    const n = encodeI(out, 0, 0, false, data, 0, data.length, edc);
    out[pos % n] ^= flip;
    return decodeBlock(out, n, edc).kind === 'invalid';
  }));
  t.pass();
});
