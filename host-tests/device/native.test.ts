/**
 * The native half of hal/moddable compiles with the host gcc, warnings as errors, against the XS
 * headers that @agoric/xsnap ships and our own declarations of the ESP-IDF / esp_tinyusb / TinyUSB
 * APIs (host-tests/device/stubs). Both TinyUSB API generations are compiled: 0.21 (usbd_edpt_xfer
 * with is_isr) and the earlier one that esp_tinyusb may pin.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { requirePackages } from '../setup/debian-packages.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const xs = join(root, 'node_modules/@agoric/xsnap/moddable/xs');
const stubs = join(root, 'host-tests/device/stubs');
const sources = readdirSync(join(root, 'hal/moddable')).filter((name) => name.endsWith('.c')).sort();

function compile(file: string, defines: string[] = []): { status: number | null; output: string } {
  const args = [
    '-fsyntax-only', '-std=gnu11', '-Wall', '-Wextra', '-Werror', ...defines,
    `-I${stubs}`, `-I${join(xs, 'includes')}`, `-I${join(xs, 'platforms')}`, file,
  ];
  requirePackages('gcc', 'libc6-dev');
  const run = spawnSync('gcc', args, { encoding: 'utf8' });
  if (run.error) throw run.error;
  return { status: run.status, output: run.stdout + run.stderr };
}

test('hal/moddable has the three native modules (card UART, USB device, scheduler clock)', (t) => {
  t.deepEqual(sources, ['card-uart.c', 'scheduler.c', 'usb-device.c']);
});

for (const source of sources) {
  // Only the USB device depends on the TinyUSB API generation.
  for (const minor of source === 'usb-device.c' ? [21, 19] : [21]) {
    const api = source === 'usb-device.c' ? ` (TinyUSB 0.${minor} API)` : '';
    test(`${source} compiles with -Wall -Wextra -Werror${api}`, (t) => {
      const { status, output } = compile(join(root, 'hal/moddable', source), [`-DSTUB_TUSB_MINOR=${minor}`]);
      t.is(status, 0, output);
    });
  }
}

test('the harness rejects a call the stubs do not declare (ESP-IDF uart_driver_install is not used)', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ccid-native-'));
  try {
    const file = join(dir, 'probe.c');
    writeFileSync(file, '#include "xsHost.h"\n#include "driver/uart.h"\nint probe(void) { return uart_driver_install(1, 256, 0, 0, 0, 0); }\n');
    const { status, output } = compile(file);
    t.not(status, 0);
    t.regex(output, /uart_driver_install/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
