/**
 * The ATR decoder and framing run unchanged in XS (the engine on the device) and give there exactly
 * what they give under Node, on every literal ATR of pcsc-tools' list; framing allocates nothing.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { decodeAtr } from '../../firmware/iso7816/atr/decode.js';
import { atrToJson } from '../cli/atr-json.js';
import { SMARTCARD_LIST, requirePackages } from '../setup/debian-packages.js';
import { bundleForXs } from '../xs/bundle.js';
import { startXsWorker } from '../xs/worker.js';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The device's decoder and framing, plus the host's JSON view to compare results as text. */
const ATR_ENTRY = "export * from './firmware/iso7816/atr/decode.ts';\nexport { atrToJson } from './host-tests/cli/atr-json.ts';";
const LITERAL = /^[0-9A-Fa-f]{2}( [0-9A-Fa-f]{2})*\s*$/;

const HANDLERS = `
const fromHex = (hex) => Uint8Array.from(hex.match(/../g) ?? [], (h) => parseInt(h, 16));
globalThis.__xsHandlers.decode = (list) => list.map((hex) => JSON.stringify(__atr.atrToJson(__atr.decodeAtr(fromHex(hex)))));
let frame;
globalThis.__xsHandlers.prepare = (hex) => { frame = fromHex(hex); return frame.length; };
globalThis.__xsHandlers.frame = (rounds) => {
  let sum = 0;
  for (let r = 0; r < rounds; r++) for (let n = 0; n <= frame.length; n++) sum += __atr.atrRemaining(frame, n);
  return sum;
};
globalThis.__xsHandlers.idle = (rounds) => {
  let sum = 0;
  for (let r = 0; r < rounds; r++) for (let n = 0; n <= frame.length; n++) sum += n;
  return sum;
};
`;

test('ISO 7816-3 §8.2 in XS: decodeAtr gives the Node result on every pcsc-tools literal ATR; atrRemaining allocates nothing', async (t) => {
  requirePackages('pcsc-tools');
  const atrs = readFileSync(SMARTCARD_LIST, 'latin1').split('\n')
    .filter((l) => LITERAL.test(l)).map((l) => l.replace(/\s/g, ''));
  const script = await bundleForXs({ entry: { contents: ATR_ENTRY, resolveDir: REPO_ROOT }, globalName: '__atr' });
  const worker = await startXsWorker({ name: 'xs-atr' });
  try {
    t.is(await worker.load('atr', script + HANDLERS), null);
    const inXs = (await worker.request('decode', atrs)).reply as string[];
    const inNode = atrs.map((hex) => JSON.stringify(atrToJson(decodeAtr(Uint8Array.from(hex.match(/../g)!, (h) => parseInt(h, 16))))));
    const differing = atrs.filter((_, i) => inXs[i] !== inNode[i]);
    t.deepEqual(differing, []);
    t.log(`${atrs.length} ATRs decoded identically in XS`);

    await worker.request('prepare', '3BDB960081B1FE451F0380F9A0000003080000100018');
    // Heap slots in use after each request: a request's own overhead is constant, so framing the whole ATR
    // (23 calls) must grow the heap exactly as much as the same loop without the calls. A collection
    // in between spoils one measurement, hence a few attempts.
    const heap = async (op: string) => (await worker.request(op, 1)).meter.currentHeapCount;
    let same = false;
    for (let attempt = 0; attempt < 3 && !same; attempt++) {
      const h0 = await heap('idle');
      const h1 = await heap('frame');
      const h2 = await heap('idle');
      same = h1 - h0 === h2 - h1;
    }
    t.true(same, 'atrRemaining allocated in XS');
  } finally {
    await worker.close();
  }
});
