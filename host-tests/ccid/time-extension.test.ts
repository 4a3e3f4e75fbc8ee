/**
 * The reader's own time extensions (CCID Rev 1.1 §6.2.6 bmCommandStatus 2; period in
 * firmware/ccid/time-extension.ts): while an XfrBlock waits on the card, a DataBlock with the same
 * bSeq whenever half the card's waiting time (50–500 ms) passed without a message to the host; never
 * after the answer, never for other commands. In virtual time, on simulated slots.
 */
import test from 'ava';
import { BError, Chain } from '../host-driver/ccid-messages.js';
import type { RDR_to_PC } from '../host-driver/typed-messages.js';
import { extensionPeriodNs } from '../../firmware/ccid/time-extension.js';
import { blockWaitingNs, workWaitingNs } from '../../firmware/iso7816/timing.js';
import type { SlotAttributes } from '../../hal/interfaces/slot.js';
import { TestReader, bytes } from './harness.js';

interface Timed {
  atNs: number;
  reply: RDR_to_PC;
}

/** Every bulk IN message until the first that is not a time extension (or `timeoutNs` of silence), with its time. */
function collect(reader: TestReader, timeoutNs = 5e9): Timed[] {
  const out: Timed[] = [];
  for (;;) {
    const reply = reader.read(timeoutNs);
    if (reply === null) return out;
    out.push({ atNs: reader.scheduler.now(), reply });
    if (reply.type === 'Invalid' || reply.bStatus >> 6 !== 2) return out;
  }
}

function isExtension(reply: RDR_to_PC): boolean {
  return reply.type === 'RDR_to_PC_DataBlock' && reply.bStatus >> 6 === 2;
}

function xfr(reader: TestReader, bSeq: number, abData = bytes('00B0000000'), wLevelParameter = 0): void {
  reader.send({ type: 'PC_to_RDR_XfrBlock', bSlot: 0, bSeq, bBWI: 0, wLevelParameter, abData });
}

const ATTRIBUTES: SlotAttributes = Object.freeze({
  state: 'SPECIFIC', voltage: 'B', atr: null, protocol: 1, fiIndex: 1, diIndex: 1, F: 372, D: 1, waitFi: 372, N: 0, WI: 10,
  clockHz: 4e6, clockStopped: false, ifsc: 32, ifsd: 254, bwi: 4, cwi: 13, edc: 'lrc', nad: 0,
});

test('ISO 7816-3 §11.4.3 BWT and §10.2 WWT from the attributes; the period is half of the one in force, within 50–500 ms', (t) => {
  // BWT = 11 etu + 2^4 × 960 × 372 / 4 MHz = 1.023 ms + 1428.48 ms.
  t.is(Math.round(blockWaitingNs(ATTRIBUTES) / 1000), 1429503);
  // WWT = 960 × 10 × 372 / 4 MHz = 892.8 ms.
  t.is(Math.round(workWaitingNs(ATTRIBUTES) / 1000), 892800);
  t.is(extensionPeriodNs(ATTRIBUTES), 500e6, 'T=1, BWI 4: capped at 500 ms');
  t.is(extensionPeriodNs({ ...ATTRIBUTES, protocol: 0 }), 446.4e6, 'T=0, WI 10: half of WWT');
  t.is(Math.round(extensionPeriodNs({ ...ATTRIBUTES, bwi: 1 }) / 1000), Math.round(blockWaitingNs({ ...ATTRIBUTES, bwi: 1 }) / 2000));
  t.is(extensionPeriodNs({ ...ATTRIBUTES, bwi: 0, clockHz: 20e6 }), 50e6, 'BWT 18 ms: at most every 50 ms');
  t.is(extensionPeriodNs({ ...ATTRIBUTES, clockHz: 0 }), 500e6, 'clock unknown');
  t.is(extensionPeriodNs({ ...ATTRIBUTES, protocol: null }), 500e6, 'no protocol yet');
});

test('CCID §6.2.6 a long XfrBlock gets a time extension (DataBlock, bmCommandStatus 2, bError 1, same bSeq) every period, then the answer, then nothing', (t) => {
  const reader = new TestReader({ slots: [{ respond: () => ({ response: bytes('9000'), delayNs: 3e9 }) }] });
  reader.powerOn();
  const start = reader.scheduler.now();
  xfr(reader, 0x21);
  const replies = collect(reader);
  const extensions = replies.slice(0, -1);
  // T=1, BWI 4 at 4 MHz: every 500 ms, so at 0.5, 1.0, … 2.5 s.
  t.deepEqual(extensions.map((r) => Math.round((r.atNs - start) / 1e6)), [500, 1000, 1500, 2000, 2500]);
  for (const { reply } of extensions) {
    if (reply.type !== 'RDR_to_PC_DataBlock') return t.fail(reply.type);
    t.is(reply.bSeq, 0x21);
    t.is(reply.bStatus, 0x80, 'time extension, ICC present and active');
    t.is(reply.bError, 1);
    t.is(reply.abData.length, 0);
  }
  const final = replies.at(-1)!.reply;
  t.true(final.type === 'RDR_to_PC_DataBlock' && final.bStatus === 0 && final.bSeq === 0x21 && final.abData.length === 2);
  t.is(reader.read(10e9), null, 'nothing after the answer');
});

test('CCID §6.2.6 the period follows BWT (T=1) and WWT (T=0) in force after SetParameters', (t) => {
  const reader = new TestReader({ slots: [{ respond: () => ({ response: bytes('9000'), delayNs: 1e9 }) }] });
  reader.powerOn();
  // T=1, BWI 1 / CWI 5: BWT = 11 etu + 2 × 960 × 372 / 4 MHz = 179.58 ms, period 89.79 ms.
  const t1 = reader.transact({ type: 'PC_to_RDR_SetParameters', bSlot: 0, bSeq: 2, bProtocolNum: 1, abProtocolData: bytes('11100015002000') });
  t.is(t1.bStatus, 0);
  let start = reader.scheduler.now();
  xfr(reader, 3);
  let replies = collect(reader);
  t.is(replies.filter((r) => isExtension(r.reply)).length, 11);
  t.is(Math.round((replies[0].atNs - start) / 1e4), 8979);
  // T=0, WI 2: WWT = 960 × 2 × 372 / 4 MHz = 178.56 ms, period 89.28 ms.
  const t0 = reader.transact({ type: 'PC_to_RDR_SetParameters', bSlot: 0, bSeq: 4, bProtocolNum: 0, abProtocolData: bytes('1100000200') });
  t.is(t0.bStatus, 0);
  start = reader.scheduler.now();
  xfr(reader, 5);
  replies = collect(reader);
  t.is(replies.filter((r) => isExtension(r.reply)).length, 11);
  t.is(Math.round((replies[1].atNs - replies[0].atNs) / 1e4), 8928);
  t.is(Math.round((replies[0].atNs - start) / 1e4), 8928);
});

test('CCID §6.2.6 a card WTX restarts the count: the reader\'s own extension comes one period after the last message', (t) => {
  // The reader's own at 0.5 s, the card's WTX (multiplier 5) at 0.8 s, the reader's own at 1.3 s (not 1.0 s), the answer at 1.6 s.
  const reader = new TestReader({ slots: [{ respond: () => ({ response: bytes('9000'), delayNs: 1.6e9, waiting: [5] }) }] });
  reader.powerOn();
  const start = reader.scheduler.now();
  xfr(reader, 7);
  const replies = collect(reader);
  t.deepEqual(replies.map((r) => [Math.round((r.atNs - start) / 1e6), r.reply.type === 'RDR_to_PC_DataBlock' ? r.reply.bError : -1]), [
    [500, 1], [800, 5], [1300, 1], [1600, 0],
  ]);
});

test('CCID §6.2.6 no time extension for IccPowerOn or SetParameters, however long (libccid ignores them there)', (t) => {
  const reader = new TestReader({ slots: [{ powerOnDelayNs: 3e9, parametersDelayNs: 3e9 }] });
  const start = reader.scheduler.now();
  const atr = reader.powerOn(0, 1);
  t.true(atr.type === 'RDR_to_PC_DataBlock' && atr.bStatus === 0 && atr.abData[0] === 0x3b, 'the first reply is the ATR');
  t.true(reader.scheduler.now() - start >= 3e9);
  reader.send({ type: 'PC_to_RDR_SetParameters', bSlot: 0, bSeq: 2, bProtocolNum: 1, abProtocolData: bytes('11100045002000') });
  const replies = collect(reader);
  t.deepEqual(replies.map((r) => r.reply.type === 'RDR_to_PC_Parameters' && r.reply.bStatus), [0]);
});

test('CCID §6.2.6 no time extension after an abort or a removal ends the XfrBlock', (t) => {
  const reader = new TestReader({ slots: [{ respond: () => ({ response: bytes('9000'), delayNs: 10e9 }) }] });
  reader.powerOn();
  xfr(reader, 2);
  const first = reader.read(0.6e9);
  t.true(first !== null && isExtension(first));
  t.is(reader.host.control({ bmRequestType: 0x21, bRequest: 1, wValue: 2 << 8, wIndex: 0, wLength: 0 }).status, 'ok');
  reader.send({ type: 'PC_to_RDR_Abort', bSlot: 0, bSeq: 2 });
  const aborted = reader.read();
  t.true(aborted?.type === 'RDR_to_PC_DataBlock' && aborted.bError === BError.CMD_ABORTED);
  t.is(reader.read()?.type, 'RDR_to_PC_SlotStatus');
  t.is(reader.read(5e9), null, 'no extension after the abort');
  xfr(reader, 3);
  reader.scheduler.advance(0.2e9);
  reader.slots[0].remove();
  const removed = reader.read();
  t.true(removed?.type === 'RDR_to_PC_DataBlock' && removed.bError === BError.ICC_MUTE && (removed.bStatus & 3) === 2);
  t.is(reader.read(5e9), null, 'no extension after the removal');
});

test('CCID §6.2.6 extended APDU level: extensions only while the card works, none between chained pieces', (t) => {
  const reader = new TestReader({ slots: [{ respond: () => ({ response: new Uint8Array(600), delayNs: 1.2e9 }) }] });
  reader.powerOn();
  const apdu = new Uint8Array(400);
  const begins = reader.transact({ type: 'PC_to_RDR_XfrBlock', bSlot: 0, bSeq: 1, bBWI: 0, wLevelParameter: Chain.begins, abData: apdu.subarray(0, 261) });
  t.true(begins.type === 'RDR_to_PC_DataBlock' && begins.bChainParameter === Chain.more);
  reader.scheduler.advance(2e9);
  xfr(reader, 2, apdu.subarray(261), Chain.ends);
  const replies = collect(reader);
  t.deepEqual(replies.map((r) => isExtension(r.reply)), [true, true, false]);
  const first = replies.at(-1)!.reply;
  t.true(first.type === 'RDR_to_PC_DataBlock' && first.bChainParameter === Chain.begins);
  reader.scheduler.advance(2e9);
  const more = collect(reader, 1e6);
  t.is(more.length, 0, 'the rest of the response waits for the host, silently');
  xfr(reader, 3, new Uint8Array(0), Chain.more);
  const next = reader.read();
  t.true(next?.type === 'RDR_to_PC_DataBlock' && next.bChainParameter === Chain.continues);
});
