/**
 * A long-running `serve` keeps nothing it does not need: the heap after N more exchanges through
 * USB/IP is the heap before them (the soak of 10⁶ exchanges is a bench: `npm run bench -- soak`). Deterministic: the
 * simulator runs in virtual time, in-process, and the heap is measured after a full collection.
 */
import test from 'ava';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { findCard } from '../../hal/sim/cards/registry.js';
import { deviceInfoOf } from '../../hal/sim/usbip/device-info.js';
import { endpointsOf } from '../../hal/sim/usbip/endpoints.js';
import { serveReader } from '../cli/serve-command.js';
import { MemoryClient } from './memory-client.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function heapAfterCollection(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/** One bulk OUT command and the bulk IN reply through the USB/IP connection; the reply's bytes. */
function exchange(client: MemoryClient, out: number, inEp: number, command: Uint8Array): Uint8Array {
  client.submit(out, 0, command.length, command);
  const urb = client.submit(inEp, 1, 271);
  for (const reply of client.replies()) if (reply.kind === 'ret-submit' && reply.seqnum === urb) return reply.data;
  throw new Error('no reply');
}

test('serve keeps nothing per exchange: the heap after N more SELECTs through USB/IP is the heap before them', (t) => {
  t.timeout(120_000, 'thousands of exchanges through USB/IP, twice per card');
  for (const card of ['t0-fs', 't1']) {
    const reader = serveReader({ card: findCard(card)!.create(1) });
    const endpoints = endpointsOf(reader.usb.descriptors.configuration);
    const client = new MemoryClient({ info: deviceInfoOf(reader.usb.descriptors), host: reader.usb.host, endpoints, importer: null },
      { scheduler: reader.board.scheduler, usb: reader.usb });
    t.is(client.import(), 0);
    client.control({ bmRequestType: 0, bRequest: 9, wValue: 1, wIndex: 0, wLength: 0 });
    client.replies();
    const out = endpoints.addressOf['bulk-out'] & 0x0f;
    const inEp = endpoints.addressOf['bulk-in'] & 0x0f;
    let seq = 0;
    const atr = exchange(client, out, inEp, Uint8Array.of(0x62, 0, 0, 0, 0, 0, seq++, 0, 0, 0));
    t.is(atr[0], 0x80, `${card}: DataBlock with the ATR`);
    // XfrBlock SELECT MF (00 A4 00 0C 02 3F 00): the answer ends 90 00.
    const select = Uint8Array.of(0x6f, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0x00, 0xa4, 0x00, 0x0c, 0x02, 0x3f, 0x00);
    const run = (n: number): void => {
      for (let i = 0; i < n; i++) {
        select[6] = seq++ & 0xff;
        const reply = exchange(client, out, inEp, select);
        if (reply[reply.length - 2] !== 0x90 || reply[reply.length - 1] !== 0x00) throw new Error(`${card}: SELECT failed`);
      }
    };
    const N = 1500;
    // Warm-up first (JIT feedback, V8's number-string cache fill up over the first few thousand
    // exchanges, then stay): what remains after it is what serve keeps. Two stretches of N are
    // measured: what serve keeps per exchange shows in both, while code the engine compiles late
    // (later still on a loaded machine: it compiles in the background) lands in one of them only.
    run(2 * N);
    const grew: number[] = [];
    for (let stretch = 0, before = heapAfterCollection(); stretch < 2; stretch++) {
      run(N);
      const after = heapAfterCollection();
      grew.push(after - before);
      before = after;
    }
    // One kept object per character would be ~1.5 MB per N here; a few KB is noise (code, caches).
    t.true(Math.min(...grew) < 256 * 1024, `${card}: heap grew by ${grew.join(' and ')} bytes over two stretches of ${N} more exchanges`);
    reader.close();
  }
});
