/**
 * The libusb stand-in on its own: libusb-1.0 calls (through ctypes) against the USB/IP server and the
 * test echo device, checking the libusb semantics libccid relies on (timeouts unlink, STALL is
 * LIBUSB_ERROR_PIPE, a cancelled interrupt transfer completes as cancelled), and the bulk IN URB it
 * queues behind each bulk OUT (read-ahead) against what a plain read would have got.
 */
import test from 'ava';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SimUsbHost } from '../../hal/sim/usb-device.js';
import { paceInRealTime } from '../../hal/sim/usbip/realtime.js';
import { UsbipConnection } from '../../hal/sim/usbip/connection.js';
import { URB_HEADER_LENGTH } from '../../hal/sim/usbip/protocol.js';
import { listen, listenUsbip } from '../../hal/sim/usbip/server.js';
import { createEchoDevice } from '../usbip/echo-device.js';
import { exportOf } from '../usbip/memory-client.js';
import { buildStandin, interopTimeout, PYTHON, REPO_ROOT, requireTools } from './pcscd.js';
import { run } from './processes.js';

/**
 * The device's bus API with every URB the server submits and every unlink logged, in order;
 * `onBulkOut` sees each bulk OUT's bSeq.
 */
function recorded(host: SimUsbHost, log: string[], onBulkOut: (seq: number) => void): SimUsbHost {
  return {
    control: (setup, data) => host.control(setup, data),
    bulkOut: (data, done) => {
      const seq = data[6];
      log.push(`out ${seq}`);
      onBulkOut(seq);
      return host.bulkOut(data, (status) => {
        log.push(`out-done ${seq}`);
        done?.(status);
      });
    },
    bulkIn: (maxLength, done) => {
      log.push(`in ${maxLength}`);
      return host.bulkIn(maxLength, done);
    },
    interruptIn: (maxLength, done) => host.interruptIn(maxLength, done),
    cancel: (handle) => {
      const pending = host.cancel(handle);
      log.push(`cancel ${pending}`);
      return pending;
    },
    reset: () => host.reset(),
    get address() { return host.address; },
    get configuration() { return host.configuration; },
  };
}

/** What the server saw from the bulk OUT of `seq` to its completion. */
function whileWriting(log: readonly string[], seq: number): string[] {
  const start = log.indexOf(`out ${seq}`);
  const end = log.indexOf(`out-done ${seq}`);
  return start < 0 || end < 0 ? [`no out ${seq}`] : log.slice(start + 1, end);
}

/** The echo device's answer to `seq` with `data` (echo-device.ts: the message with 0x80 first). */
const echoed = (seq: number, data: readonly number[]): string =>
  Buffer.from([0x80, data.length, 0, 0, 0, 0, seq, 0, 0, 0, ...data]).toString('hex');

test('the stand-in: enumeration, descriptors, STALL → PIPE, bulk echo, sync timeout, async timeout and cancel, server gone → NO_DEVICE', async (t) => {
  interopTimeout(t);
  requireTools();
  const standin = await buildStandin();
  const dir = mkdtempSync(join(tmpdir(), 'ccid-standin-'));
  const device = createEchoDevice();
  const pacer = paceInRealTime(device.scheduler);
  const log: string[] = [];
  const plain = exportOf(device);
  // bSeq 250 makes the device send an interrupt message (a NotifySlotChange) with its answer.
  const exported = {
    ...plain,
    host: recorded(plain.host, log, (seq) => {
      if (seq === 250) device.usb.sendInterrupt(Uint8Array.of(0x50, 0x03));
    }),
  };
  const listener = await listenUsbip({ kind: 'unix', path: join(dir, 'usbip.sock') }, { exported, onActivity: pacer.kick });
  try {
    const marker = join(dir, 'marker');
    const running = run(PYTHON, [join(REPO_ROOT, 'host-tests/interop/standin-check.py'), join(standin, 'libusb-1.0.so.0'), marker], {
      env: { ...process.env, CCID_READER_USBIP: `unix:${join(dir, 'usbip.sock')}` }, timeoutMs: 30_000,
    });
    // When the script says so, the server disappears under it.
    const deadline = Date.now() + 20_000;
    while (!existsSync(`${marker}.ready`) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await listener.close();
    writeFileSync(`${marker}.gone`, '');
    const result = await running;
    t.is(result.code, 0, result.stderr);
    const out = JSON.parse(result.stdout);
    t.is(out.devices, 1);
    t.is(out.idVendor, 0x1234);
    t.is(out.interfaceClass, 0x0b);
    t.deepEqual(out.classDescriptor, [54, 0x21]);
    t.deepEqual(out.endpoints, [0x01, 0x82, 0x83]);
    t.is(out.product, 'Tes');
    t.is(out.stall, -9, 'LIBUSB_ERROR_PIPE');
    t.is(out.classRequest, 4);
    t.deepEqual(out.bulkOut, [0, 13]);
    t.deepEqual(out.bulkIn, [0, '80030000000009000000' + '0a0b0c']);
    t.is(out.bulkTimeout, -7, 'LIBUSB_ERROR_TIMEOUT');
    t.true(out.bulkTimeoutSeconds >= 0.19 && out.bulkTimeoutSeconds < 1.5);
    // [submit result, completed, LIBUSB_TRANSFER_TIMED_OUT = 2 / CANCELLED = 3, seconds]
    t.deepEqual(out.interruptTimeout.slice(0, 3), [0, 1, 2]);
    t.deepEqual(out.interruptCancelled.slice(0, 3), [0, 1, 3]);
    t.true(out.interruptCancelled[3] >= 0.15);
    // No read-ahead while the reads' length (4096) is a multiple of the packet size (64): the IN URB
    // comes after the bulk OUT completed.
    t.deepEqual(whileWriting(log, 9), []);
    // Read-ahead (the reads now ask for 4100 ≥ dwMaxCCIDMessageLength 271): the bulk IN URB reaches
    // the server with the bulk OUT, before it completes, and the next read gets its answer.
    const ahead = out.readAhead;
    t.deepEqual(ahead.learn, [-7, ''], 'nothing to read yet: LIBUSB_ERROR_TIMEOUT');
    t.is(ahead.out, 0);
    t.deepEqual(whileWriting(log, 1), ['in 4100']);
    t.deepEqual(ahead.in, [0, echoed(1, [1, 2])]);
    // A shorter read than the queued URB: the answer still arrives whole when it fits…
    t.deepEqual(whileWriting(log, 2), ['in 4100']);
    t.deepEqual(ahead.inShort, [0, echoed(2, [3])]);
    // …and when it does not fit, LIBUSB_ERROR_OVERFLOW, and the answer waits for a longer read.
    t.deepEqual(whileWriting(log, 3), ['in 4100']);
    t.is(ahead.inOverflow, -8, 'LIBUSB_ERROR_OVERFLOW');
    t.deepEqual(ahead.afterOverflow, [0, echoed(3, new Array<number>(20).fill(4))]);
    // Two threads writing and reading at once: each answer reaches exactly one reader.
    const expected = [...Array.from({ length: 40 }, (_, i) => 10 + i), ...Array.from({ length: 40 }, (_, i) => 100 + i)].map((seq) => echoed(seq, [seq]));
    t.deepEqual(ahead.twoThreads, expected.sort());
    // An interrupt message read by a synchronous transfer's thread still completes its async
    // transfer: [submitted, completed, LIBUSB_TRANSFER_COMPLETED, data] and [bulk OUT, bulk IN].
    const during = ahead.interruptDuringBulk;
    t.deepEqual([...during.slice(0, 3), during[4]], [0, 1, 0, '5003']);
    t.deepEqual(during[5], [0, [0, echoed(250, [6])]]);
    // An answer that never comes: the read times out after its own timeout and the queued URB is
    // unlinked while still pending.
    const unanswered = log.slice(log.indexOf('out 200'));
    t.deepEqual(unanswered.slice(0, 4), ['out 200', 'in 4100', 'out-done 200', 'cancel true']);
    t.is(ahead.inTimeout, -7, 'LIBUSB_ERROR_TIMEOUT');
    t.true(ahead.inTimeoutSeconds >= 0.19 && ahead.inTimeoutSeconds < 1.5);
    // The server saw the client leave and gave the device back; the client then saw NO_DEVICE.
    t.is(exported.importer, null);
    t.deepEqual(out.afterServerGone, [-4, -4]);
  } finally {
    pacer.stop();
    await listener.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Python through ctypes: the stand-in (argv[1]) opened on its one device as `handle`. */
const OPEN_DEVICE = `
import ctypes as C, json, sys
lib = C.CDLL(sys.argv[1])
lib.libusb_get_device_list.restype = C.c_ssize_t
ctx = C.c_void_p()
lib.libusb_init(C.byref(ctx))
devices = C.POINTER(C.c_void_p)()
assert lib.libusb_get_device_list(ctx, C.byref(devices)) == 1
handle = C.c_void_p()
lib.libusb_open(C.c_void_p(devices[0]), C.byref(handle))
`;

/** One bulk exchange through the stand-in, then a control transfer: [bulk OUT, bulk IN, control]. */
const ONE_EXCHANGE = `${OPEN_DEVICE}
m = bytes([0x6F, 1, 0, 0, 0, 0, 0xEE, 0, 0, 0, 7])
n = C.c_int()
out = [lib.libusb_bulk_transfer(handle, 0x01, (C.c_ubyte * len(m)).from_buffer_copy(m), len(m), C.byref(n), 3000)]
buf = (C.c_ubyte * 4100)()
out.append(lib.libusb_bulk_transfer(handle, 0x82, buf, 4100, C.byref(n), 3000))
out.append(lib.libusb_control_transfer(handle, 0x80, 6, 0x0100, 0, buf, 18, 1000))
lib.libusb_close(handle)
lib.libusb_exit(ctx)
print(json.dumps(out))
`;

/** What a broken server sends instead of its answer to the bulk IN read (a 48-byte RET_SUBMIT + data). */
const BROKEN: readonly [string, (answer: Uint8Array) => Uint8Array][] = [
  ['an answer to a URB never sent', (a) => { const b = a.slice(); b.set([0x7f, 0xff, 0xff, 0xff], 4); return b; }],
  ['more IN data than the URB holds', (a) => { const b = a.slice(); b.set([0, 0x10, 0, 0], 24); return b; }],
  ['an unknown command', (a) => { const b = a.slice(); b.set([0, 0, 0, 9], 0); return b; }],
  ['a header cut short, then the end of the stream', (a) => a.slice(0, 20)],
];

test('the stand-in against a server that breaks the protocol: the transfer fails with NO_DEVICE, the caller goes on', async (t) => {
  interopTimeout(t);
  requireTools();
  const standin = await buildStandin();
  const dir = mkdtempSync(join(tmpdir(), 'ccid-standin-'));
  try {
    for (const [what, breakIt] of BROKEN) {
      const device = createEchoDevice();
      const pacer = paceInRealTime(device.scheduler);
      const exported = exportOf(device);
      const path = join(dir, 'usbip.sock');
      // The echo device's answer to bSeq EE (a DataBlock) is the RET_SUBMIT that gets broken.
      const listener = await listen({ kind: 'unix', path }, (socket) => {
        const connection = new UsbipConnection({
          exported,
          send: (bytes) => {
            const answer = bytes.length > URB_HEADER_LENGTH + 6 && bytes[3] === 3 && bytes[URB_HEADER_LENGTH + 6] === 0xee;
            if (!answer) {
              socket.write(bytes);
              return;
            }
            const broken = breakIt(bytes);
            if (broken.length < URB_HEADER_LENGTH) socket.end(broken);
            else socket.write(broken);
          },
          end: () => socket.end(),
          onActivity: pacer.kick,
        });
        socket.on('data', (chunk: Buffer) => connection.receive(new Uint8Array(chunk)));
        socket.on('close', () => connection.closed());
        socket.on('error', () => undefined);
      });
      try {
        const result = await run(PYTHON, ['-c', ONE_EXCHANGE, join(standin, 'libusb-1.0.so.0')], {
          env: { ...process.env, CCID_READER_USBIP: `unix:${path}` }, timeoutMs: 30_000,
        });
        t.is(result.code, 0, `${what}: ${result.stderr}`);
        // The bulk OUT went through; the read fails with LIBUSB_ERROR_NO_DEVICE, and so does what follows.
        t.deepEqual(JSON.parse(result.stdout), [0, -4, -4], what);
      } finally {
        pacer.stop();
        await listener.close();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Opens the one device and teaches the stand-in the read length (4100): a read that times out. */
const OPEN_AND_LEARN = `${OPEN_DEVICE}
n = C.c_int()
buf = (C.c_ubyte * 4100)()
assert lib.libusb_bulk_transfer(handle, 0x82, buf, 4100, C.byref(n), 50) == -7
`;

/** The echo device served at `path`, every URB it sees logged (`recorded`), its clock paced in real time. */
async function recordedEcho(path: string, maxSlotIndex = 0): Promise<{ log: string[]; exported: ReturnType<typeof exportOf>; close(): Promise<void> }> {
  const device = createEchoDevice(maxSlotIndex);
  const pacer = paceInRealTime(device.scheduler);
  const log: string[] = [];
  const plain = exportOf(device);
  const exported = { ...plain, host: recorded(plain.host, log, () => undefined) };
  const listener = await listenUsbip({ kind: 'unix', path }, { exported, onActivity: pacer.kick });
  return {
    log,
    exported,
    close: async () => {
      pacer.stop();
      await listener.close();
    },
  };
}

/** A Python script against the stand-in (its library as argv[1]) and the server at `path`. */
function runScript(script: string, standin: string, path: string): ReturnType<typeof run> {
  return run(PYTHON, ['-c', script, join(standin, 'libusb-1.0.so.0')], { env: { ...process.env, CCID_READER_USBIP: `unix:${path}` }, timeoutMs: 30_000 });
}

/** Writes bSeq 77 (never answered), and exits unread. */
const WRITE_AND_LEAVE = `${OPEN_AND_LEARN}
m = bytes([0x6F, 9, 0, 0, 0, 0, 77, 0, 0, 0, 7])
assert lib.libusb_bulk_transfer(handle, 0x01, (C.c_ubyte * len(m)).from_buffer_copy(m), len(m), C.byref(n), 3000) == 0
lib.libusb_close(handle)
lib.libusb_exit(ctx)
`;

test('the stand-in: the bulk IN URB queued behind a write nobody reads ends with the connection when the program leaves', async (t) => {
  interopTimeout(t);
  requireTools();
  const standin = await buildStandin();
  const dir = mkdtempSync(join(tmpdir(), 'ccid-standin-'));
  const path = join(dir, 'usbip.sock');
  const { log, exported, close } = await recordedEcho(path);
  try {
    const result = await runScript(WRITE_AND_LEAVE, standin, path);
    t.is(result.code, 0, result.stderr);
    const deadline = Date.now() + 10_000;
    while (exported.importer !== null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    // The read-ahead URB went out with the write, and was still pending when the connection ended:
    // the server cancelled it and gave the device back.
    t.deepEqual(log.slice(log.indexOf('out 77')), ['out 77', 'in 4100', 'out-done 77', 'cancel true']);
    t.is(exported.importer, null);
  } finally {
    await close();
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Writes bSeq 5 and reads its answer; prints it. */
const WRITE_THEN_READ = `${OPEN_AND_LEARN}
m = bytes([0x6F, 1, 0, 0, 0, 0, 5, 0, 0, 0, 9])
assert lib.libusb_bulk_transfer(handle, 0x01, (C.c_ubyte * len(m)).from_buffer_copy(m), len(m), C.byref(n), 3000) == 0
assert lib.libusb_bulk_transfer(handle, 0x82, buf, 4100, C.byref(n), 3000) == 0
print(bytes(buf[:n.value]).hex())
lib.libusb_close(handle)
lib.libusb_exit(ctx)
`;

test('the stand-in queues no bulk IN URB behind a write to a reader with several slots (CCID bMaxSlotIndex > 0): its driver may read in another thread than the writer', async (t) => {
  interopTimeout(t);
  requireTools();
  const standin = await buildStandin();
  const dir = mkdtempSync(join(tmpdir(), 'ccid-standin-'));
  try {
    for (const maxSlotIndex of [0, 1]) {
      const path = join(dir, `usbip-${maxSlotIndex}.sock`);
      const { log, close } = await recordedEcho(path, maxSlotIndex);
      try {
        const result = await runScript(WRITE_THEN_READ, standin, path);
        t.is(result.code, 0, result.stderr);
        t.is(result.stdout.trim(), echoed(5, [9]));
        // One slot: the IN URB goes out with the write. Two: only the read sends it.
        t.deepEqual(whileWriting(log, 5), maxSlotIndex === 0 ? ['in 4100'] : [], `bMaxSlotIndex ${maxSlotIndex}`);
      } finally {
        await close();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
