import test from 'ava';
import fc from 'fast-check';
import { isCommandApdu, parseApdu } from '../../firmware/iso7816/apdu.js';
import { bytes } from './helpers.js';

const parse = (h: string) => parseApdu(bytes(h));

test('ISO 7816-4 §5.1 case 1: header only', (t) => {
  t.deepEqual(parse('00A40000'), { kind: 'command', apduCase: '1', extended: false, nc: 0, dataOffset: 4, ne: 0 });
});

test('ISO 7816-4 §5.1 case 2S: Le = 00 means Ne = 256', (t) => {
  t.like(parse('00B0000010'), { apduCase: '2S', ne: 16, nc: 0 });
  t.like(parse('00B0000000'), { apduCase: '2S', ne: 256 });
});

test('ISO 7816-4 §5.1 case 3S and 4S: Lc, data, optional Le', (t) => {
  t.like(parse('00A4040002 3F00'), { apduCase: '3S', nc: 2, dataOffset: 5, ne: 0 });
  t.like(parse('00A4040002 3F00 00'), { apduCase: '4S', nc: 2, dataOffset: 5, ne: 256 });
  t.like(parse('00A4040002 3F00 20'), { apduCase: '4S', ne: 32 });
});

test('ISO 7816-4 §5.1 extended cases 2E, 3E, 4E: 0000 means 65 536', (t) => {
  t.like(parse('00B00000 000000'), { apduCase: '2E', extended: true, ne: 65_536 });
  t.like(parse('00B00000 000102'), { apduCase: '2E', ne: 258 });
  t.like(parse('00D60000 000002 AABB'), { apduCase: '3E', nc: 2, dataOffset: 7, ne: 0 });
  t.like(parse('00D60000 000002 AABB 0000'), { apduCase: '4E', nc: 2, ne: 65_536 });
  t.like(parse('00D60000 000002 AABB 0101'), { apduCase: '4E', ne: 257 });
});

test('ISO 7816-4 §5.1 malformed length fields are named precisely', (t) => {
  t.like(parse('00A400'), { kind: 'malformed', fault: 'too-short' });
  t.like(parse('00A4040002 3F'), { kind: 'malformed', fault: 'length-mismatch' });
  t.like(parse('00A4040002 3F00 0000'), { kind: 'malformed', fault: 'length-mismatch' });
  t.like(parse('00A40400 0000'), { kind: 'malformed', fault: 'length-mismatch' });
  t.like(parse('00A40400 000000 11'), { kind: 'malformed', fault: 'zero-extended-lc' });
  t.like(parse('00A40400 000003 1122'), { kind: 'malformed', fault: 'length-mismatch' });
});

test('ISO 7816-4 §5.1 parsing is total and consistent for any bytes (never throws)', (t) => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (data) => {
    const r = parseApdu(data);
    if (r.kind === 'malformed') return true;
    // The fields account for exactly the bytes present.
    const lcLength = r.nc === 0 ? 0 : r.extended ? 3 : 1;
    const leLength = r.ne === 0 ? 0 : r.extended ? (r.nc === 0 ? 3 : 2) : 1;
    return 4 + lcLength + r.nc + leLength === data.length && r.dataOffset + r.nc <= data.length;
  }));
  t.pass();
});

test('ISO 7816-4 §5.1 isCommandApdu: well formed exactly when the length fields account for the bytes present', (t) => {
  for (const h of ['00A40000', '00B0000010', '00A4040002 3F00', '00A4040002 3F00 00', '00B00000 000102', '00D60000 000002 AABB', '00D60000 000002 AABB 0101']) {
    t.true(isCommandApdu(bytes(h)), h);
  }
  for (const h of ['', '00A400', '00A4040002 3F', '00A4040002 3F00 0000', '00A40400 0000', '00A40400 000000 11', '00A40400 000003 1122']) {
    t.false(isCommandApdu(bytes(h)), h);
  }
  // Any bytes, and bytes built around a length field (short and extended, right and one off).
  const built = fc.tuple(fc.uint8Array({ minLength: 4, maxLength: 4 }), fc.boolean(), fc.integer({ min: 0, max: 300 }), fc.integer({ min: -1, max: 3 }))
    .map(([header, extended, nc, extra]) => {
      const lc = extended ? [0, nc >> 8, nc & 0xff] : [nc & 0xff];
      const length = Math.max(0, nc + extra);
      return new Uint8Array([...header, ...lc, ...new Uint8Array(length)]);
    });
  fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }), built), (data) => {
    const r = parseApdu(data);
    // The lengths the fields name, worked out apart from both: 4 header bytes, then Lc, data, Le.
    if (r.kind === 'command') {
      const lcLength = r.nc === 0 ? 0 : r.extended ? 3 : 1;
      const leLength = r.ne === 0 ? 0 : r.extended ? (r.nc === 0 ? 3 : 2) : 1;
      if (4 + lcLength + r.nc + leLength !== data.length) return false;
    }
    return isCommandApdu(data) === (r.kind === 'command');
  }));
  t.pass();
});
