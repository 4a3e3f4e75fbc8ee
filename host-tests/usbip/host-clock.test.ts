/**
 * The host's clock against the reader's (CCID Rev 1.1 §6.2.6 time extensions): the reader's own
 * extensions come in virtual time (firmware/ccid/time-extension.ts); when virtual time runs slower
 * than the host's (a slow --time-scale, a starved CPU), `serve` also sends them in wall-clock time,
 * so libccid's read timeouts (3 s at T=0, ~1 s + BWT at T=1) never expire while a card command runs.
 */
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { endpointsOf } from '../../hal/sim/usbip/endpoints.js';
import { ensureCliBuilt, REPO_ROOT } from '../cli/build.js';
import { startManaged } from '../interop/processes.js';
import { TestReader, bytes } from '../ccid/harness.js';
import { decodeRdrToPc } from '../host-driver/typed-messages.js';
import { echoApdu } from '../sim/echo-apdu.js';
import { UsbipClient } from './socket-client.js';
import { findCard } from '../../hal/sim/cards/registry.js';
import { deviceInfoOf } from '../../hal/sim/usbip/device-info.js';
import { serveReader } from '../cli/serve-command.js';
import { MemoryClient } from './memory-client.js';

test('CCID §6.2.6 extendPending: a time extension at once for an XfrBlock in progress (same bSeq, bError 1), none for IccPowerOn nor when idle', (t) => {
  const reader = new TestReader({ slots: [{ respond: () => ({ response: bytes('9000'), delayNs: 3e9 }), powerOnDelayNs: 2e9 }] });
  reader.ccid.extendPending();
  t.is(reader.readRaw(1e6), null, 'idle: nothing');
  reader.send({ type: 'PC_to_RDR_IccPowerOn', bSlot: 0, bSeq: 1, bPowerSelect: 0 });
  reader.scheduler.advance(1e6);
  reader.ccid.extendPending();
  t.is(reader.readRaw(1e6), null, 'IccPowerOn takes none (libccid ignores them there)');
  t.like(reader.read(), { bSeq: 1 });
  reader.send({ type: 'PC_to_RDR_XfrBlock', bSlot: 0, bSeq: 2, bBWI: 0, wLevelParameter: 0, abData: bytes('00B0000000') });
  reader.scheduler.advance(10e6);
  reader.ccid.extendPending();
  const extension = reader.read(1e6);
  t.like(extension, { type: 'RDR_to_PC_DataBlock', bSeq: 2, bStatus: 0x80, bError: 1 });
  // Then the reader's own (every half BWT of virtual time), and the answer.
  let answer = reader.read(5e9);
  while (answer !== null && answer.type === 'RDR_to_PC_DataBlock' && answer.bStatus === 0x80) answer = reader.read(5e9);
  t.like(answer, { type: 'RDR_to_PC_DataBlock', bSeq: 2, bStatus: 0 });
  reader.ccid.extendPending();
  t.is(reader.readRaw(1e6), null, 'answered: nothing');
});

test('serve at a slow time scale: a host waiting on a long card command hears a time extension at least every second of wall-clock time', async (t) => {
  t.timeout(180_000, 'a real server in slow motion');
  const dir = mkdtempSync(join(tmpdir(), 'ccid-host-clock-'));
  const usbip = join(dir, 'usbip.sock');
  // At 0.02 a 250-byte ECHO on the t1 card (one XfrBlock) takes about 0.15 s of virtual time, 7 s
  // of wall time; the reader's own extensions (every 500 ms of virtual time) would come every 25 s.
  const serve = startManaged(process.execPath, [ensureCliBuilt(), 'serve', '--usbip', `unix:${usbip}`, '--control', `unix:${join(dir, 'control.sock')}`,
    '--card', 't1', '--time-scale', '0.02'], { cwd: REPO_ROOT });
  try {
    await serve.waitFor(/control: listening/, 30_000);
    const socket = createConnection(usbip);
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const client = new UsbipClient(socket);
    await client.import();
    const endpoints = endpointsOf(await client.submit(0, 1, 255, undefined, { bmRequestType: 0x80, bRequest: 6, wValue: 0x0200, wIndex: 0, wLength: 255 }));
    await client.submit(0, 0, 0, undefined, { bmRequestType: 0, bRequest: 9, wValue: 1, wIndex: 0, wLength: 0 });
    const out = endpoints.addressOf['bulk-out'] & 0x0f;
    const inEp = endpoints.addressOf['bulk-in'] & 0x0f;
    // IccPowerOn, until the presence switch has settled.
    let atr: Buffer = Buffer.alloc(0);
    for (let i = 0; i < 100 && (atr.length < 8 || atr[7] & 0x40); i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 200));
      await client.submit(out, 0, 10, Uint8Array.of(0x62, 0, 0, 0, 0, 0, i, 0, 0, 0));
      atr = await client.submit(inEp, 1, 65_546);
    }
    t.is(atr[7] & 0x40, 0, 'powered on');
    const apdu = echoApdu(250);
    const command = new Uint8Array(10 + apdu.length);
    command.set([0x6f, apdu.length & 0xff, apdu.length >> 8, 0, 0, 0, 0x77, 0, 0, 0]);
    command.set(apdu, 10);
    await client.submit(out, 0, command.length, command);
    const replies: { ms: number; status: number; bSeq: number; bError: number }[] = [];
    const started = performance.now();
    for (;;) {
      const reply = decodeRdrToPc(await client.submit(inEp, 1, 65_546));
      if (reply.type === 'Invalid') throw new Error(reply.reason);
      replies.push({ ms: performance.now() - started, status: reply.bStatus >> 6, bSeq: reply.bSeq, bError: reply.bError });
      if (reply.bStatus >> 6 !== 2) break;
    }
    socket.destroy();
    const final = replies[replies.length - 1];
    t.like(final, { status: 0, bSeq: 0x77 }, `the answer: ${JSON.stringify(replies)}`);
    t.true(replies.length >= 4, `${replies.length - 1} time extensions over ${Math.round(final.ms)} ms`);
    const gaps = replies.map((r, i) => r.ms - (i === 0 ? 0 : replies[i - 1].ms));
    // Every 500 ms of wall-clock time; a loaded machine may stretch one, never to libccid's 3 s.
    t.true(Math.max(...gaps) < 2000, `longest silence ${Math.round(Math.max(...gaps))} ms`);
    t.true(replies.slice(0, -1).every((r) => r.bSeq === 0x77));
  } finally {
    await serve.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a host that timed out on a card command (its bulk IN URB unlinked before the answer) gets the next command answered: the late answer comes first with the old bSeq, as libccid expects (it skips a frame whose bSeq is behind)', (t) => {
  for (const card of ['t0-fs', 't1']) {
    const reader = serveReader({ card: findCard(card)!.create(1) });
    const scheduler = reader.board.scheduler;
    const endpoints = endpointsOf(reader.usb.descriptors.configuration);
    const client = new MemoryClient({ info: deviceInfoOf(reader.usb.descriptors), host: reader.usb.host, endpoints, importer: null },
      { scheduler, usb: reader.usb });
    t.is(client.import(), 0);
    client.control({ bmRequestType: 0, bRequest: 9, wValue: 1, wIndex: 0, wLength: 0 });
    client.replies();
    const out = endpoints.addressOf['bulk-out'] & 0x0f;
    const inEp = endpoints.addressOf['bulk-in'] & 0x0f;
    const answerOf = (urb: number): Uint8Array | null => {
      for (const reply of client.replies()) if (reply.kind === 'ret-submit' && reply.seqnum === urb) return reply.data;
      return null;
    };
    scheduler.runUntil(scheduler.now() + 50e6); // the presence switch settles
    client.submit(out, 0, 10, Uint8Array.of(0x62, 0, 0, 0, 0, 0, 1, 0, 0, 0));
    t.is(answerOf(client.submit(inEp, 1, 65_546))?.[0], 0x80, `${card}: powered on`);
    // SELECT MF (bSeq 2); the host gives up on it after 1 ms of virtual time, before the card answers.
    const select = (bSeq: number): Uint8Array => Uint8Array.of(0x6f, 7, 0, 0, 0, 0, bSeq, 0, 0, 0, 0x00, 0xa4, 0x00, 0x0c, 0x02, 0x3f, 0x00);
    client.submit(out, 0, 17, select(2));
    const abandoned = client.submit(inEp, 1, 65_546);
    scheduler.runUntil(scheduler.now() + 1e6);
    client.unlink(abandoned);
    const unlinked = client.replies();
    t.true(unlinked.some((r) => r.kind === 'ret-unlink' && r.status !== 0), `${card}: the URB was still pending when unlinked`);
    t.false(unlinked.some((r) => r.kind === 'ret-submit' && r.seqnum === abandoned));
    // The next command (bSeq 3): read until its answer, skipping frames whose bSeq is behind (libccid's ReadUSB).
    client.submit(out, 0, 17, select(3));
    const seen: number[] = [];
    let answer: Uint8Array | null = null;
    for (let i = 0; i < 4 && answer === null; i++) {
      const data = answerOf(client.submit(inEp, 1, 65_546));
      if (data === null) break;
      seen.push(data[6]);
      if (data[6] === 3) answer = data;
    }
    t.deepEqual(seen, [2, 3], `${card}: the late answer, then the new one`);
    t.deepEqual([...answer!.subarray(answer!.length - 2)], [0x90, 0x00], `${card}: SELECT MF answered`);
    reader.close();
  }
});
