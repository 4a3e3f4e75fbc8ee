/**
 * ISO 7816-3 §10.2: WT = WI × 960 × Fi / f, with Fi the card's (TA1), also while the card works at
 * Fd because no PPS changed the rate. The reader's three views of it must agree with the standard:
 * the deadline the session enforces on the card, the WWT the CCID Escape READ_ATTRIBUTES reports,
 * and the pace of the reader's own time extensions (half the waiting time in force, CCID §6.2.6).
 * The whole reader: CCID class, ISO 7816-3 session, simulated board and a scripted T=0 card, driven
 * from the host's side with the host's own codec, in virtual time. The oracle is the formula of
 * §10.2 computed here from the card's ATR.
 */
import test from 'ava';
import { parseScriptedCard } from '../../hal/sim/cards/scripted.js';
import { dword } from '../host-driver/ccid-messages.js';
import { createSimReader } from '../reader/reader.js';
import { UsbHostDriver, bytes } from './harness.js';

const CLOCK_HZ = 4e6;
const WI = 2;
/** TA1 = 0x91: FI 9 (Fi 512, f max 5 MHz), DI 1. At 4 MHz Fi 512 is slower than Fd: no PPS, the card stays at Fd/Dd. */
const FI = 512;
/** TS, T0 (TA1, TD1), TA1, TD1 (TC2, T=0), TC2 = WI. Only T=0 offered: no TCK (§8.2.5). */
const ATR = '3B 90 91 40 02';
/** §10.2 with the card's Fi, in seconds; and in etu of the rate in force (Fd = 372, Dd = 1). */
const WWT_NS = (WI * 960 * FI * 1e9) / CLOCK_HZ;
const ETU_NS = (372 * 1e9) / CLOCK_HZ;
const WWT_ETU = WWT_NS / ETU_NS;
/** One character (12 etu) either side covers where the card's delay and the deadline are counted from. */
const MARGIN_ETU = 24;

interface Run {
  /** bmCommandStatus and bError of the XfrBlock's answer, and the time extensions before it (ns after the command). */
  status: number;
  bError: number;
  response: Uint8Array;
  extensionsNs: number[];
  /** READ_ATTRIBUTES after power-on: F, the WWT field (µs), the protocol. */
  attributes: { F: number; wwtUs: number; protocol: number };
}

/** Power on a card that answers SW 90 00 to one command after `delayEtu`, read its attributes, send the command. */
function run(delayEtu: number): Run {
  const parsed = parseScriptedCard({ name: 'slow-t0', atr: ATR, steps: [{ expect: '00 70 00 00 00', reply: [{ waitEtu: Math.round(delayEtu) }, '9000'] }] });
  if ('error' in parsed) throw new Error(parsed.error);
  const reader = createSimReader({ card: parsed.card, exchangeLevel: 'short-apdu' });
  const bus = new UsbHostDriver(reader.usb.host, reader.board.scheduler, reader.ccid.description.maxMessageLength);
  bus.configure();
  bus.runUntil(() => false, 50e6); // the card's insertion, debounced
  const atr = bus.powerOn(0, 1);
  if (atr.type !== 'RDR_to_PC_DataBlock' || atr.bStatus !== 0) throw new Error(`power on failed: ${JSON.stringify(atr)}`);
  const escape = bus.transact({ type: 'PC_to_RDR_Escape', bSlot: 0, bSeq: 2, abData: Uint8Array.of(0x02) });
  if (escape.type !== 'RDR_to_PC_Escape') throw new Error(escape.type);
  const a = escape.abData;
  const attributes = { F: a[4] | (a[5] << 8), wwtUs: dword(a, 29), protocol: a[1] };
  const start = reader.board.scheduler.now();
  bus.send({ type: 'PC_to_RDR_XfrBlock', bSlot: 0, bSeq: 3, bBWI: 0, wLevelParameter: 0, abData: bytes('0070000000') });
  const extensionsNs: number[] = [];
  for (;;) {
    const reply = bus.read(10e9);
    if (reply === null || reply.type !== 'RDR_to_PC_DataBlock') throw new Error(`no DataBlock: ${JSON.stringify(reply)}`);
    if (reply.bStatus >> 6 === 2) {
      extensionsNs.push(reader.board.scheduler.now() - start);
      continue;
    }
    reader.close();
    return { status: reply.bStatus >> 6, bError: reply.bError, response: reply.abData, extensionsNs, attributes };
  }
}

test('ISO 7816-3 §10.2 card left at Fd with TA1 ≠ 11: READ_ATTRIBUTES\' WWT is WI × 960 × Fi / f with the card\'s Fi', (t) => {
  const { attributes } = run(10);
  t.is(attributes.protocol, 0);
  t.is(attributes.F, 372, 'no PPS: the card works at Fd');
  t.is(attributes.wwtUs, Math.round(WWT_NS / 1000));
});

test('ISO 7816-3 §10.2 card left at Fd with TA1 ≠ 11: the session enforces the WWT READ_ATTRIBUTES reports', (t) => {
  const reported = run(10).attributes.wwtUs * 1000 / ETU_NS;
  const within = run(reported - MARGIN_ETU);
  t.is(within.status, 0, `a card answering ${MARGIN_ETU} etu before the reported WWT is served`);
  t.deepEqual(within.response, bytes('9000'));
  const beyond = run(reported + MARGIN_ETU);
  t.is(beyond.status, 1, `a card answering ${MARGIN_ETU} etu after the reported WWT is mute`);
  t.is(beyond.bError, 0xfe, 'ICC_MUTE');
  t.true(Math.abs(reported - WWT_ETU) < 1, 'and that is the WWT of §10.2');
});

test('CCID §6.2.6 card left at Fd with TA1 ≠ 11: the reader\'s time extensions come every half WWT of §10.2', (t) => {
  // The card answers within WWT of the command's start (its 5-byte header takes 60 etu): one extension,
  // at WWT / 2 (between 50 and 500 ms, so not clamped), and none after the answer.
  const { status, extensionsNs } = run(WWT_ETU - 60 - MARGIN_ETU);
  t.is(status, 0);
  t.deepEqual(extensionsNs, [WWT_NS / 2]);
});
