/**
 * A long card operation carried by CCID time extensions: a scripted T=0 card answers one command with
 * NULL procedure bytes for 7 × 8000 etu (over 4 s at 5 MHz), longer than libccid's 3 s read timeout; the reader
 * turns each NULL into a time-extension DataBlock (bmCommandStatus 2, same bSeq) and the APDU succeeds.
 */
import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { interopTimeout, startPcsc, type PcscEnv } from './pcscd.js';
import { pyscard } from './pyscard.js';
import { tsharkFields } from './tshark.js';

const WAIT = { waitEtu: 8000 };
const script = {
  name: 'slow-t0',
  atr: '3B 02 14 50',
  steps: [{ expect: '*', reply: [...Array.from({ length: 7 }, () => ['60', WAIT]).flat(), '90 00'] }],
};

let env: PcscEnv;
let scratch: string;

test.before(async (t) => {
  interopTimeout(t);
  scratch = mkdtempSync(join(tmpdir(), 'ccid-script-'));
  const file = join(scratch, 'slow.json');
  writeFileSync(file, JSON.stringify(script));
  env = await startPcsc({ card: file, pcap: true });
});

test.after.always(async (t) => {
  interopTimeout(t);
  await env?.close();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

test('an APDU the card works on for over 4 s succeeds through time extensions', async (t) => {
  interopTimeout(t);
  const out = await pyscard(env, `
import time
start = time.monotonic()
print(tx('80100000'))
print(round(time.monotonic() - start, 1))
`, 'T0');
  const [sw, seconds] = out.trim().split('\n');
  t.is(sw, '9000');
  t.true(Number(seconds) >= 3.5, `took ${seconds} s`);
  const blocks = await tsharkFields(env.pcap, 'usbccid.bMessageType == 0x80 || usbccid.bMessageType == 0x6f',
    ['usbccid.bMessageType', 'usbccid.bSeq', 'usbccid.bStatus.bmCommandStatus', 'usbccid.bError']);
  const command = blocks.filter(([type]) => type === '0x6f').at(-1);
  t.truthy(command);
  const extensions = blocks.filter(([type, seq, status]) => type === '0x80' && seq === command![1] && status === '2');
  t.true(extensions.length >= 4, JSON.stringify(blocks));
  const final = blocks.filter(([type, seq]) => type === '0x80' && seq === command![1]).at(-1);
  t.is(final![2], '0');
});
