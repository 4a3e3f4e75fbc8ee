import test from 'ava';
import { createConnection } from 'node:net';
import { VirtualScheduler } from '../../hal/sim/scheduler.js';
import { OP_REQ_DEVLIST, encodeOpHeader } from '../../hal/sim/usbip/protocol.js';
import { MAX_TIME_SCALE, paceInRealTime, parseTimeScale } from '../../hal/sim/usbip/realtime.js';
import { listenUsbip, parseListenAddress } from '../../hal/sim/usbip/server.js';
import { createEchoDevice } from './echo-device.js';
import { exportOf } from './memory-client.js';

test('listen addresses: unix:PATH and tcp:HOST:PORT; anything else is an error', (t) => {
  t.deepEqual(parseListenAddress('unix:/run/ccid/x.sock'), { kind: 'unix', path: '/run/ccid/x.sock' });
  t.deepEqual(parseListenAddress('tcp:0.0.0.0:3240'), { kind: 'tcp', host: '0.0.0.0', port: 3240 });
  t.deepEqual(parseListenAddress('tcp:[::1]:3240'), { kind: 'tcp', host: '::1', port: 3240 });
  for (const bad of ['unix:', 'tcp:host', 'tcp:host:99999', 'udp:x:1', '/run/ccid/x']) t.throws(() => parseListenAddress(bad));
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
  // 500 ms of virtual time at ×10 is 50 ms of wall time: never before; later only as late as the
  // (shared, possibly loaded) machine makes it.
  t.true(ran >= 45 && ran < 5000, `ran after ${ran} ms`);
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

test('pacing max: events run as fast as the CPU allows; while nothing is pending virtual time stands still', async (t) => {
  const scheduler = new VirtualScheduler();
  const pacer = paceInRealTime(scheduler, 'max');
  const start = Date.now();
  // An hour of virtual time in three events, then idle.
  const seen: number[] = [];
  await new Promise<void>((resolve) => {
    scheduler.at(1e9, () => seen.push(scheduler.now()));
    scheduler.at(60e9, () => seen.push(scheduler.now()));
    scheduler.at(3600e9, () => {
      seen.push(scheduler.now());
      resolve();
    });
    pacer.kick();
  });
  t.true(Date.now() - start < 1000);
  t.deepEqual(seen, [1e9, 60e9, 3600e9]);
  await new Promise((r) => setTimeout(r, 50));
  pacer.kick();
  t.is(scheduler.now(), 3600e9, 'idle: the clock did not move');
  pacer.stop();
});

test('pacing max: an event loop that never ends still lets the host in (the pacer yields every few ms)', async (t) => {
  const scheduler = new VirtualScheduler();
  const pacer = paceInRealTime(scheduler, 'max');
  let ticks = 0;
  const tick = (): void => {
    ticks++;
    scheduler.at(scheduler.now() + 1e6, tick);
  };
  tick();
  pacer.kick();
  // A timer of the host's side must fire while the simulation runs on.
  const at = await new Promise<number>((resolve) => setTimeout(() => resolve(ticks), 30));
  pacer.stop();
  t.true(at > 0, 'the simulation ran');
  t.pass();
});

test('time scale: max, or a number from 0.001 to 1000; anything else is refused with the reason', (t) => {
  t.is(parseTimeScale('max'), 'max');
  t.is(parseTimeScale('2.5'), 2.5);
  t.is(parseTimeScale('1e3'), MAX_TIME_SCALE);
  t.regex((parseTimeScale('1e7') as { error: string }).error, /cannot keep that pace.*use 'max'/);
  t.regex((parseTimeScale('1e-4') as { error: string }).error, /below 0\.001/);
  for (const bad of ['0', '-1', 'fast', '', 'Infinity', 'NaN']) t.true(typeof parseTimeScale(bad) === 'object', bad);
});
