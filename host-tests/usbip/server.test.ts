import test from 'ava';
import { createConnection } from 'node:net';
import { VirtualScheduler } from '../../hal/sim/scheduler.js';
import { OP_REQ_DEVLIST, encodeOpHeader } from '../../hal/sim/usbip/protocol.js';
import { paceInRealTime } from '../../hal/sim/usbip/realtime.js';
import { listenUsbip, parseListenAddress } from '../../hal/sim/usbip/server.js';
import { createEchoDevice } from './echo-device.js';
import { exportOf } from './memory-client.js';

test('listen addresses: unix:PATH and tcp:HOST:PORT; anything else is an error', (t) => {
  t.deepEqual(parseListenAddress('unix:/tmp/x.sock'), { kind: 'unix', path: '/tmp/x.sock' });
  t.deepEqual(parseListenAddress('tcp:0.0.0.0:3240'), { kind: 'tcp', host: '0.0.0.0', port: 3240 });
  t.deepEqual(parseListenAddress('tcp:[::1]:3240'), { kind: 'tcp', host: '::1', port: 3240 });
  for (const bad of ['unix:', 'tcp:host', 'tcp:host:99999', 'udp:x:1', '/tmp/x']) t.throws(() => parseListenAddress(bad));
});

test('TCP: OP_REQ_DEVLIST over a socket, as `usbip list -r` sends it', async (t) => {
  const device = createEchoDevice();
  const listener = await listenUsbip({ kind: 'tcp', host: '127.0.0.1', port: 0 }, { exported: exportOf(device) });
  try {
    const port = Number(listener.address.split(':').pop());
    const reply = await new Promise<Buffer>((resolve, reject) => {
      const socket = createConnection(port, '127.0.0.1', () => socket.write(encodeOpHeader(OP_REQ_DEVLIST, 0)));
      const chunks: Buffer[] = [];
      socket.on('data', (c: Buffer) => chunks.push(c));
      socket.on('end', () => resolve(Buffer.concat(chunks)));
      socket.on('error', reject);
    });
    t.is(reply.readUInt16BE(2), 0x0005);
    t.is(reply.readUInt32BE(8), 1);
    t.is(reply.subarray(12 + 256, 12 + 256 + 3).toString(), '1-1');
  } finally {
    await listener.close();
  }
});

test('pacing: virtual time follows the wall clock (scaled); events run when due, not before', async (t) => {
  const scheduler = new VirtualScheduler();
  const pacer = paceInRealTime(scheduler, 10);
  const start = Date.now();
  const ran = await new Promise<number>((resolve) => {
    scheduler.at(500_000_000, () => resolve(Date.now() - start));
    pacer.kick();
  });
  pacer.stop();
  // 500 ms of virtual time at ×10 is 50 ms of wall time.
  t.true(ran >= 45 && ran < 400, `ran after ${ran} ms`);
  t.throws(() => paceInRealTime(scheduler, 0));
});

test('pacing: an event that throws is reported and later events still run', async (t) => {
  const scheduler = new VirtualScheduler();
  const errors: unknown[] = [];
  const pacer = paceInRealTime(scheduler, 100, (error) => errors.push(error));
  await new Promise<void>((resolve) => {
    scheduler.at(1_000_000, () => { throw new Error('firmware bug'); });
    scheduler.at(2_000_000, resolve);
    pacer.kick();
  });
  pacer.stop();
  t.is(errors.length, 1);
  t.is((errors[0] as Error).message, 'firmware bug');
});
