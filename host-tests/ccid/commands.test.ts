import test from 'ava';
import { BError, Chain } from '../host-driver/ccid-messages.js';
import { EscapeCode } from '../../firmware/ccid/escape.js';
import type { RDR_to_PC } from '../host-driver/typed-messages.js';
import { DEFAULT_ATR } from '../../hal/sim/sim-slot.js';
import { TestReader, bytes } from './harness.js';

const FAILED = 0x40;

function status(reply: RDR_to_PC): { icc: number; command: number; bError: number } {
  if (reply.type === 'Invalid') throw new Error(reply.reason);
  return { icc: reply.bStatus & 3, command: reply.bStatus >> 6, bError: reply.bError };
}

test('CCID §6.1.1 PC_to_RDR_IccPowerOn answers RDR_to_PC_DataBlock with the ATR, ICC active', (t) => {
  const reader = new TestReader();
  const reply = reader.transact({ type: 'PC_to_RDR_IccPowerOn', bSlot: 0, bSeq: 7, bPowerSelect: 0 });
  t.is(reply.type, 'RDR_to_PC_DataBlock');
  if (reply.type !== 'RDR_to_PC_DataBlock') return;
  t.is(reply.bSeq, 7);
  t.deepEqual(reply.abData, DEFAULT_ATR);
  t.deepEqual(status(reply), { icc: 0, command: 0, bError: 0 });
  t.deepEqual(reader.slots[0].log.powerOns, ['auto']);
});

test('CCID §6.1.1 bPowerSelect 1/2/3 select classes A/B/C; a value above 3 fails with bError 7', (t) => {
  const reader = new TestReader();
  for (const [select, voltage] of [[1, 'A'], [2, 'B'], [3, 'C']] as const) {
    const reply = reader.transact({ type: 'PC_to_RDR_IccPowerOn', bSlot: 0, bSeq: select, bPowerSelect: select });
    t.is(status(reply).command, 0);
    t.is(reader.slots[0].attributes.voltage, voltage);
  }
  t.is(reader.slots[0].log.powerOffs, 2, 'a change of class is a cold reset: power off first');
  const bad = reader.transact({ type: 'PC_to_RDR_IccPowerOn', bSlot: 0, bSeq: 9, bPowerSelect: 4 });
  t.is(bad.type, 'RDR_to_PC_DataBlock');
  t.is(status(bad).command, 1);
  t.is(status(bad).bError, 7);
});

test('CCID §6.1.1 a class the board lacks fails with bError 7', (t) => {
  const reader = new TestReader({ config: { classes: ['B'] } });
  const reply = reader.transact({ type: 'PC_to_RDR_IccPowerOn', bSlot: 0, bSeq: 1, bPowerSelect: 1 });
  t.deepEqual(status(reply), { icc: 1, command: 1, bError: 7 });
});

test('CCID §6.1.1 20 IccPowerOn in a row on an active card (warm resets) all succeed', (t) => {
  const reader = new TestReader();
  for (let i = 0; i < 20; i++) {
    const reply = reader.transact({ type: 'PC_to_RDR_IccPowerOn', bSlot: 0, bSeq: i, bPowerSelect: 0 });
    t.is(status(reply).command, 0, `power-on ${i}`);
    t.is(reply.bSeq, i);
  }
  t.is(reader.slots[0].log.powerOffs, 0);
});

test('CCID §6.1.1 no ATR: IccPowerOn fails with ICC_MUTE and the ICC present and inactive', (t) => {
  const reader = new TestReader();
  reader.slots[0].nextPowerOnError = 'ICC_MUTE';
  const reply = reader.powerOn();
  t.deepEqual(status(reply), { icc: 1, command: 1, bError: BError.ICC_MUTE });
});

test('CCID §6.1.1 IccPowerOn with no card fails with ICC_MUTE and ICC absent', (t) => {
  const reader = new TestReader({ slots: [{ present: false }] });
  const reply = reader.powerOn();
  t.deepEqual(status(reply), { icc: 2, command: 1, bError: BError.ICC_MUTE });
});

test('CCID §6.1.2 PC_to_RDR_IccPowerOff leaves the ICC inactive and is harmless when repeated', (t) => {
  const reader = new TestReader();
  reader.powerOn();
  for (let i = 0; i < 3; i++) {
    const reply = reader.transact({ type: 'PC_to_RDR_IccPowerOff', bSlot: 0, bSeq: 10 + i });
    t.is(reply.type, 'RDR_to_PC_SlotStatus');
    t.deepEqual(status(reply), { icc: 1, command: 0, bError: 0 });
  }
});

test('CCID §6.1.3 PC_to_RDR_GetSlotStatus reports present/active, inactive and absent', (t) => {
  const reader = new TestReader();
  const get = (bSeq: number) => reader.transact({ type: 'PC_to_RDR_GetSlotStatus', bSlot: 0, bSeq });
  t.is(status(get(1)).icc, 1);
  reader.powerOn(0, 2);
  const active = get(3);
  t.is(active.type, 'RDR_to_PC_SlotStatus');
  t.deepEqual(status(active), { icc: 0, command: 0, bError: 0 });
  reader.slots[0].remove();
  reader.scheduler.advance(0);
  t.is(status(get(4)).icc, 2);
});

test('CCID §6.1.3 GetSlotStatus is answered at once right after SET_CONFIGURATION', (t) => {
  const reader = new TestReader();
  const start = reader.scheduler.now();
  reader.transact({ type: 'PC_to_RDR_GetSlotStatus', bSlot: 0, bSeq: 0 });
  t.true(reader.scheduler.now() - start < 100e6);
});

test('CCID §6.1.4 PC_to_RDR_XfrBlock carries an APDU and returns the response in one DataBlock', (t) => {
  const reader = new TestReader();
  reader.powerOn();
  const apdu = bytes('00A4040C07A0000002471001');
  const reply = reader.transact({ type: 'PC_to_RDR_XfrBlock', bSlot: 0, bSeq: 2, bBWI: 0, wLevelParameter: 0, abData: apdu });
  t.is(reply.type, 'RDR_to_PC_DataBlock');
  if (reply.type !== 'RDR_to_PC_DataBlock') return;
  t.is(reply.bChainParameter, Chain.whole);
  t.deepEqual(reply.abData, bytes('00A4040C07A0000002471001' + '9000'));
  t.deepEqual(reader.slots[0].log.commands, [apdu]);
});

test('CCID §6.1.4 XfrBlock on an unpowered card fails with ICC_MUTE, ICC inactive', (t) => {
  const reader = new TestReader();
  const reply = reader.transact({ type: 'PC_to_RDR_XfrBlock', bSlot: 0, bSeq: 1, bBWI: 0, wLevelParameter: 0, abData: bytes('00B0000000') });
  t.deepEqual(status(reply), { icc: 1, command: 1, bError: BError.ICC_MUTE });
  t.is(reader.slots[0].log.commands.length, 0);
});

test('CCID §6.1.4 slot errors become bError (XFR_PARITY_ERROR, PROCEDURE_BYTE_CONFLICT)', (t) => {
  const errors = ['XFR_PARITY_ERROR', 'PROCEDURE_BYTE_CONFLICT'] as const;
  let next = 0;
  const reader = new TestReader({ slots: [{ respond: () => ({ error: errors[next++] }) }] });
  reader.powerOn();
  for (const error of errors) {
    const reply = reader.transact({ type: 'PC_to_RDR_XfrBlock', bSlot: 0, bSeq: 5, bBWI: 0, wLevelParameter: 0, abData: bytes('0084000008') });
    t.deepEqual(status(reply), { icc: 0, command: 1, bError: BError[error as keyof typeof BError] });
  }
});

test('CCID §6.2.6 time extension: the card\'s WTX gives a DataBlock with bmCommandStatus 2 and bError = multiplier, then the answer', (t) => {
  // Card requests at 0.3 s and 0.6 s, before the reader's own first one (half of BWT 1.43 s is over 0.5 s).
  const reader = new TestReader({ slots: [{ respond: () => ({ response: bytes('9000'), delayNs: 0.9e9, waiting: [2, 3] }) }] });
  reader.powerOn();
  reader.send({ type: 'PC_to_RDR_XfrBlock', bSlot: 0, bSeq: 9, bBWI: 0, wLevelParameter: 0, abData: bytes('0088000000') });
  const first = reader.read();
  const second = reader.read();
  const final = reader.read();
  for (const [reply, multiplier] of [[first, 2], [second, 3]] as const) {
    t.is(reply?.type, 'RDR_to_PC_DataBlock');
    if (reply?.type !== 'RDR_to_PC_DataBlock') return;
    t.is(reply.bSeq, 9);
    t.is(reply.bStatus >> 6, 2);
    t.is(reply.bError, multiplier);
    t.is(reply.abData.length, 0);
  }
  t.is(final?.type, 'RDR_to_PC_DataBlock');
  t.deepEqual(final && status(final), { icc: 0, command: 0, bError: 0 });
});

test('CCID §6.1.4 extended APDU level: wLevelParameter command chaining 01/03/02, answered 10 then the response', (t) => {
  const reader = new TestReader();
  reader.powerOn();
  const apdu = new Uint8Array(600).map((_, i) => i & 0xff);
  const pieces = [apdu.subarray(0, 261), apdu.subarray(261, 522), apdu.subarray(522)];
  const levels = [Chain.begins, Chain.continues, Chain.ends];
  const replies = pieces.map((abData, i) =>
    reader.transact({ type: 'PC_to_RDR_XfrBlock', bSlot: 0, bSeq: i, bBWI: 0, wLevelParameter: levels[i], abData }),
  );
  for (const reply of replies.slice(0, 2)) {
    t.is(reply.type, 'RDR_to_PC_DataBlock');
    if (reply.type === 'RDR_to_PC_DataBlock') {
      t.is(reply.bChainParameter, Chain.more);
      t.is(reply.abData.length, 0);
      t.is(reply.bStatus, 0);
    }
  }
  t.deepEqual(reader.slots[0].log.commands, [apdu]);
  // §6.2.1 response chaining: 602 bytes = 261 (01) + 261 (03) + 80 (02), each asked with wLevelParameter 10.
  const collected: number[] = [];
  const chains: number[] = [];
  let reply = replies[2];
  for (let bSeq = 3; ; bSeq++) {
    if (reply.type !== 'RDR_to_PC_DataBlock') return t.fail(reply.type);
    chains.push(reply.bChainParameter);
    collected.push(...reply.abData);
    if (reply.bChainParameter === Chain.whole || reply.bChainParameter === Chain.ends) break;
    reply = reader.transact({ type: 'PC_to_RDR_XfrBlock', bSlot: 0, bSeq, bBWI: 0, wLevelParameter: Chain.more, abData: new Uint8Array(0) });
  }
  t.deepEqual(chains, [Chain.begins, Chain.continues, Chain.ends]);
  t.deepEqual(Uint8Array.from(collected), Uint8Array.from([...apdu, 0x90, 0x00]));
});

test('CCID §6.1.4 chaining out of order (02, 03 or 10 with nothing pending, or an undefined value) fails with bError 8', (t) => {
  const reader = new TestReader();
  reader.powerOn();
  for (const wLevelParameter of [Chain.ends, Chain.continues, Chain.more, 0x0005]) {
    const reply = reader.transact({ type: 'PC_to_RDR_XfrBlock', bSlot: 0, bSeq: 1, bBWI: 0, wLevelParameter, abData: bytes('00') });
    t.deepEqual(status(reply), { icc: 0, command: 1, bError: 8 }, `wLevelParameter ${wLevelParameter}`);
  }
  t.is(reader.slots[0].log.commands.length, 0);
});

test('CCID §6.1.4 a chained command longer than the APDU buffer fails with XFR_OVERRUN', (t) => {
  const reader = new TestReader({ config: { maxApduLength: 300 } });
  reader.powerOn();
  const piece = new Uint8Array(200);
  reader.transact({ type: 'PC_to_RDR_XfrBlock', bSlot: 0, bSeq: 1, bBWI: 0, wLevelParameter: Chain.begins, abData: piece });
  const reply = reader.transact({ type: 'PC_to_RDR_XfrBlock', bSlot: 0, bSeq: 2, bBWI: 0, wLevelParameter: Chain.ends, abData: piece });
  t.deepEqual(status(reply), { icc: 0, command: 1, bError: BError.XFR_OVERRUN });
});

test('CCID §6.1.4 short APDU level: one XfrBlock, one DataBlock; a response too long for one message fails XFR_OVERRUN', (t) => {
  const reader = new TestReader({
    config: { exchangeLevel: 'short-apdu' },
    slots: [{ respond: (c) => ({ response: c[1] === 0xff ? new Uint8Array(300) : bytes('6A82') }) }],
  });
  reader.powerOn();
  const ok = reader.transact({ type: 'PC_to_RDR_XfrBlock', bSlot: 0, bSeq: 2, bBWI: 0, wLevelParameter: 0, abData: bytes('00B0000000') });
  t.true(ok.type === 'RDR_to_PC_DataBlock' && ok.abData.length === 2 && ok.bChainParameter === 0);
  const long = reader.transact({ type: 'PC_to_RDR_XfrBlock', bSlot: 0, bSeq: 3, bBWI: 0, wLevelParameter: 0, abData: bytes('00FF000000') });
  t.is(status(long).bError, BError.XFR_OVERRUN);
});

test('CCID §6.1.4 TPDU level: the TPDU goes to Slot.transmitTpdu as is', (t) => {
  const reader = new TestReader({ config: { exchangeLevel: 'tpdu' } });
  reader.powerOn();
  const block = bytes('0000050084000008' + '89');
  const reply = reader.transact({ type: 'PC_to_RDR_XfrBlock', bSlot: 0, bSeq: 2, bBWI: 2, wLevelParameter: 0, abData: block });
  t.is(status(reply).command, 0);
  t.deepEqual(reader.slots[0].log.commands, [block]);
});

test('CCID §6.1.5 / §6.1.7 SetParameters T=0 stores bGuardTimeT0 and bWaitingIntegerT0; GetParameters returns them', (t) => {
  const reader = new TestReader({ slots: [{ without: ['setParameters'] }] });
  const data = bytes('1100 05 20 00'.replace(/ /g, ''));
  const set = reader.transact({ type: 'PC_to_RDR_SetParameters', bSlot: 0, bSeq: 1, bProtocolNum: 0, abProtocolData: data });
  t.is(set.type, 'RDR_to_PC_Parameters');
  t.is(status(set).command, 0);
  const get = reader.transact({ type: 'PC_to_RDR_GetParameters', bSlot: 0, bSeq: 2 });
  t.true(get.type === 'RDR_to_PC_Parameters');
  if (get.type !== 'RDR_to_PC_Parameters') return;
  t.is(get.bProtocolNum, 0);
  t.deepEqual(get.abProtocolData, data);
});

test('CCID §6.1.6 ResetParameters restores the defaults', (t) => {
  const reader = new TestReader({ slots: [{ without: ['setParameters'] }] });
  reader.transact({ type: 'PC_to_RDR_SetParameters', bSlot: 0, bSeq: 1, bProtocolNum: 0, abProtocolData: bytes('9602FF0A01') });
  const reset = reader.transact({ type: 'PC_to_RDR_ResetParameters', bSlot: 0, bSeq: 2 });
  t.is(reset.type, 'RDR_to_PC_Parameters');
  const get = reader.transact({ type: 'PC_to_RDR_GetParameters', bSlot: 0, bSeq: 3 });
  if (get.type !== 'RDR_to_PC_Parameters') return t.fail(get.type);
  t.deepEqual(get.abProtocolData, bytes('1100000A00'));
});

test('CCID §6.1.7 SetParameters T=1 on a powered card is applied by the slot (PPS) and read back', (t) => {
  const reader = new TestReader();
  reader.powerOn();
  const data = bytes('13 11 00 45 00 FE 00'.replace(/ /g, ''));
  const set = reader.transact({ type: 'PC_to_RDR_SetParameters', bSlot: 0, bSeq: 2, bProtocolNum: 1, abProtocolData: data });
  if (set.type !== 'RDR_to_PC_Parameters') return t.fail(set.type);
  t.is(status(set).command, 0);
  t.is(set.bProtocolNum, 1);
  t.deepEqual(set.abProtocolData, data);
  const applied = reader.slots[0].log.parameters[0];
  t.like(applied, { protocol: 1, fiIndex: 1, diIndex: 3, edc: 'crc', bwi: 4, cwi: 5, ifsc: 254 });
  t.is(reader.slots[0].attributes.D, 4);
});

test('CCID §6.1.7 SetParameters refused by the card fails with the slot error, parameters unchanged', (t) => {
  const reader = new TestReader();
  reader.powerOn();
  reader.slots[0].nextParametersError = 'ICC_PROTOCOL_NOT_SUPPORTED';
  const set = reader.transact({ type: 'PC_to_RDR_SetParameters', bSlot: 0, bSeq: 2, bProtocolNum: 0, abProtocolData: bytes('9600000A00') });
  t.deepEqual(status(set), { icc: 0, command: 1, bError: BError.ICC_PROTOCOL_NOT_SUPPORTED });
});

test('CCID §6.1.7 SetParameters field checks: bProtocolNum (7), length (1), RFU Fi/Di (10), bmTCCKST (11), WI 0 (13), IFSC (15)', (t) => {
  const reader = new TestReader();
  const cases: [number, string, number][] = [
    [2, '1100000A00', 7],
    [0, '1100000A', 1],
    [0, '7100000A00', 10],
    [0, '1101000A00', 11],
    [0, '1100000000', 13],
    [1, '1310004500FF00', 15],
    [1, '1300004500FE00', 11],
    [1, '13100045 04 FE00'.replace(/ /g, ''), 14],
  ];
  for (const [bProtocolNum, hex, bError] of cases) {
    const reply = reader.transact({ type: 'PC_to_RDR_SetParameters', bSlot: 0, bSeq: 1, bProtocolNum, abProtocolData: bytes(hex) });
    t.is(reply.type, 'RDR_to_PC_Parameters');
    t.is(status(reply).bError, bError, hex);
    t.is(status(reply).command, 1);
  }
});

test('CCID §6.1.8 PC_to_RDR_Escape vendor commands: state, attributes, ATR, trace level; unknown fails bError 10', (t) => {
  let mask = 0;
  const reader = new TestReader({ trace: { get mask() { return mask; }, log() {}, setMask(m) { mask = m; } } });
  reader.powerOn();
  const escape = (bSeq: number, hex: string) => reader.transact({ type: 'PC_to_RDR_Escape', bSlot: 0, bSeq, abData: bytes(hex) });
  const state = escape(1, '01');
  t.true(state.type === 'RDR_to_PC_Escape' && state.abData[0] === 5); // SPECIFIC
  const attributes = escape(2, '02');
  if (attributes.type !== 'RDR_to_PC_Escape') return t.fail();
  t.is(attributes.abData.length, 33);
  t.is(attributes.abData[1], 1); // T=1
  t.is(attributes.abData[4] | (attributes.abData[5] << 8), 372);
  const atr = escape(3, '05');
  t.true(atr.type === 'RDR_to_PC_Escape' && atr.abData.length === DEFAULT_ATR.length);
  const set = escape(4, '0414');
  t.true(set.type === 'RDR_to_PC_Escape' && set.abData[0] === 0x14 && mask === 0x14);
  const get = escape(5, '03');
  t.true(get.type === 'RDR_to_PC_Escape' && get.abData[0] === 0x14);
  t.deepEqual(status(escape(6, '7F')), { icc: 0, command: 1, bError: 10 });
  t.deepEqual(status(escape(7, '')), { icc: 0, command: 1, bError: 10 });
  t.deepEqual(status(escape(8, '0101')), { icc: 0, command: 1, bError: 11 });
  t.is(EscapeCode.READ_ATR, 5);
});

test('CCID §6.1.9 PC_to_RDR_IccClock stops and restarts the clock when the card allows it', (t) => {
  const reader = new TestReader({ slots: [{ clockStop: 'high' }] });
  reader.powerOn();
  const stop = reader.transact({ type: 'PC_to_RDR_IccClock', bSlot: 0, bSeq: 2, bClockCommand: 1 });
  if (stop.type !== 'RDR_to_PC_SlotStatus') return t.fail(stop.type);
  t.is(stop.bStatus, 0);
  t.is(stop.bClockStatus, 2);
  const start = reader.transact({ type: 'PC_to_RDR_IccClock', bSlot: 0, bSeq: 3, bClockCommand: 0 });
  t.true(start.type === 'RDR_to_PC_SlotStatus' && start.bClockStatus === 0 && start.bStatus === 0);
  t.is(status(reader.transact({ type: 'PC_to_RDR_IccClock', bSlot: 0, bSeq: 4, bClockCommand: 2 })).bError, 7);
});

test('CCID §6.1.9 IccClock is refused when the card forbids clock stop or the board cannot stop it', (t) => {
  const card = new TestReader({ slots: [{ clockStop: 'not-supported' }] });
  card.powerOn();
  t.deepEqual(status(card.transact({ type: 'PC_to_RDR_IccClock', bSlot: 0, bSeq: 2, bClockCommand: 1 })), { icc: 0, command: 1, bError: 0 });
  const board = new TestReader({ config: { clockStop: false }, slots: [{ clockStop: 'low' }] });
  board.powerOn();
  t.deepEqual(status(board.transact({ type: 'PC_to_RDR_IccClock', bSlot: 0, bSeq: 2, bClockCommand: 1 })), { icc: 0, command: 1, bError: 0 });
});

test('CCID §6.1.10 PC_to_RDR_T0APDU stores bClassGetResponse / bClassEnvelope per bmChanges', (t) => {
  const reader = new TestReader();
  const reply = reader.transact({ type: 'PC_to_RDR_T0APDU', bSlot: 0, bSeq: 1, bmChanges: 1, bClassGetResponse: 0x80, bClassEnvelope: 0x90 });
  t.is(reply.type, 'RDR_to_PC_SlotStatus');
  t.is(status(reply).command, 0);
  reader.transact({ type: 'PC_to_RDR_T0APDU', bSlot: 0, bSeq: 2, bmChanges: 2, bClassGetResponse: 0x00, bClassEnvelope: 0xa0 });
  t.deepEqual(reader.slots[0].log.classBytes, [[0x80, 0xff], [0x80, 0xa0]]);
  t.is(status(reader.transact({ type: 'PC_to_RDR_T0APDU', bSlot: 0, bSeq: 3, bmChanges: 4, bClassGetResponse: 0, bClassEnvelope: 0 })).bError, 7);
});

test('CCID §6.1.11 / §6.1.12 Secure and Mechanical without hardware: command not supported (bError 0)', (t) => {
  const reader = new TestReader();
  reader.powerOn();
  const secure = reader.transact({ type: 'PC_to_RDR_Secure', bSlot: 0, bSeq: 2, bBWI: 0, wLevelParameter: 0, abData: bytes('00') });
  t.is(secure.type, 'RDR_to_PC_DataBlock');
  t.deepEqual(status(secure), { icc: 0, command: 1, bError: 0 });
  const mechanical = reader.transact({ type: 'PC_to_RDR_Mechanical', bSlot: 0, bSeq: 3, bFunction: 2 });
  t.is(mechanical.type, 'RDR_to_PC_SlotStatus');
  t.deepEqual(status(mechanical), { icc: 0, command: 1, bError: 0 });
});

test('CCID §6.1.14 SetDataRateAndClockFrequency accepts the pair in force and reports it; another fails 10 / 14', (t) => {
  const reader = new TestReader();
  reader.powerOn();
  const ok = reader.transact({ type: 'PC_to_RDR_SetDataRateAndClockFrequency', bSlot: 0, bSeq: 2, dwClockFrequency: 4000, dwDataRate: 10752 });
  if (ok.type !== 'RDR_to_PC_DataRateAndClockFrequency') return t.fail(ok.type);
  t.is(ok.bStatus, 0);
  t.is(ok.dwClockFrequency, 4000);
  t.is(ok.dwDataRate, 10752);
  const clock = reader.transact({ type: 'PC_to_RDR_SetDataRateAndClockFrequency', bSlot: 0, bSeq: 3, dwClockFrequency: 5000, dwDataRate: 10752 });
  t.is(status(clock).bError, 10);
  const rate = reader.transact({ type: 'PC_to_RDR_SetDataRateAndClockFrequency', bSlot: 0, bSeq: 4, dwClockFrequency: 4000, dwDataRate: 9600 });
  t.is(status(rate).bError, 14);
  t.true(rate.type === 'RDR_to_PC_DataRateAndClockFrequency' && rate.dwDataRate === 10752);
});

test('CCID §6.2.6 a nonexistent slot fails with bError 5, echoing bSlot and bSeq', (t) => {
  const reader = new TestReader();
  const reply = reader.transact({ type: 'PC_to_RDR_GetParameters', bSlot: 3, bSeq: 0x44 });
  t.is(reply.type, 'RDR_to_PC_Parameters');
  t.is(reply.bSlot, 3);
  t.is(reply.bSeq, 0x44);
  t.deepEqual(status(reply), { icc: 2, command: 1, bError: 5 });
});

test('CCID §6.2.6 an unknown bMessageType is answered SlotStatus failed bError 0 with bSlot and bSeq', (t) => {
  const reader = new TestReader();
  reader.sendRaw(bytes('50 00000000 00 99 000000'.replace(/ /g, '')));
  const reply = reader.read();
  if (reply?.type !== 'RDR_to_PC_SlotStatus') return t.fail(reply?.type);
  t.is(reply.bSeq, 0x99);
  t.is(reply.bStatus & 0xc0, FAILED);
  t.is(reply.bError, 0);
});

test('CCID §6.1 a second command to a busy slot gets CMD_SLOT_BUSY without disturbing the first', (t) => {
  const reader = new TestReader({ slots: [{ respond: () => ({ response: bytes('9000'), delayNs: 50e6 }) }] });
  reader.powerOn();
  reader.send({ type: 'PC_to_RDR_XfrBlock', bSlot: 0, bSeq: 2, bBWI: 0, wLevelParameter: 0, abData: bytes('0084000008') });
  reader.scheduler.advance(1e6);
  reader.send({ type: 'PC_to_RDR_GetSlotStatus', bSlot: 0, bSeq: 3 });
  const busy = reader.read();
  if (busy?.type !== 'RDR_to_PC_SlotStatus') return t.fail(busy?.type);
  t.is(busy.bSeq, 3);
  t.is(busy.bError, BError.CMD_SLOT_BUSY);
  t.is(busy.bStatus >> 6, 1);
  const first = reader.read();
  t.true(first?.type === 'RDR_to_PC_DataBlock' && first.bSeq === 2 && first.bStatus === 0);
});

test('CCID §5.1 bMaxCCIDBusySlots: two slots work in parallel, each answering its own command', (t) => {
  const reader = new TestReader({
    slots: [
      { respond: () => ({ response: bytes('6101'), delayNs: 40e6 }) },
      { respond: () => ({ response: bytes('6202'), delayNs: 10e6 }) },
    ],
  });
  reader.powerOn(0, 1);
  reader.powerOn(1, 1);
  reader.send({ type: 'PC_to_RDR_XfrBlock', bSlot: 0, bSeq: 5, bBWI: 0, wLevelParameter: 0, abData: bytes('00') });
  reader.send({ type: 'PC_to_RDR_XfrBlock', bSlot: 1, bSeq: 6, bBWI: 0, wLevelParameter: 0, abData: bytes('00') });
  const a = reader.read();
  const b = reader.read();
  t.true(a?.type === 'RDR_to_PC_DataBlock' && a.bSlot === 1 && a.bSeq === 6 && a.abData[0] === 0x62);
  t.true(b?.type === 'RDR_to_PC_DataBlock' && b.bSlot === 0 && b.bSeq === 5 && b.abData[0] === 0x61);
});

test('CCID §6.1.4 removal mid-command: answered at once with ICC_MUTE and ICC absent', (t) => {
  const reader = new TestReader({ slots: [{ respond: () => ({ response: bytes('9000'), delayNs: 10e9 }) }] });
  reader.powerOn();
  reader.send({ type: 'PC_to_RDR_XfrBlock', bSlot: 0, bSeq: 2, bBWI: 0, wLevelParameter: 0, abData: bytes('00') });
  reader.scheduler.advance(5e6);
  const removedAt = reader.scheduler.now();
  reader.slots[0].remove();
  const reply = reader.read();
  t.true(reader.scheduler.now() - removedAt < 1e6);
  if (reply === null || reply.type === 'Invalid') return t.fail('no reply');
  t.is(reply.bSeq, 2);
  t.deepEqual(status(reply), { icc: 2, command: 1, bError: BError.ICC_MUTE });
  // Nothing else follows for that command, and the reader still answers.
  const next = reader.transact({ type: 'PC_to_RDR_GetSlotStatus', bSlot: 0, bSeq: 3 });
  t.is(next.bSeq, 3);
});

test('CCID §6.3.1 NotifySlotChange: the bitmap at configuration, then on removal and insertion', (t) => {
  const reader = new TestReader({ slots: [{}, { present: false }] });
  t.deepEqual(reader.readInterrupt(), Uint8Array.of(0x50, 0b0000_0011));
  reader.slots[0].remove();
  t.deepEqual(reader.readInterrupt(), Uint8Array.of(0x50, 0b0000_0010));
  reader.slots[1].insert();
  t.deepEqual(reader.readInterrupt(), Uint8Array.of(0x50, 0b0000_1100));
  t.is(reader.readInterrupt(), null);
});

test('CCID §6.3.2 HardwareError on overcurrent, with the bSeq of the command in progress', (t) => {
  const reader = new TestReader({ slots: [{ respond: () => ({ response: bytes('9000'), delayNs: 1e9 }) }] });
  reader.readInterrupt();
  reader.powerOn();
  reader.send({ type: 'PC_to_RDR_XfrBlock', bSlot: 0, bSeq: 0x21, bBWI: 0, wLevelParameter: 0, abData: bytes('00') });
  reader.scheduler.advance(1e6);
  reader.slots[0].fault();
  t.deepEqual(reader.readInterrupt(), Uint8Array.of(0x51, 0, 0x21, 0x01));
  const reply = reader.read();
  t.deepEqual(reply && status(reply), { icc: 1, command: 1, bError: BError.HW_ERROR });
});

test('CCID §6.2 a reply of 64 bytes is followed by a zero-length packet (URB larger than the message completes)', (t) => {
  const reader = new TestReader();
  reader.powerOn();
  // 52-byte response + 2-byte SW + 10-byte header = 64 bytes.
  const reply = reader.transact({ type: 'PC_to_RDR_XfrBlock', bSlot: 0, bSeq: 2, bBWI: 0, wLevelParameter: 0, abData: new Uint8Array(52) });
  t.true(reply.type === 'RDR_to_PC_DataBlock' && reply.abData.length === 54);
  // With a URB of exactly 64 bytes the ZLP is left over and completes the next URB, as on hardware.
  reader.send({ type: 'PC_to_RDR_XfrBlock', bSlot: 0, bSeq: 3, bBWI: 0, wLevelParameter: 0, abData: new Uint8Array(52) });
  t.is(reader.readRaw(5e9, 64)?.data.length, 64);
  t.is(reader.readRaw(5e9, 64)?.data.length, 0);
});

test('CCID §6.2.1 a pending response chain is abandoned by a new APDU; 10h then fails with bError 8', (t) => {
  const reader = new TestReader({ slots: [{ respond: (c) => ({ response: c[1] === 0xca ? new Uint8Array(400) : bytes('9000') }) }] });
  reader.powerOn();
  const first = reader.transact({ type: 'PC_to_RDR_XfrBlock', bSlot: 0, bSeq: 2, bBWI: 0, wLevelParameter: 0, abData: bytes('00CA000000') });
  t.true(first.type === 'RDR_to_PC_DataBlock' && first.bChainParameter === Chain.begins);
  const slotStatus = reader.transact({ type: 'PC_to_RDR_GetSlotStatus', bSlot: 0, bSeq: 3 });
  t.is(slotStatus.bStatus, 0, 'GetSlotStatus leaves the chain alone');
  const fresh = reader.transact({ type: 'PC_to_RDR_XfrBlock', bSlot: 0, bSeq: 4, bBWI: 0, wLevelParameter: 0, abData: bytes('00B0000002') });
  t.true(fresh.type === 'RDR_to_PC_DataBlock' && fresh.bChainParameter === Chain.whole && fresh.abData.length === 2);
  const more = reader.transact({ type: 'PC_to_RDR_XfrBlock', bSlot: 0, bSeq: 5, bBWI: 0, wLevelParameter: Chain.more, abData: new Uint8Array(0) });
  t.deepEqual(status(more), { icc: 0, command: 1, bError: 8 });
});

test('CCID trace: with the CCID category on, each bulk OUT and bulk IN message is logged with its bytes', (t) => {
  const events: [number, string, string][] = [];
  const trace = { mask: 0x04, log: (c: number, text: string, b?: Uint8Array) => events.push([c, text, b ? Array.from(b).join(',') : '']) };
  const reader = new TestReader({ trace });
  reader.transact({ type: 'PC_to_RDR_GetSlotStatus', bSlot: 0, bSeq: 7 });
  t.deepEqual(events.filter(([, text]) => text.startsWith('bulk')), [
    [0x04, 'bulk OUT', '101,0,0,0,0,0,7,0,0,0'],
    [0x04, 'bulk IN', '129,0,0,0,0,0,7,1,0,0'],
  ]);
});
