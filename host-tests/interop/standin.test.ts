/**
 * The libusb stand-in on its own: libusb-1.0 calls (through ctypes) against the USB/IP server and the
 * test echo device, checking the libusb semantics libccid relies on (timeouts unlink, STALL is
 * LIBUSB_ERROR_PIPE, a cancelled interrupt transfer completes as cancelled).
 */
import test from 'ava';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { paceInRealTime } from '../../hal/sim/usbip/realtime.js';
import { listenUsbip } from '../../hal/sim/usbip/server.js';
import { createEchoDevice } from '../usbip/echo-device.js';
import { exportOf } from '../usbip/memory-client.js';
import { buildStandin, interopTimeout, PYTHON, REPO_ROOT, requireTools } from './pcscd.js';
import { run } from './processes.js';

test('the stand-in: enumeration, descriptors, STALL → PIPE, bulk echo, sync timeout, async timeout and cancel, server gone → NO_DEVICE', async (t) => {
  interopTimeout(t);
  requireTools();
  const standin = await buildStandin();
  const dir = mkdtempSync(join(tmpdir(), 'ccid-standin-'));
  const device = createEchoDevice();
  const pacer = paceInRealTime(device.scheduler);
  const exported = exportOf(device);
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
    // The server saw the client leave and gave the device back; the client then saw NO_DEVICE.
    t.is(exported.importer, null);
    t.deepEqual(out.afterServerGone, [-4, -4]);
  } finally {
    pacer.stop();
    await listener.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
