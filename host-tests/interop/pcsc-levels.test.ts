/**
 * The CCID exchange levels as libccid drives them (`serve --level`): at the TPDU level libccid runs
 * T=1 itself (S(IFS), I-blocks, chaining with R-blocks); at the short APDU level each XfrBlock holds
 * one whole short APDU and libccid refuses an extended one.
 */
import test from 'ava';
import { interopTimeout, startPcsc } from './pcscd.js';
import { pyscard } from './pyscard.js';
import { tsharkFields } from './tshark.js';

const APDUS = `
print(tx('00A4000C023F00'))
print(tx('00A4000C022F00'))
print(tx('00B0000008'))
print(tx('00A4000C021000'))
print(tx('00A4000C021002'))
r = tx('00B00000FF')
print(len(r) // 2, r[-4:])
`;
const ANSWERS = ['9000', '9000', '00010203040506079000', '9000', '9000', '257 9000'];

async function xfrBlocks(pcap: string): Promise<{ command: string; reply: string }[]> {
  const rows = await tsharkFields(pcap, 'usbccid.bMessageType == 0x6f || usbccid.bMessageType == 0x80', ['usbccid.bMessageType', 'data.data', 'usbccid.wLevelParameter']);
  const pairs: { command: string; reply: string }[] = [];
  // A command's answer is the last DataBlock before the next command: time extensions (CCID §6.2.6,
  // bmCommandStatus 2, no data) come first when the exchange is slow, e.g. on a loaded machine.
  for (let i = 0; i + 1 < rows.length; i++) {
    if (rows[i][0] !== '0x6f' || rows[i + 1][0] !== '0x80') continue;
    let j = i + 1;
    while (j + 1 < rows.length && rows[j + 1][0] === '0x80') j++;
    pairs.push({ command: rows[i][1] ?? '', reply: rows[j][1] ?? '' });
  }
  return pairs;
}

test.serial('TPDU level: libccid negotiates (PPS for TA1) and runs T=1 itself (S(IFS), I-blocks, chained response acknowledged by R-blocks)', async (t) => {
  interopTimeout(t);
  const env = await startPcsc({ card: 't1', pcap: true, serveArgs: ['--level', 'tpdu'] });
  try {
    t.deepEqual((await pyscard(env, APDUS, 'T1')).trim().split('\n'), ANSWERS);
    const blocks = await xfrBlocks(env.pcap);
    // No dwFeatures 0x40/0x80 at this level: ISO 7816-3 §9 PPS from libccid for TA1 = 13 (Di 4), echoed by the card.
    t.deepEqual(blocks[0], { command: 'ff1113fd', reply: 'ff1113fd' });
    // §11.6.2.3: the first block is S(IFS request) with IFSD 254, answered by S(IFS response).
    t.deepEqual(blocks[1], { command: '00c101fe3e', reply: '00e101fe1e' });
    // §11.3.2: I-blocks carry the APDU with alternating N(S); the card's answers too.
    t.is(blocks[2].command, '00000700a4000c023f0092');
    t.is(blocks[2].reply, '000002900092');
    t.is(blocks[3].command.slice(0, 4), '0040');
    // The 255-byte READ BINARY comes back chained: an I-block with M set (PCB 0x60) then R(N(R)) from libccid.
    const chained = blocks.findIndex((b) => b.reply.startsWith('0060'));
    t.true(chained > 0, JSON.stringify(blocks));
    t.regex(blocks[chained + 1].command, /^00(80|90)00/);
  } finally {
    await env.close();
  }
});

test.serial('short APDU level: one whole APDU per XfrBlock; an extended APDU is refused by libccid', async (t) => {
  interopTimeout(t);
  const env = await startPcsc({ card: 't1', pcap: true, serveArgs: ['--level', 'short'] });
  try {
    const out = await pyscard(env, `${APDUS}
try:
    print(tx('00D60000001000' + '00' * 4096))
except Exception as e:
    print('refused')
print(tx('00A4000C023F00'))
`, 'T1');
    t.deepEqual(out.trim().split('\n'), [...ANSWERS, 'refused', '9000']);
    const blocks = await xfrBlocks(env.pcap);
    t.is(blocks[0].command, '00a4000c023f00');
    t.is(blocks[0].reply, '9000');
    const levels = await tsharkFields(env.pcap, 'usbccid.bMessageType == 0x6f', ['usbccid.wLevelParameter', 'usbccid.dwLength']);
    for (const [level, length] of levels) {
      t.is(Number(level), 0);
      t.true(Number(length) <= 261);
    }
  } finally {
    await env.close();
  }
});
