/**
 * The native half of hal/moddable compiles as the Moddable SDK compiles it for the ESP32-S3 (the
 * defines and flags of tools/mcconfig/make.esp32.mk, mc.defines.h generated from the manifests)
 * with the host gcc, warnings and implicit declarations as errors, against the real XS headers that
 * @agoric/xsnap ships and the declarations in hal/sim/esp32s3/include, which mirror ESP-IDF v6.0.2,
 * esp_tinyusb 2.2.1 and TinyUSB (their README.md says which commit of each). Both TinyUSB API
 * generations are compiled: espressif/tinyusb 0.19.0~3, which the manifest pins, and upstream 0.21
 * (usbd_edpt_xfer with is_isr). The probes at the end show that the check fails on each defect it
 * exists to catch.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  definesHeader, deviceDefines, MODDABLE_ESP32S3_DEFINES, MODDABLE_ESP32S3_FLAGS, XS17_COMPAT_FLAGS, XSMC_POISONED,
} from '../../hal/sim/esp32s3/moddable-build.js';
import { requirePackages } from '../setup/debian-packages.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const xs = join(root, 'node_modules/@agoric/xsnap/moddable/xs/includes');
const include = join(root, 'hal/sim/esp32s3/include');
const sources = readdirSync(join(root, 'hal/moddable')).filter((name) => name.endsWith('.c')).sort();

function withDir<T>(run: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'ccid-native-'));
  try {
    return run(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** gcc -fsyntax-only with Moddable's ESP32-S3 flags; `defines` replaces the manifests' mc.defines.h. */
function compile(file: string, options: { extra?: string[]; defines?: string } = {}): { status: number | null; output: string } {
  return withDir((dir) => {
    writeFileSync(join(dir, 'mc.defines.h'), options.defines ?? definesHeader(deviceDefines(root)));
    const args = [
      '-fsyntax-only', '-Wall', '-Wextra', '-Werror', ...MODDABLE_ESP32S3_DEFINES, ...MODDABLE_ESP32S3_FLAGS, ...XS17_COMPAT_FLAGS,
      ...(options.extra ?? []), `-I${include}`, `-I${xs}`, `-I${dir}`, file,
    ];
    requirePackages('gcc', 'libc6-dev');
    const run = spawnSync('gcc', args, { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } });
    if (run.error) throw run.error;
    return { status: run.status, output: run.stdout + run.stderr };
  });
}

function probe(code: string, options: { extra?: string[]; defines?: string } = {}): { status: number | null; output: string } {
  return withDir((dir) => {
    const file = join(dir, 'probe.c');
    writeFileSync(file, code);
    return compile(file, options);
  });
}

test('hal/moddable has the three native modules (card UART, USB device, scheduler clock)', (t) => {
  t.deepEqual(sources, ['card-block.c', 'card-uart.c', 'scheduler.c', 'usb-device.c']);
});

for (const source of sources) {
  // Only the USB device depends on the TinyUSB API generation.
  for (const minor of source === 'usb-device.c' ? [19, 21] : [19]) {
    const api = source === 'usb-device.c' ? ` (TinyUSB 0.${minor} API)` : '';
    test(`${source} compiles with Moddable's ESP32-S3 flags, -Wall -Wextra -Werror${api}`, (t) => {
      const { status, output } = compile(join(root, 'hal/moddable', source), { extra: [`-DSTUB_TUSB_MINOR=${minor}`] });
      t.is(status, 0, output);
    });
  }
}

test('the C uses none of the xs* forms that Moddable 8.2.3 xsmc.h poisons', (t) => {
  for (const source of sources) {
    const text = readFileSync(join(root, 'hal/moddable', source), 'utf8');
    const used = XSMC_POISONED.filter((name) => new RegExp(`\\b${name}\\b`).test(text));
    t.deepEqual(used, [], source);
  }
});

test('mc.defines.h carries the manifest define ccid.max_message as MODDEF_CCID_MAX_MESSAGE', (t) => {
  t.regex(definesHeader(deviceDefines(root)), /^#define MODDEF_CCID_MAX_MESSAGE \(4106\)$/m);
});

test('usb-device.c does not build without the manifest define (no silent default)', (t) => {
  const { status, output } = compile(join(root, 'hal/moddable/usb-device.c'), { defines: '' });
  t.not(status, 0);
  t.regex(output, /MODDEF_CCID_MAX_MESSAGE/);
});

test('the check rejects a call the declarations do not have (ESP-IDF uart_driver_install is not used)', (t) => {
  const { status, output } = probe('#include "xsmc.h"\n#include "driver/uart.h"\nint probe(void) { return uart_driver_install(1, 256, 0, 0, 0, 0); }\n');
  t.not(status, 0);
  t.regex(output, /implicit declaration of function 'uart_driver_install'/);
});

test('the check rejects the pre-v6 UART header soc/uart_periph.h', (t) => {
  const { status, output } = probe('#include "soc/uart_periph.h"\n');
  t.not(status, 0);
  t.regex(output, /soc\/uart_periph\.h/);
});

test('the check rejects the pre-v6 signal index SOC_UART_RX_PIN_IDX', (t) => {
  const { status, output } = probe('#include "hal/uart_periph.h"\nint probe(void) { return UART_PERIPH_SIGNAL(1, SOC_UART_RX_PIN_IDX); }\n');
  t.not(status, 0);
  t.regex(output, /SOC_UART_RX_PIN_IDX/);
});

test('the check rejects xsHost.h before xsmc.h (modMessagePostToMachineFromISR undeclared)', (t) => {
  const code = '#include "xsHost.h"\n#include "xsmc.h"\nvoid probe(xsMachine *the) { modMessagePostToMachineFromISR(the, 0, 0); }\n';
  const { status, output } = probe(code);
  t.not(status, 0);
  t.regex(output, /implicit declaration of function 'modMessagePostToMachineFromISR'/);
});

test('TinyUSB 0.19 without CFG_TUSB_MCU takes the generic FreeRTOS lock, which does not compile on ESP-IDF', (t) => {
  const bad = probe('#include "tusb.h"\n', { extra: ['-DSTUB_TUSB_MINOR=19'] });
  t.not(bad.status, 0);
  t.regex(bad.output, /vPortEnterCritical|too few arguments/);
  const good = probe('#define CFG_TUSB_MCU OPT_MCU_ESP32S3\n#include "tusb.h"\n', { extra: ['-DSTUB_TUSB_MINOR=19'] });
  t.is(good.status, 0, good.output);
});
