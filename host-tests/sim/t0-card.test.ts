import test from 'ava';
import fc from 'fast-check';
import { T0FsCard } from '../../hal/sim/cards/t0-fs.js';
import { SimRandom } from '../../hal/sim/random.js';
import { T0CardEngine, type T0Step } from '../../hal/sim/cards/t0-engine.js';
import { T0ApduAdapter } from '../../hal/sim/cards/t0-apdu.js';
import { FileSystemApplet } from '../../hal/sim/cards/fs-applet.js';
import { parseApdu } from '../../hal/sim/cards/apdu.js';
import { FakeIo, hx } from './helpers.js';

function engineWith(command: (h: Uint8Array) => T0Step, options = {}) {
  const io = new FakeIo();
  const engine = new T0CardEngine({ command }, options);
  engine.start(io);
  const feed = (bytes: number[]) => {
    for (const b of bytes) engine.receive(b);
    return io.take();
  };
  return { io, engine, feed };
}

test('ISO 7816-3 §10.3.3: INS procedure byte before all data, then SW1 SW2', (t) => {
  let got = '';
  const { feed } = engineWith((h) => ({ receive: h[4], then: (d) => ((got = hx(d)), { status: 0x9000 }) }));
  t.is(feed([0x00, 0xd6, 0x00, 0x00, 0x03]), 'D6');
  t.is(feed([1, 2, 3]), '9000');
  t.is(got, '010203');
});

test('ISO 7816-3 §10.3.3: INS ⊕ FF procedure bytes move one data byte each', (t) => {
  const { feed } = engineWith((h) => (h[1] === 0xb0 ? { send: Uint8Array.of(7, 8), status: 0x9000 } : { receive: 2, then: () => ({ status: 0x6300 }) }), { byteByByte: true });
  t.is(feed([0x00, 0xb0, 0x00, 0x00, 0x02]), '4F074F089000');
  t.is(feed([0x00, 0xd6, 0x00, 0x00, 0x02]), '29');
  t.is(feed([0xaa]), '29');
  t.is(feed([0xbb]), '6300');
});

test('ISO 7816-3 §10.3.3: NULL 0x60 every WT/2 while the card works (WI 10: every 4800 etu)', (t) => {
  const { io, engine } = engineWith(() => ({ work: 12_000, then: () => ({ status: 0x9000 }) }));
  for (const b of [0x00, 0xd6, 0x00, 0x00, 0x00]) engine.receive(b);
  // Bytes from the reader while the card works are ignored.
  engine.receive(0x00);
  io.scheduler.runUntilIdle();
  t.deepEqual(io.sent.map((s) => [s.byte, s.t / 1000]), [[0x60, 4800], [0x60, 9600], [0x90, 12000], [0x00, 12000]]);
});

test('ISO 7816-3 §10.3.2: INS 6X or 9X is refused with 6D00', (t) => {
  const { feed } = engineWith(() => ({ status: 0x9000 }));
  t.is(feed([0x00, 0x60, 0, 0, 0]), '6D00');
  t.is(feed([0x00, 0x9a, 0, 0, 0]), '6D00');
  t.is(feed([0x00, 0x10, 0, 0, 0]), '9000');
});

/** T=0 exchanges against the file system, resolved without a line (the adapter is pure). */
function fs(seed = 1) {
  const app = new FileSystemApplet(new SimRandom(seed));
  const adapter = new T0ApduAdapter(app, FileSystemApplet.isOutgoing);
  /** One TPDU: returns "procedure|data|SW" flattened as the card would send it, feeding `data` after INS. */
  const tpdu = (header: string, data = ''): string => {
    const bytes = Uint8Array.from(Buffer.from(header, 'hex'));
    let step = adapter.command(bytes);
    let out = '';
    for (;;) {
      if ('work' in step) {
        out += '..';
        step = step.then();
      } else if ('receive' in step) {
        if (step.receive > 0) out += hx([bytes[1]]);
        step = step.then(Uint8Array.from(Buffer.from(data, 'hex')));
      } else if ('send' in step) {
        return out + hx([bytes[1]]) + hx(step.send) + hx([step.status >> 8, step.status & 0xff]);
      } else return out + hx([step.status >> 8, step.status & 0xff]);
    }
  };
  return { app, adapter, tpdu };
}

test('ISO 7816-4 §11.1.1 SELECT: by FID with P2=0C (no response) and P2=00 (FCP through 61xx / GET RESPONSE)', (t) => {
  const { tpdu } = fs();
  t.is(tpdu('00A4000C02', '1000'), 'A49000');
  t.is(tpdu('00A4020002', '1001'), 'A46110');
  t.is(tpdu('00C0000010'), 'C0620E82010183021001800210008A01059000');
  t.is(tpdu('00C0000010'), '6985');
  t.is(tpdu('00A4000C02', '4444'), 'A46A82');
  t.is(tpdu('00A4000C01', '44'), 'A46700');
  t.is(tpdu('00A4010C02', '1001'), 'A46A82');
  t.is(tpdu('00A4000002', '3F00'), 'A4610C');
  t.is(tpdu('00C0000020'), '6C0C');
  t.is(tpdu('00C000000C'), 'C0620A82013883023F008A01059000');
  t.is(tpdu('00A4070C00'), '6A86');
});

test('ISO 7816-4 §11.2.3 READ BINARY: offset, 6Cxx for a wrong Le, 6B00 beyond the EF, 6986 without an EF', (t) => {
  const { tpdu } = fs();
  t.is(tpdu('00B0000004'), '6986');
  t.is(tpdu('00A4000C02', '2F00'), 'A49000');
  t.is(tpdu('00B0001E02'), 'B01E1F9000');
  t.is(tpdu('00B0001E04'), '6C02');
  t.is(tpdu('00B0002000'), '6B00');
  t.is(tpdu('00A4000C02', '1000'), 'A49000');
  t.is(tpdu('00A4000C02', '1002'), 'A49000');
  // P3 = 0 means Le = 256 (§10.3.2).
  t.is(tpdu('00B0000000').length, 2 * (1 + 256 + 2));
});

test('ISO 7816-4 §11.2.5 UPDATE BINARY: written data reads back; slow writes send NULLs; 6700 past the end', (t) => {
  const { tpdu } = fs();
  t.is(tpdu('00A4000C02', '0001'), 'A49000');
  t.is(tpdu('00D6000203', 'AABBCC'), 'D6..9000');
  t.is(tpdu('00B0000006'), 'B00102AABBCC069000');
  t.is(tpdu('00D6000E04', '01020304'), 'D66700');
  t.is(tpdu('00D6001101', '01'), 'D66B00');
});

test('ISO 7816-4 GET CHALLENGE: bytes from the seeded PRNG: same seed, same challenge', (t) => {
  const a = fs(5).tpdu('0084000008');
  const b = fs(5).tpdu('0084000008');
  const c = fs(6).tpdu('0084000008');
  t.is(a, b);
  t.not(a, c);
  t.regex(a, /^84[0-9A-F]{16}9000$/);
  t.is(fs().tpdu('0084010008'), '6A86');
});

test('ISO 7816-4 §5.1: class and instruction errors 6E00 and 6D00', (t) => {
  const { tpdu } = fs();
  t.is(tpdu('A0A4000C02', '3F00'), '6E00');
  t.is(tpdu('0012000002', 'AABB'), '6D00');
  t.is(tpdu('80A4000C02', '3F00'), '6E00');
});

test('ISO 7816-4 ENVELOPE: an extended UPDATE BINARY of 4 KB and an extended READ BINARY over T=0', (t) => {
  const { tpdu } = fs();
  t.is(tpdu('00A4000C02', '1000'), 'A49000');
  t.is(tpdu('00A4000C02', '1001'), 'A49000');
  const data = Buffer.alloc(4096, 0).map((_, i) => (i * 13) & 0xff);
  const apdu = Buffer.concat([Buffer.from('00D60000001000', 'hex'), data]);
  for (let off = 0; off < apdu.length; off += 255) {
    const piece = apdu.subarray(off, off + 255);
    const last = off + 255 >= apdu.length;
    const reply = tpdu(`${last ? '00' : '10'}C20000${hx([piece.length])}`, piece.toString('hex'));
    t.is(reply, last ? 'C2..9000' : 'C29000');
  }
  t.is(tpdu('00C2000007', '00B00000001000'), 'C26100');
  let out = '';
  let sw = '6100';
  while (sw.startsWith('61')) {
    const r = tpdu(`00C00000${sw.slice(2)}`);
    out += r.slice(2, -4);
    sw = r.slice(-4);
  }
  t.is(sw, '9000');
  t.is(out, hx(data));
});

test('ISO 7816-4 ENVELOPE: the proprietary ECHO of 300 bytes comes back through 61xx chaining', (t) => {
  const { tpdu } = fs();
  const data = Buffer.alloc(300, 0x5a);
  const apdu = Buffer.concat([Buffer.from('80EE0000', 'hex'), Buffer.from([0, 1, 44]), data, Buffer.from([0, 0])]);
  t.is(tpdu('10C20000FF', apdu.subarray(0, 255).toString('hex')), 'C29000');
  t.is(tpdu(`00C20000${hx([apdu.length - 255])}`, apdu.subarray(255).toString('hex')), 'C26100');
  t.is(tpdu('00C0000000'), 'C0' + '5A'.repeat(256) + '612C');
  t.is(tpdu('00C000002C'), 'C0' + '5A'.repeat(44) + '9000');
  t.is(tpdu('00C2000003', '000102'), 'C29000');
  t.is(tpdu('00C2000000'), '6700');
});

test('ISO 7816-4 ENVELOPE is interindustry: class 00/10 carries a proprietary command; in class 80, C2 is refused after the header; another command breaks the chain', (t) => {
  const { tpdu } = fs();
  t.is(tpdu('80C2000008', '80EE000002AABB02'), '6E00');
  t.is(tpdu('00C2000008', '80EE000002AABB02'), 'C26102');
  t.is(tpdu('00C0000002'), 'C0AABB9000');
  // The enveloped command keeps its own extended Ne: a 2E READ BINARY of 300 bytes from a 300-byte EF.
  t.is(tpdu('00A4000C02', '1000'), 'A49000');
  t.is(tpdu('00A4000C02', '1002'), 'A49000');
  t.is(tpdu('00C2000007', '00B0000000012C'), 'C26100');
  t.is(tpdu('00C0000000').length, 2 * (1 + 256 + 2));
  t.is(tpdu('00C000002C'), 'C0' + hx(Uint8Array.from({ length: 44 }, (_, i) => (256 + i + 2) & 0xff)) + '9000');
  // Another command breaks the chain: the empty ENVELOPE that would end it finds no pieces.
  t.is(tpdu('10C2000004', '80EE0000'), 'C29000');
  t.is(tpdu('00A4000C02', '3F00'), 'A49000');
  t.is(tpdu('00C2000000'), '6700');
});

test('ISO 7816-4 §5.1: APDU encodings: cases 1–4 short and extended, prefixes and errors', (t) => {
  const p = (s: string) => parseApdu(Uint8Array.from(Buffer.from(s, 'hex')));
  t.like(p('00A40000'), { apdu: { ne: 0, extended: false } });
  t.like(p('00B0000000'), { apdu: { ne: 256 } });
  t.like(p('00D6000002AABB'), { apdu: { ne: 0 } });
  t.like(p('00A4000002AABB10'), { apdu: { ne: 16 } });
  t.like(p('00B00000000000'), { apdu: { ne: 65536, extended: true } });
  t.like(p('00D60000000002AABB'), { apdu: { ne: 0, extended: true } });
  t.like(p('00D60000000002AABB0100'), { apdu: { ne: 256, extended: true } });
  t.deepEqual(p('00D6000003AA'), { more: true });
  t.deepEqual(p('00D6000000'.slice(0, 6)), { more: true });
  t.like(p('00D6000001AABBCC'), { error: 'bytes after a short APDU' });
  t.like(p('00D600000000000000'), { error: 'extended Lc of 0' });
});

test('the T=0 file-system card never throws, whatever bytes the reader sends (property)', (t) => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ minLength: 1, maxLength: 12 }), { maxLength: 12 }), fc.boolean(), (chunks, bytewise) => {
      const io = new FakeIo();
      const card = new T0FsCard({ name: 'fs', description: 'fuzz', atr: Uint8Array.of(0x3b, 0x02, 0x14, 0x50), seed: 1, engine: { byteByByte: bytewise } });
      card.attach(io);
      card.power('A');
      card.reset('cold');
      io.scheduler.runUntilIdle();
      for (const chunk of chunks) {
        for (const b of chunk) card.receive(b, true);
        io.scheduler.runUntilIdle();
      }
      return io.sent.every((s) => Number.isInteger(s.byte) && s.byte >= 0 && s.byte <= 255);
    }),
    { numRuns: 300 },
  );
  t.pass();
});
