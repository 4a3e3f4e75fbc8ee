import test from 'ava';
import { BError } from '../host-driver/ccid-messages.js';
import type { RDR_to_PC } from '../host-driver/typed-messages.js';
import { TestReader, bytes } from './harness.js';

function slowReader(delayNs = 5e9): TestReader {
  const reader = new TestReader({ slots: [{ respond: () => ({ response: bytes('9000'), delayNs }) }] });
  reader.powerOn();
  return reader;
}

function abortRequest(reader: TestReader, bSlot: number, bSeq: number): 'ok' | 'stall' {
  return reader.host.control({ bmRequestType: 0x21, bRequest: 0x01, wValue: (bSeq << 8) | bSlot, wIndex: 0, wLength: 0 }).status;
}

function summary(reply: RDR_to_PC | null): string {
  if (reply === null) return 'none';
  if (reply.type === 'Invalid') return 'invalid';
  return `${reply.type} ${reply.bSeq} ${reply.bStatus >> 6} ${reply.bError}`;
}

test('CCID §5.3.1 ABORT request then PC_to_RDR_Abort: the XfrBlock ends CMD_ABORTED, the Abort succeeds', (t) => {
  const reader = slowReader();
  reader.send({ type: 'PC_to_RDR_XfrBlock', bSlot: 0, bSeq: 5, bBWI: 0, wLevelParameter: 0, abData: bytes('00B0000000') });
  reader.scheduler.advance(1e6);
  t.is(abortRequest(reader, 0, 5), 'ok');
  t.is(summary(reader.read()), `RDR_to_PC_DataBlock 5 1 ${BError.CMD_ABORTED}`);
  reader.send({ type: 'PC_to_RDR_Abort', bSlot: 0, bSeq: 5 });
  t.is(summary(reader.read()), 'RDR_to_PC_SlotStatus 5 0 0');
  t.is(reader.slots[0].log.aborts, 1);
  t.is(reader.read(20e9), null, 'nothing more: the slot\'s late answer is not forwarded');
});

test('CCID §5.3.1 PC_to_RDR_Abort first, then the ABORT request: both halves in the other order', (t) => {
  const reader = slowReader();
  reader.send({ type: 'PC_to_RDR_XfrBlock', bSlot: 0, bSeq: 6, bBWI: 0, wLevelParameter: 0, abData: bytes('00B0000000') });
  reader.scheduler.advance(1e6);
  reader.send({ type: 'PC_to_RDR_Abort', bSlot: 0, bSeq: 6 });
  reader.scheduler.advance(1e6);
  t.is(reader.slots[0].log.aborts, 0, 'the bulk half alone does not abort');
  t.is(abortRequest(reader, 0, 6), 'ok');
  t.is(summary(reader.read()), `RDR_to_PC_DataBlock 6 1 ${BError.CMD_ABORTED}`);
  t.is(summary(reader.read()), 'RDR_to_PC_SlotStatus 6 0 0');
});

test('CCID §5.3.1 between the ABORT request and PC_to_RDR_Abort other commands fail CMD_ABORTED; then the slot works', (t) => {
  const reader = slowReader(1e6);
  t.is(abortRequest(reader, 0, 9), 'ok');
  const during = reader.transact({ type: 'PC_to_RDR_GetSlotStatus', bSlot: 0, bSeq: 9 });
  t.is(summary(during), `RDR_to_PC_SlotStatus 9 1 ${BError.CMD_ABORTED}`);
  t.is(summary(reader.transact({ type: 'PC_to_RDR_Abort', bSlot: 0, bSeq: 9 })), 'RDR_to_PC_SlotStatus 9 0 0');
  const after = reader.transact({ type: 'PC_to_RDR_XfrBlock', bSlot: 0, bSeq: 10, bBWI: 0, wLevelParameter: 0, abData: bytes('00') });
  t.is(summary(after), 'RDR_to_PC_DataBlock 10 0 0');
});

test('CCID §5.3.1 abort race: the card answers just before the ABORT request; exactly one reply per bSeq', (t) => {
  const reader = slowReader(2e6);
  reader.send({ type: 'PC_to_RDR_XfrBlock', bSlot: 0, bSeq: 3, bBWI: 0, wLevelParameter: 0, abData: bytes('00') });
  reader.scheduler.advance(2e6); // the slot has answered; the reply waits on bulk IN
  t.is(abortRequest(reader, 0, 3), 'ok');
  reader.send({ type: 'PC_to_RDR_Abort', bSlot: 0, bSeq: 3 });
  t.is(summary(reader.read()), 'RDR_to_PC_DataBlock 3 0 0');
  t.is(summary(reader.read()), 'RDR_to_PC_SlotStatus 3 0 0');
  t.is(reader.read(1e9), null);
  t.is(reader.slots[0].log.aborts, 0);
});

test('CCID §5.3.1 an older unmatched PC_to_RDR_Abort fails CMD_ABORTED when a newer one arrives', (t) => {
  const reader = slowReader();
  reader.send({ type: 'PC_to_RDR_Abort', bSlot: 0, bSeq: 1 });
  reader.send({ type: 'PC_to_RDR_Abort', bSlot: 0, bSeq: 2 });
  t.is(summary(reader.read()), `RDR_to_PC_SlotStatus 1 1 ${BError.CMD_ABORTED}`);
  t.is(abortRequest(reader, 0, 2), 'ok');
  t.is(summary(reader.read()), 'RDR_to_PC_SlotStatus 2 0 0');
});

test('CCID §5.3.1 ABORT request for a slot that does not exist stalls', (t) => {
  const reader = slowReader();
  t.is(abortRequest(reader, 4, 1), 'stall');
});
