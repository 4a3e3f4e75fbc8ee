/**
 * The simulated reader on Debian's real PC/SC stack (pcscd + libccid through the libusb stand-in):
 * the reader is listed, ATRs and T=0 APDUs cross it, card events reach pcsc_scan, and the USB
 * capture of it all decodes in tshark. One pcscd for the whole file (serial tests).
 */
import test from 'ava';
import { interopTimeout, READER_NAME, startPcsc, type PcscEnv } from './pcscd.js';
import { pyscard } from './pyscard.js';
import { tsharkFields, tsharkProblems } from './tshark.js';

let env: PcscEnv;

test.before(async (t) => {
  interopTimeout(t);
  env = await startPcsc({ card: 't0-pps-fast', pcap: true });
});

test.after.always(async (t) => {
  interopTimeout(t);
  await env?.close();
});

test.serial('the reader is listed by pcsc_scan and opensc-tool', async (t) => {
  interopTimeout(t);
  const scan = await env.run('pcsc_scan', ['-r']);
  t.regex(scan.stdout, new RegExp(READER_NAME), scan.stdout + scan.stderr);
  const opensc = await env.run('opensc-tool', ['-l']);
  t.regex(opensc.stdout, new RegExp(READER_NAME), opensc.stdout + opensc.stderr);
});

test.serial('the ATR is reported by pyscard and opensc-tool', async (t) => {
  interopTimeout(t);
  const out = await pyscard(env, 'print(atr)');
  t.is(out.trim(), '3B959640F00F100A096A');
  const opensc = await env.run('opensc-tool', ['-r', '0', '-a']);
  t.regex(opensc.stdout, /3b:95:96:40:f0:0f:10:0a:09:6a/i, opensc.stdout + opensc.stderr);
});

test.serial('T=0 APDUs through pyscard: SELECT, READ BINARY, an unknown INS', async (t) => {
  interopTimeout(t);
  const out = await pyscard(env, `
print(tx('00A4000C023F00'))
print(tx('00A4000C022F00'))
print(tx('00B0000004'))
print(tx('00FF000000'))
`);
  t.deepEqual(out.trim().split('\n'), ['9000', '9000', '000102039000', '6D00']);
});

test.serial('removal and insertion through the control socket are seen by pcsc_scan', async (t) => {
  interopTimeout(t);
  const scan = env.start('pcsc_scan', ['-n']);
  await scan.waitFor(/Card inserted/, 20_000);
  t.regex(await env.control('remove'), /^ok/);
  await scan.waitFor(/Card removed/, 20_000);
  t.regex(await env.control('status'), /card=none/);
  t.regex(await env.control('insert t0-fs'), /^ok inserted t0-fs/);
  await scan.waitFor(/Card inserted[\s\S]*Card inserted/, 20_000);
  await scan.stop();
  t.regex(await env.control('insert t0-fs'), /^error: card 't0-fs' is already inserted/);
  const out = await pyscard(env, 'print(atr)');
  t.is(out.trim(), '3B021450');
});

test.serial('tshark decodes the capture of this session: no malformed frame, lengths and sequence numbers consistent', async (t) => {
  interopTimeout(t);
  const decode = ['-d', 'usbccid.subdissector,iso7816'];
  t.deepEqual(await tsharkProblems(env.pcap, decode), []);
  const rows = await tsharkFields(env.pcap, 'usbccid', ['frame.number', 'usbccid.bMessageType', 'usbccid.dwLength', 'usbccid.bSeq', 'usb.data_len', 'usb.endpoint_address.direction'], decode);
  t.true(rows.length > 20);
  // tshark 4.0 does not check dwLength: every message is exactly its header plus dwLength.
  for (const [frame, , dwLength, , dataLen] of rows) t.is(Number(dwLength) + 10, Number(dataLen), `frame ${frame}`);
  // Each reply (bulk IN) answers the command just before it, with the same bSeq.
  const commands = rows.filter((r) => r[5] === '0');
  const replies = rows.filter((r) => r[5] === '1' && r[1] !== '0x50');
  t.true(replies.length >= commands.length - 1);
  for (let i = 0; i < replies.length; i++) t.is(replies[i][3], commands[i][3], `reply frame ${replies[i][0]}`);
  // The ATRs and the SELECT / READ BINARY sent above, as tshark's ISO 7816 dissector reads them.
  const atrs = await tsharkFields(env.pcap, 'iso7816.atr.init_char', ['iso7816.atr.t0'], decode);
  t.true(atrs.some(([t0]) => t0 === '0x95'));
  const apdus = await tsharkFields(env.pcap, 'iso7816.apdu.ins', ['iso7816.apdu.ins', 'iso7816.apdu.p1', 'iso7816.apdu.le'], decode);
  t.true(apdus.some(([ins, , le]) => ins === '0xb0' && le === '0x04'), JSON.stringify(apdus));
  const sws = await tsharkFields(env.pcap, 'iso7816.apdu.sw1', ['iso7816.apdu.sw1', 'iso7816.apdu.sw2'], decode);
  t.true(sws.some(([sw1, sw2]) => sw1 === '0x6d' && sw2 === '0x00'));
});
