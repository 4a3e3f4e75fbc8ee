import test from 'ava';
import fc from 'fast-check';
import { MessageAssembler } from '../../firmware/ccid/assembler.js';
import { decodeRdrToPc, encodePcToRdr } from '../host-driver/typed-messages.js';
import { TestReader, bytes } from './harness.js';

const TYPES = [0x61, 0x62, 0x63, 0x65, 0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f, 0x71, 0x72, 0x73, 0x00, 0x50, 0x80, 0xff];

/** Transfers that look like CCID messages often enough to reach every command, with lies in dwLength. */
const transfer = fc.oneof(
  fc.uint8Array({ maxLength: 300 }),
  fc.record({
    type: fc.constantFrom(...TYPES),
    dwLength: fc.oneof(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 0xffffffff })),
    bSlot: fc.integer({ min: 0, max: 3 }),
    bSeq: fc.integer({ min: 0, max: 255 }),
    specific: fc.uint8Array({ minLength: 3, maxLength: 3 }),
    data: fc.uint8Array({ maxLength: 280 }),
  }).map(({ type, dwLength, bSlot, bSeq, specific, data }) => {
    const out = new Uint8Array(10 + data.length);
    out[0] = type;
    new DataView(out.buffer).setUint32(1, dwLength, true);
    out[5] = bSlot;
    out[6] = bSeq;
    out.set(specific, 7);
    out.set(data, 10);
    return out;
  }),
);

test('CCID §6.1 any byte strings on bulk OUT: only well-formed replies, never a throw, and the reader stays usable', (t) => {
  fc.assert(
    fc.property(fc.array(transfer, { maxLength: 8 }), (transfers) => {
      const reader = new TestReader({ slots: [{}, { present: false }] });
      for (const data of transfers) reader.sendRaw(data);
      for (let raw = reader.readRaw(200e6); raw !== null; raw = reader.readRaw(200e6)) {
        const reply = decodeRdrToPc(raw.data);
        if (reply.type === 'Invalid') throw new Error(`invalid reply ${reply.reason}`);
      }
      // A transfer ending in a full packet leaves a message open; the next short packet closes it,
      // so a host may need one retry after sending garbage.
      for (let attempt = 0; attempt < 2; attempt++) {
        reader.send({ type: 'PC_to_RDR_GetSlotStatus', bSlot: 0, bSeq: 0xa0 + attempt });
        for (let raw = reader.readRaw(200e6); raw !== null; raw = reader.readRaw(200e6)) {
          const reply = decodeRdrToPc(raw.data);
          if (reply.type === 'RDR_to_PC_SlotStatus' && reply.bSeq === 0xa0 + attempt && reply.bStatus >> 6 === 0) return;
        }
      }
      throw new Error('GetSlotStatus not answered after the garbage');
    }),
    { numRuns: 150 },
  );
  t.pass();
});

test('CCID §6.1 reassembly: a message split into 64-byte packets is delivered once, whole', (t) => {
  const delivered: number[][] = [];
  const assembler = new MessageAssembler(271, 64, (m) => delivered.push(Array.from(m)));
  const message = new Uint8Array(10 + 118);
  message[0] = 0x6f;
  message[1] = 118;
  for (let i = 0; i < message.length; i += 64) assembler.push(message.subarray(i, i + 64));
  t.deepEqual(delivered, [Array.from(message)]);
});

test('CCID §6.1 reassembly: a message of exactly 64 bytes completes by dwLength without a zero-length packet', (t) => {
  const delivered: number[] = [];
  const assembler = new MessageAssembler(271, 64, (m) => delivered.push(m.length));
  const message = new Uint8Array(64);
  message[0] = 0x6f;
  message[1] = 54;
  assembler.push(message);
  t.deepEqual(delivered, [64]);
});

test('CCID §6.1 reassembly: a transfer ending early is delivered as far as it went (Malformed), fragments below a header are dropped', (t) => {
  const delivered: number[] = [];
  const assembler = new MessageAssembler(271, 64, (m) => delivered.push(m.length));
  assembler.push(bytes('6F0500000000010000000102'));
  assembler.push(bytes('6500'));
  t.deepEqual(delivered, [12, 2]);
});

test('CCID §6.1 reassembly: a zero-length packet ends a transfer of full packets that stopped short of dwLength', (t) => {
  const delivered: number[] = [];
  const assembler = new MessageAssembler(271, 64, (m) => delivered.push(m.length));
  const partial = new Uint8Array(64);
  partial[0] = 0x6f;
  partial[1] = 100;
  assembler.push(partial);
  t.deepEqual(delivered, []);
  assembler.push(new Uint8Array(0));
  t.deepEqual(delivered, [64]);
});

test('CCID §6.1 reassembly: a message longer than dwMaxCCIDMessageLength is skipped and reported by its header', (t) => {
  const delivered: number[][] = [];
  const assembler = new MessageAssembler(271, 64, (m) => delivered.push(Array.from(m.subarray(0, 7))));
  const huge = new Uint8Array(10 + 400);
  huge[0] = 0x6f;
  new DataView(huge.buffer).setUint32(1, 400, true);
  huge[6] = 0x42;
  for (let i = 0; i < huge.length; i += 64) assembler.push(huge.subarray(i, i + 64));
  assembler.push(bytes('65000000000043000000'));
  t.is(delivered.length, 2);
  t.is(delivered[0][6], 0x42);
  t.is(delivered[1][6], 0x43);
});

test('CCID §6.1 an oversized XfrBlock is answered failed with bError 1 and the reader goes on', (t) => {
  const reader = new TestReader();
  const huge = new Uint8Array(10 + 1000);
  huge[0] = 0x6f;
  new DataView(huge.buffer).setUint32(1, 1000, true);
  huge[6] = 0x42;
  reader.sendRaw(huge);
  const reply = reader.read();
  t.true(reply?.type === 'RDR_to_PC_DataBlock' && reply.bSeq === 0x42 && reply.bStatus >> 6 === 1 && reply.bError === 1);
  t.is(reader.transact({ type: 'PC_to_RDR_GetSlotStatus', bSlot: 0, bSeq: 1 }).bSeq, 1);
});

/** Every final reply on bulk IN until it stays silent for `quietNs` (time extensions, §6.2.6 bmCommandStatus 2, skipped): the bSeq of each. */
function drain(reader: TestReader, quietNs: number): number[] {
  const seqs: number[] = [];
  for (let raw = reader.readRaw(quietNs); raw !== null; raw = reader.readRaw(quietNs)) {
    const reply = decodeRdrToPc(raw.data);
    if (reply.type !== 'Invalid' && reply.bStatus >> 6 !== 2) seqs.push(reply.bSeq);
  }
  return seqs;
}

test('CCID §6.1 a host flooding bulk OUT without reading: every command gets exactly one answer (CMD_SLOT_BUSY), none is dropped', (t) => {
  const reader = new TestReader({ slots: [{ respond: () => ({ response: bytes('9000'), delayNs: 1e9 }) }] });
  reader.powerOn();
  reader.send({ type: 'PC_to_RDR_XfrBlock', bSlot: 0, bSeq: 0, bBWI: 0, wLevelParameter: 0, abData: bytes('00') });
  for (let i = 1; i <= 40; i++) reader.send({ type: 'PC_to_RDR_GetSlotStatus', bSlot: 0, bSeq: i });
  reader.scheduler.advance(1e6);
  const seqs = drain(reader, 2e9);
  t.deepEqual([...seqs].sort((a, b) => a - b), Array.from({ length: 41 }, (_, i) => i), 'each bSeq answered once');
  t.is(reader.transact({ type: 'PC_to_RDR_GetSlotStatus', bSlot: 0, bSeq: 99 }).bSeq, 99);
});

test('CCID §6.1 nine commands queued while the host reads bulk IN: the ninth is answered too', (t) => {
  const reader = new TestReader({ slots: [{ respond: () => ({ response: bytes('9000'), delayNs: 50e6 }) }] });
  reader.powerOn();
  const answered: number[] = [];
  // The host keeps one bulk IN URB pending, as libccid's reader thread does, and submits nine commands at once.
  const read = (): void => {
    reader.host.bulkIn(reader.urbLength, (status, data) => {
      const reply = decodeRdrToPc(data);
      if (status === 'ok' && reply.type !== 'Invalid' && reply.bStatus >> 6 !== 2) answered.push(reply.bSeq);
      if (status === 'ok') read();
    });
  };
  read();
  for (let i = 0; i < 9; i++) reader.send({ type: 'PC_to_RDR_XfrBlock', bSlot: 0, bSeq: i, bBWI: 0, wLevelParameter: 0, abData: bytes('00A4040000') });
  reader.runUntil(() => answered.length === 9, 2e9);
  t.deepEqual([...answered].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8]);
  t.is(answered[answered.length - 1], 0, 'the busy answers leave at once, the first command\'s answer when the card has answered');
});

test('CCID §6.1 bulk OUT is held back (NAKed) while answers wait, so a host that never reads cannot grow the reader', (t) => {
  const reader = new TestReader({ slots: [{ respond: () => ({ response: bytes('9000'), delayNs: 1e9 }) }] });
  reader.powerOn();
  let completed = 0;
  for (let i = 0; i < 100; i++) {
    const message = encodePcToRdr({ type: 'PC_to_RDR_GetSlotStatus', bSlot: 0, bSeq: i });
    reader.host.bulkOut(message, () => completed++);
  }
  reader.scheduler.advance(10e6);
  // Taken before the NAKs: the first answer on its way to bulk IN, the second in the slot's reply
  // buffer, six CMD_SLOT_BUSY answers in the short ring (2 × slots + 4, reply-queue.ts); the ninth waits.
  t.is(completed, 8, 'bulk OUT transfers taken before the reader stopped taking more');
  const seqs = drain(reader, 2e9);
  t.is(completed, 100, 'reading bulk IN lets the rest in');
  t.deepEqual(seqs, Array.from({ length: 100 }, (_, i) => i), 'in order, each once');
});

test('CCID §6.1 reassembly when the driver hands over 512-byte pieces: chained 1000-byte APDU and short commands', (t) => {
  const reader = new TestReader({ outChunkSize: 512, config: { maxMessageLength: 1034 } });
  reader.powerOn();
  const apdu = new Uint8Array(1000).map((_, i) => i);
  const reply = reader.transact({ type: 'PC_to_RDR_XfrBlock', bSlot: 0, bSeq: 2, bBWI: 0, wLevelParameter: 0, abData: apdu });
  t.true(reply.type === 'RDR_to_PC_DataBlock' && reply.abData.length === 1002 && reply.bChainParameter === 0);
  t.deepEqual(reader.slots[0].log.commands, [apdu]);
  t.is(reader.transact({ type: 'PC_to_RDR_GetSlotStatus', bSlot: 0, bSeq: 3 }).bSeq, 3);
});
