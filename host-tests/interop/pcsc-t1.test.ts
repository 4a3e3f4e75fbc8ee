/**
 * A T=1 card on the real PC/SC stack at the extended APDU level: APDUs through pyscard, and a 4 KB
 * command APDU and a 4 KB response APDU carried by CCID chaining (wLevelParameter / bChainParameter).
 */
import test from 'ava';
import { interopTimeout, startPcsc, type PcscEnv } from './pcscd.js';
import { pyscard } from './pyscard.js';
import { tsharkFields, tsharkProblems } from './tshark.js';

let env: PcscEnv;

test.before(async (t) => {
  interopTimeout(t);
  env = await startPcsc({ card: 't1', pcap: true });
});

test.after.always(async (t) => {
  interopTimeout(t);
  await env?.close();
});

test.serial('T=1 APDUs through pyscard', async (t) => {
  interopTimeout(t);
  const out = await pyscard(env, `
print(atr)
print(tx('00A4000C023F00'))
print(tx('00A4000C022F00'))
print(tx('00B0000008'))
print(tx('0084000008')[-4:])
`, 'T1');
  t.deepEqual(out.trim().split('\n'), ['3BF81300008131FE15597562696B657934D4', '9000', '9000', '00010203040506079000', '9000']);
});

test.serial('a 4 KB extended APDU round trip: UPDATE BINARY with 4096 bytes, READ BINARY of 4096 bytes', async (t) => {
  interopTimeout(t);
  const out = await pyscard(env, `
data = bytes((i * 7 + 3) & 0xFF for i in range(4096))
print(tx('00A4000C021000'))
print(tx('00A4000C021001'))
print(tx('00D60000001000' + data.hex()))
r = tx('00B00000001000')
print(len(r) // 2, r[-4:], r[:-4] == data.hex().upper())
`, 'T1');
  t.deepEqual(out.trim().split('\n'), ['9000', '9000', '9000', '4098 9000 True']);
  const decode = ['-d', 'usbccid.subdissector,iso7816'];
  t.deepEqual(await tsharkProblems(env.pcap, decode), []);
  // CCID §6.1.4: the command went in chained XfrBlocks (1 begins, 3 continues, 2 ends) …
  const levels = await tsharkFields(env.pcap, 'usbccid.bMessageType == 0x6f', ['usbccid.wLevelParameter', 'usbccid.dwLength']);
  const chained = levels.map(([level]) => Number(level)).filter((l) => l !== 0);
  t.true(chained.includes(1) && chained.includes(3) && chained.includes(2), JSON.stringify(levels));
  for (const [, length] of levels) t.true(Number(length) <= 261);
  // … and the response in chained DataBlocks (§6.2.1 bChainParameter).
  const chains = await tsharkFields(env.pcap, 'usbccid.bMessageType == 0x80', ['usbccid.bChainParameter']);
  t.true(chains.some(([c]) => c === '1' || c === '0x01'), JSON.stringify(chains));
});

test.serial('CCID §6.2.6 a true 4 KB ECHO both ways (CLA 80 INS EE) outlasts libccid\'s T=1 read timeout and succeeds through the reader\'s time extensions', async (t) => {
  interopTimeout(t);
  const out = await pyscard(env, `
import time
data = bytes((i * 13 + 5) & 0xFF for i in range(4096))
start = time.monotonic()
r = tx('80EE0000001000' + data.hex() + '1000')
print(len(r) // 2, r[-4:], r[:-4] == data.hex().upper())
print(round(time.monotonic() - start, 2))
`, 'T1');
  const [result, seconds] = out.trim().split('\n');
  t.is(result, '4098 9000 True');
  // The card exchange alone (4 KB each way at Di 4) takes longer than one libccid read timeout.
  t.true(Number(seconds) > 1, `took ${seconds} s`);
  const rows = await tsharkFields(env.pcap, 'usbccid.bMessageType == 0x6f || usbccid.bMessageType == 0x80',
    ['usbccid.bMessageType', 'usbccid.bSeq', 'usbccid.bStatus.bmCommandStatus', 'usbccid.bError', 'usbccid.wLevelParameter']);
  // The XfrBlock that ends the command chain (wLevelParameter 2) is the one the card works on.
  const last = rows.filter(([type, , , , level]) => type === '0x6f' && Number(level) === 2).at(-1);
  t.truthy(last, JSON.stringify(rows.slice(-20)));
  const replies = rows.filter(([type, seq]) => type === '0x80' && seq === last![1]);
  const extensions = replies.filter(([, , status]) => status === '2');
  t.true(extensions.length >= 2, JSON.stringify(replies));
  t.log(`ECHO of 4096 bytes: ${seconds} s through pyscard, ${extensions.length} time extensions`);
  for (const [, , , bError] of extensions) t.is(Number(bError), 1);
  // Time extensions first, then the answer (the first piece of the chained response), nothing after it.
  t.is(replies.at(-1)![2], '0');
  t.is(replies.findIndex(([, , status]) => status !== '2'), replies.length - 1);
});

test.serial('the contact-level capture holds the ATR and the APDUs as the card saw them', async (t) => {
  interopTimeout(t);
  t.deepEqual(await tsharkProblems(env.contactsPcap), []);
  const atrs = await tsharkFields(env.contactsPcap, 'iso7816.atr.init_char', ['iso7816.atr.t0', 'iso7816.atr.historical_bytes']);
  t.deepEqual(atrs[0], ['0xf8', '597562696b657934']);
  const apdus = await tsharkFields(env.contactsPcap, 'iso7816.apdu.ins || iso7816.apdu.sw1', ['iso7816.apdu.ins', 'iso7816.apdu.p1', 'iso7816.apdu.sw1', 'iso7816.apdu.sw2']);
  // SELECT 3F00 → 9000, as sent through pyscard in the first test.
  t.deepEqual(apdus[0].slice(0, 2), ['0xa4', '0x00']);
  t.deepEqual(apdus[1].slice(2, 4), ['0x90', '0x00']);
  t.true(apdus.some(([ins]) => ins === '0xd6'), 'the 4 KB UPDATE BINARY');
});
