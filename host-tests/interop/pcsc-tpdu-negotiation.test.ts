/**
 * The TPDU level with a T=0/T=1 card on the real PC/SC stack: dwFeatures has neither 0x40 nor 0x80,
 * so libccid 1.5.2 negotiates itself (ifdhandler.c IFDHSetProtocolParameters): the raw PPS request in
 * an XfrBlock, SetParameters, then for T=1 its own S(IFS request) and I-blocks. The `dual` card's
 * default protocol is T=0 (TD1) and its TA1 asks for Di 12, so libccid sends PPS for both protocols.
 */
import test from 'ava';
import { interopTimeout, startPcsc, type PcscEnv } from './pcscd.js';
import { pyscard } from './pyscard.js';
import { tsharkFields } from './tshark.js';

const APDUS = `
print(atr)
print(tx('00A4000C023F00'))
print(tx('00A4000C022F00'))
print(tx('00B0000008'))
print(len(tx('0084000008')) // 2)
connection.disconnect()
`;
const ANSWERS = ['3BF71800008031FE45736674652D6E66C4', '9000', '9000', '00010203040506079000', '10'];

let env: PcscEnv;

test.before(async (t) => {
  interopTimeout(t);
  env = await startPcsc({ card: 'dual', pcap: true, serveArgs: ['--level', 'tpdu'] });
});

test.after.always(async (t) => {
  interopTimeout(t);
  await env?.close();
});

/** The bulk OUT commands and bulk IN replies in order: [bMessageType, bSeq, payload]. */
async function messages(): Promise<string[][]> {
  return tsharkFields(env.pcap, 'usbccid.bMessageType == 0x6f || usbccid.bMessageType == 0x80 || usbccid.bMessageType == 0x61 || usbccid.bMessageType == 0x82',
    ['usbccid.bMessageType', 'usbccid.bSeq', 'data.data', 'usbccid.bProtocolNum']);
}

test.serial('TPDU level, T=0/T=1 card, T=1: libccid sends PPS FF 11 18 (T=1, Di 12), SetParameters T=1, S(IFS), then I-blocks', async (t) => {
  interopTimeout(t);
  t.deepEqual((await pyscard(env, APDUS, 'T1')).trim().split('\n'), ANSWERS);
  const rows = await messages();
  const first = rows.findIndex(([type]) => type === '0x6f');
  // ISO 7816-3 §9.2: PPSS FF, PPS0 11 (PPS1 follows, T=1), PPS1 18, PCK F6; the card echoes it (§9.3).
  // (time extensions, empty, may come before the echo on a loaded machine: CCID §6.2.6).
  const echo = rows.slice(first + 1).filter(([type, seq]) => type === '0x80' && seq === rows[first][1]).at(-1);
  t.deepEqual([rows[first][2], echo?.[2]], ['ff1118f6', 'ff1118f6']);
  // CCID §6.1.7 SetParameters for T=1 (bProtocolNum at offset 7 of the header; tshark 4.0 shows abProtocolData).
  const set = rows.findIndex(([type], i) => i > first && type === '0x61');
  t.true(set > first, JSON.stringify(rows));
  t.is(rows[set][2].slice(0, 2), '18', 'bmFindexDindex of the PPS');
  t.is(rows[set + 1][0], '0x82');
  // §11.6.2.3: then libccid's own S(IFS request) with IFSD 254, and I-blocks.
  const blocks = rows.slice(set + 2).filter(([type]) => type === '0x6f').map(([, , data]) => data);
  t.is(blocks[0], '00c101fe3e');
  t.is(blocks[1], '00000700a4000c023f0092');
});

test.serial('TPDU level, T=0/T=1 card, T=0: PPS FF 10 18 keeps T=0 at Di 12, SetParameters T=0, then T=0 TPDUs', async (t) => {
  interopTimeout(t);
  t.deepEqual((await pyscard(env, APDUS, 'T0')).trim().split('\n'), ANSWERS);
  const rows = await messages();
  const pps = rows.map(([type, , data]) => (type === '0x6f' ? data : '')).lastIndexOf('ff1018f7');
  t.true(pps >= 0, JSON.stringify(rows));
  // The echo is the last DataBlock of the PPS command's bSeq: on a loaded machine `serve` may send
  // time extensions (CCID §6.2.6, empty, same bSeq) before it.
  let echo = pps + 1;
  while (rows[echo + 1]?.[0] === '0x80' && rows[echo + 1][1] === rows[pps][1]) echo++;
  t.is(rows[echo][2], 'ff1018f7');
  t.is(rows[echo + 1][0], '0x61');
  t.is(rows[echo + 1][2], '1800000a00', 'bmFindexDindex 18, WI 10');
  // The SELECT goes as a T=0 command TPDU (header and data), answered with SW1 SW2 only.
  const select = rows.findIndex(([type, , data], i) => i > echo && type === '0x6f' && data === '00a4000c023f00');
  t.true(select > echo, JSON.stringify(rows));
  const answer = rows.slice(select + 1).filter(([type, seq]) => type === '0x80' && seq === rows[select][1]).at(-1);
  t.is(answer?.[2], '9000');
});
