/**
 * The simulated reader on Debian's real PC/SC stack (pcscd + libccid through the libusb stand-in):
 * the reader is listed, ATRs and APDUs cross it, card events reach pcsc_scan, a 4 KB extended APDU
 * goes through, and the USB capture decodes in tshark. One pcscd for the whole file (serial tests).
 */
import test from 'ava';
import { READER_NAME, startPcsc, type PcscEnv } from './pcscd.js';
import { pyscard } from './pyscard.js';
import { tsharkFields } from './tshark.js';

let env: PcscEnv;

test.before(async () => {
  env = await startPcsc({ card: 't0-pps-fast', pcap: true });
});

test.after.always(async () => {
  await env?.close();
});

test.serial('the reader is listed by pcsc_scan and opensc-tool', async (t) => {
  const scan = await env.run('pcsc_scan', ['-r']);
  t.regex(scan.stdout, new RegExp(READER_NAME), scan.stdout + scan.stderr);
  const opensc = await env.run('opensc-tool', ['-l']);
  t.regex(opensc.stdout, new RegExp(READER_NAME), opensc.stdout + opensc.stderr);
});

test.serial('the ATR is reported by pyscard and opensc-tool', async (t) => {
  const out = await pyscard(env, 'print(atr)');
  t.is(out.trim(), '3B959640F00F100A096A');
  const opensc = await env.run('opensc-tool', ['-r', '0', '-a']);
  t.regex(opensc.stdout, /3b:95:96:40:f0:0f:10:0a:09:6a/i, opensc.stdout + opensc.stderr);
});

test.serial('T=0 APDUs through pyscard: SELECT, READ BINARY, an unknown INS', async (t) => {
  const out = await pyscard(env, `
print(tx('00A4000C023F00'))
print(tx('00A4000C022F00'))
print(tx('00B0000004'))
print(tx('00FF000000'))
`);
  t.deepEqual(out.trim().split('\n'), ['9000', '9000', '000102039000', '6D00']);
});

test.serial('a 4 KB extended APDU round trip (ECHO, 4096 bytes each way)', async (t) => {
  const out = await pyscard(env, `
data = bytes((i * 7) & 0xFF for i in range(4096))
apdu = bytes([0x80, 0xEE, 0x00, 0x00, 0x00, 0x10, 0x00]) + data + bytes([0x10, 0x00])
r = tx(apdu.hex())
print(len(r) // 2, r[-4:], r[:-4] == data.hex().upper())
`);
  t.is(out.trim(), '4098 9000 True');
});

test.serial('removal and insertion through the control socket are seen by pcsc_scan', async (t) => {
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
