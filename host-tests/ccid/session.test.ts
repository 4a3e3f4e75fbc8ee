/**
 * The CCID class over the real ISO 7816-3 session (firmware/iso7816) on the simulated board with
 * built-in simulated cards: the seam checked from both sides.
 */
import test from 'ava';
import { BError } from '../host-driver/ccid-messages.js';
import { findCard } from '../../hal/sim/cards/registry.js';
import { createSimReader } from '../reader/reader.js';
import { UsbHostDriver, bytes } from './harness.js';

function driver(cardName: string | null): { bus: UsbHostDriver; remove: () => void } {
  const card = cardName === null ? undefined : findCard(cardName)?.create(1);
  const reader = createSimReader({ card });
  const bus = new UsbHostDriver(reader.usb.host, reader.board.scheduler, reader.ccid.description.maxMessageLength);
  // Enumeration takes longer than the presence switch's debouncing: the card is seen by then.
  reader.board.scheduler.advance(50e6);
  bus.configure();
  return { bus, remove: () => reader.board.sim.remove() };
}

function sw(data: Uint8Array): string {
  return data.length < 2 ? '' : ((data[data.length - 2] << 8) | data[data.length - 1]).toString(16).toUpperCase();
}

test('CCID §6.1.1 / §6.1.4 over the session: T=1 card, power on, SELECT MF, GET CHALLENGE', (t) => {
  const { bus } = driver('t1');
  const atr = bus.powerOn(0, 1, 10e9);
  if (atr.type !== 'RDR_to_PC_DataBlock') return t.fail(atr.type);
  t.is(atr.bStatus, 0, `bError ${atr.bError}`);
  t.is(atr.abData[0], 0x3b);
  const select = bus.transact({ type: 'PC_to_RDR_XfrBlock', bSlot: 0, bSeq: 2, bBWI: 0, wLevelParameter: 0, abData: bytes('00A4000C023F00') }, 10e9);
  if (select.type !== 'RDR_to_PC_DataBlock') return t.fail(select.type);
  t.is(select.bStatus, 0);
  t.is(sw(select.abData), '9000');
  const challenge = bus.transact({ type: 'PC_to_RDR_XfrBlock', bSlot: 0, bSeq: 3, bBWI: 0, wLevelParameter: 0, abData: bytes('0084000008') }, 10e9);
  if (challenge.type !== 'RDR_to_PC_DataBlock') return t.fail(challenge.type);
  t.is(challenge.abData.length, 10);
  t.is(sw(challenge.abData), '9000');
  const parameters = bus.transact({ type: 'PC_to_RDR_GetParameters', bSlot: 0, bSeq: 4 });
  if (parameters.type !== 'RDR_to_PC_Parameters') return t.fail(parameters.type);
  t.is(parameters.bProtocolNum, 1);
  t.is(parameters.abProtocolData.length, 7);
  t.is(parameters.abProtocolData[5], 254, 'bIFSC from the ATR');
});

test('CCID §6.1.1 over the session: a mute card fails IccPowerOn with ICC_MUTE, ICC present and inactive', (t) => {
  const { bus } = driver('mute');
  const reply = bus.powerOn(0, 1, 30e9);
  t.is(reply.type, 'RDR_to_PC_DataBlock');
  t.is(reply.bStatus, 0x41);
  t.is(reply.bError, BError.ICC_MUTE);
});

test('CCID §6.1.3 over the session: no card gives ICC absent; §6.3.1 removal gives NotifySlotChange', (t) => {
  const empty = driver(null).bus;
  const status = empty.transact({ type: 'PC_to_RDR_GetSlotStatus', bSlot: 0, bSeq: 1 });
  t.is(status.bStatus & 3, 2);
  const { bus, remove } = driver('t1');
  t.deepEqual(bus.readInterrupt(), Uint8Array.of(0x50, 0x03));
  bus.powerOn(0, 1, 10e9);
  remove();
  t.deepEqual(bus.readInterrupt(1e9), Uint8Array.of(0x50, 0x02));
  const after = bus.transact({ type: 'PC_to_RDR_GetSlotStatus', bSlot: 0, bSeq: 2 });
  t.is(after.bStatus & 3, 2);
});

test('CCID §6.2.6 over the session: a 4 KB ECHO both ways on the T=1 card never leaves the host without a message for longer than half BWT (extended APDU level)', (t) => {
  const { bus } = driver('t1');
  bus.powerOn(0, 1, 10e9);
  const data = new Uint8Array(4096).map((_, i) => (i * 13 + 5) & 0xff);
  const apdu = new Uint8Array(7 + 4096 + 2);
  apdu.set(bytes('80EE0000001000'));
  apdu.set(data, 7);
  apdu.set(bytes('1000'), 7 + 4096);
  let bSeq = 2;
  let offset = 0;
  let reply = null as ReturnType<UsbHostDriver['read']>;
  for (; offset < apdu.length; offset += 261, bSeq++) {
    const piece = apdu.subarray(offset, offset + 261);
    const last = offset + 261 >= apdu.length;
    bus.send({ type: 'PC_to_RDR_XfrBlock', bSlot: 0, bSeq, bBWI: 0, wLevelParameter: offset === 0 ? 0x01 : last ? 0x02 : 0x03, abData: piece });
    if (!last) t.is(bus.read()?.type, 'RDR_to_PC_DataBlock');
  }
  // The card works on the whole APDU now: only time extensions until the first piece of the answer.
  let previous = bus.scheduler.now();
  const started = previous;
  let extensions = 0;
  let longest = 0;
  for (;;) {
    reply = bus.read(10e9);
    if (reply === null || reply.type !== 'RDR_to_PC_DataBlock') return t.fail('no answer');
    longest = Math.max(longest, bus.scheduler.now() - previous);
    previous = bus.scheduler.now();
    if (reply.bStatus >> 6 !== 2) break;
    t.is(reply.bError, 1);
    t.is(reply.bSeq, bSeq - 1);
    extensions++;
  }
  const seconds = (bus.scheduler.now() - started) / 1e9;
  t.log(`card exchange ${seconds.toFixed(3)} s, ${extensions} time extensions, longest silence ${(longest / 1e6).toFixed(1)} ms`);
  t.true(seconds > 1.5, `the exchange took ${seconds} s, more than libccid's read timeout for this card`);
  t.true(extensions >= 10, `${extensions} time extensions`);
  // t1 card: BWI 1 (TB3 = 15): BWT = 11 etu + 2 × 960 × 372 / f; half of it at most between two messages.
  t.true(longest <= 0.5 * (2 * 960 * 372 / 4e6) * 1e9 + 1e6, `longest silence ${longest / 1e6} ms`);
  const collected: number[] = [];
  for (;;) {
    if (reply === null || reply.type !== 'RDR_to_PC_DataBlock') return t.fail('chain broken');
    collected.push(...reply.abData);
    if (reply.bChainParameter === 0x00 || reply.bChainParameter === 0x02) break;
    reply = bus.transact({ type: 'PC_to_RDR_XfrBlock', bSlot: 0, bSeq: bSeq++, bBWI: 0, wLevelParameter: 0x10, abData: new Uint8Array(0) });
  }
  t.is(collected.length, 4098);
  t.deepEqual(Uint8Array.from(collected.slice(0, 4096)), data);
  t.deepEqual(collected.slice(4096), [0x90, 0x00]);
});
