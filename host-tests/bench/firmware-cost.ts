/**
 * The firmware's own cost in XS: the firmware-cost rig (firmware-rig.ts: CCID class → slot engine →
 * session → T=0 / T=1 between a wire UART replaying a recorded card and a USB double) measured with
 * XS's meter, per APDU and per byte on the card line, for short and extended APDUs, and the live heap
 * over 10 000 APDUs. The rig's doubles allocate nothing per APDU, so the heap figures are the
 * firmware's; their computrons are measured apart (rigShare) and subtracted, and the JavaScript half
 * of the device's card UART measured on stand-ins (deviceUartShare) and added, for the estimate in
 * ESP32S3-ESTIMATE.md.
 */
import { fileURLToPath } from 'node:url';
import { bundleForXs } from '../xs/bundle.js';
import { startXsWorker, type XsWorker } from '../xs/worker.js';
import { COST_CASES, type CostCase } from './cost-cases.js';

export { COST_CASES, type CostCase } from './cost-cases.js';

const SAMPLES = 3;
const BATCH = 20;
const ENDURANCE_APDUS = 10_000;
const ENDURANCE_BATCHES = 10;

/** An XS worker with the rig loaded: requests `setup`, `run`, `noop`, `calibrate`. */
export async function startRigWorker(): Promise<XsWorker> {
  const driver = fileURLToPath(new URL('./firmware-rig.ts', import.meta.url));
  const script = await bundleForXs({ entry: { file: driver }, globalName: '__rig' });
  const worker = await startXsWorker({ name: 'firmware-cost' });
  const loadError = await worker.load('rig', `${script}
Object.assign(globalThis.__xsHandlers, { setup: __rig.setup, run: __rig.run, noop: __rig.noop, calibrate: __rig.calibrate, schedulerCost: __rig.schedulerCost });`);
  if (loadError !== null) {
    await worker.close();
    throw new Error(`firmware rig did not load in XS: ${loadError}`);
  }
  return worker;
}

interface SetupReply {
  atr: string;
  protocol: number | null;
  responseLength: number;
  sw: string;
  F: number;
  D: number;
  clockHz: number;
  /** Characters on the card line per APDU, both ways (headers, procedure bytes, block framing included). */
  lineBytes: number;
  /** Of those, the card's. */
  cardBytes: number;
  /** Block-level transfers per APDU (T=1 blocks, T=0 TPDUs). */
  transfers: number;
}

export interface CaseCost {
  setup: SetupReply;
  /** Computrons of one APDU (meter of a 1-APDU request minus an empty request's). */
  computrons: number;
  /** Of those, the doubles' (rigShare). */
  rig: number;
  /** Heap slots allocated by one APDU (live heap growth without GC), null if a GC ran meanwhile. */
  slots: number | null;
  /** Engine bytes allocated (`allocate`) growth over the batch. */
  engineBytes: number;
  /** CCID time extensions the reader sent per APDU (a long exchange in virtual time sends some). */
  extensions: number;
  /** Per APDU: the USB double's own scheduler events, and the CCID messages each way. */
  usbEvents: number;
  usbOut: number;
  usbIn: number;
}

export async function measure(worker: XsWorker, c: CostCase): Promise<CaseCost> {
  const setup = (await worker.request('setup', { card: c.card, prepare: c.prepare, apdu: c.apdu })).reply as SetupReply;
  const computes: number[] = [];
  const slots: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const base = await worker.request('noop', { collect: true });
    const empty = await worker.request('noop', {});
    const one = await worker.request('run', { count: 1 });
    computes.push(one.meter.compute - empty.meter.compute);
    const grown = one.meter.currentHeapCount - empty.meter.currentHeapCount;
    if (grown >= 0 && empty.meter.currentHeapCount >= base.meter.currentHeapCount) slots.push(grown);
  }
  const before = await worker.request('noop', { collect: true });
  const batch = await worker.request('run', { count: BATCH, collect: true });
  return {
    setup,
    computrons: Math.round(Math.min(...computes)),
    rig: await rigShare(worker),
    slots: slots.length > 0 ? Math.min(...slots) : null,
    engineBytes: batch.meter.allocate - before.meter.allocate,
    extensions: (batch.reply as { extensions: number }).extensions / BATCH,
    usbEvents: (batch.reply as { usbEvents: number }).usbEvents / BATCH,
    usbOut: (batch.reply as { usbOut: number }).usbOut / BATCH,
    usbIn: (batch.reply as { usbIn: number }).usbIn / BATCH,
  };
}

/**
 * Live heap (after GC) over many APDUs: must not grow once the first batch has run. Also XS's speed
 * on this machine, computrons per wall-clock second (requests and GC included).
 */
export async function endurance(worker: XsWorker, c: CostCase, apdus: number, batches: number): Promise<{ live: number[]; before: number; after: number; engineBytes: number; grows: boolean; computronsPerSecond: number }> {
  await worker.request('setup', { card: c.card, prepare: c.prepare, apdu: c.apdu });
  const start = (await worker.request('noop', { collect: true })).meter;
  const live: number[] = [];
  let compute = 0;
  const started = performance.now();
  for (let i = 0; i < batches; i++) {
    const r = await worker.request('run', { count: apdus / batches, collect: true });
    live.push(r.meter.currentHeapCount);
    compute += r.meter.compute;
  }
  const seconds = (performance.now() - started) / 1000;
  const end = (await worker.request('noop', { collect: true })).meter;
  return {
    live,
    before: start.currentHeapCount,
    after: end.currentHeapCount,
    engineBytes: end.allocate - start.allocate,
    grows: Math.max(...live.slice(1)) > live[0],
    computronsPerSecond: compute / seconds,
  };
}

/** Computrons the doubles spend per APDU of the rig set up last (see firmware-rig.ts calibrate). */
export async function rigShare(worker: XsWorker): Promise<number> {
  const cycles = 5;
  const samples: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const empty = await worker.request('noop', {});
    const r = await worker.request('calibrate', { cycles });
    // A cycle of the recording is two APDUs.
    samples.push((r.meter.compute - empty.meter.compute) / (2 * cycles));
  }
  return Math.min(...samples);
}

/** Computrons of one event of the rig's scheduler (hal/sim/scheduler.ts): scheduled, then run. */
export async function schedulerShare(worker: XsWorker): Promise<number> {
  const n = 2000;
  await worker.request('schedulerCost', { n: 100 });
  const empty = await worker.request('noop', {});
  const r = await worker.request('schedulerCost', { n });
  return (r.meter.compute - empty.meter.compute) / n;
}

/**
 * Stand-ins for card-uart.c: the block natives remember nothing and copy nothing (the C copies
 * outside XS), the convention direct. Just enough for hal/moddable/card-uart.ts to run in XS.
 */
const NATIVE_STANDINS = `
globalThis.Native = () => class {};
const natives = {
  xs_carduart(...args) { globalThis.__deliver = args[args.length - 1]; }, xs_carduart_close() {},
  xs_carduart_read() { return undefined; },
  xs_carduart_write() { return true; },
  xs_carduart_get_writable() { return 512; },
  xs_carduart_get_convention() { return 1; },
  xs_carduart_write_block() {},
  xs_carduart_write_tpdu() {},
  xs_carduart_read_block(into, offset) { return 258; },
  xs_carduart_get_block_end() { return 0; },
  xs_carduart_flush() {},
  xs_carduart_set_deadlines() {},
};
globalThis.native = (name) => natives[name];
`;

/** The device's card UART wrapper in XS with stand-ins: computrons per block-level transfer. */
export async function deviceUartShare(): Promise<{ perTransfer: number }> {
  const entry = fileURLToPath(new URL('./device-uart-rig.ts', import.meta.url));
  const script = await bundleForXs({ entry: { file: entry }, globalName: '__uart' });
  const uartModule = await bundleForXs({
    entry: { contents: "export { Esp32CardUart } from './hal/moddable/card-uart.js';", resolveDir: fileURLToPath(new URL('../../', import.meta.url)) },
    globalName: '__device',
  });
  const worker = await startXsWorker({ name: 'device-uart' });
  try {
    const loadError = await worker.load('uart', `${NATIVE_STANDINS}${uartModule}
globalThis.__Esp32CardUart = __device.Esp32CardUart;
${script}
globalThis.__xsHandlers.uartTransfers = __uart.uartTransfers;
globalThis.__xsHandlers.noop = () => null;`);
    if (loadError !== null) throw new Error(`device UART rig did not load in XS: ${loadError}`);
    const n = 2000;
    const empty = (await worker.request('noop', {})).meter.compute;
    await worker.request('uartTransfers', { n: 10 });
    const transfers = await worker.request('uartTransfers', { n });
    return { perTransfer: (transfers.meter.compute - empty) / n };
  } finally {
    await worker.close();
  }
}

/**
 * Stand-ins for usb-device.c: the natives keep the delivery callback and the scratch buffer, send
 * always succeeds. Just enough for hal/moddable/usb-device.ts to run in XS.
 */
const USB_STANDINS = `
globalThis.Native = () => class {};
const usbNatives = {
  xs_usbdevice(device, configuration, strings, scratch, deliver) { globalThis.__scratch = scratch; globalThis.__deliver = deliver; },
  xs_usbdevice_close() {},
  xs_usbdevice_send() { return true; },
  xs_usbdevice_reply() {},
  xs_usbdevice_get_configured() { return true; },
  xs_usbdevice_get_capacity() { return 4096; },
};
globalThis.native = (name) => usbNatives[name];
`;

/** The device's USB driver in XS with stand-ins: computrons per bulk OUT and per bulk IN message. */
export async function deviceUsbShare(): Promise<{ perOut: number; perIn: number }> {
  const entry = fileURLToPath(new URL('./device-usb-rig.ts', import.meta.url));
  const script = await bundleForXs({ entry: { file: entry }, globalName: '__usb' });
  const usbModule = await bundleForXs({
    entry: { contents: "export { Esp32UsbDevice } from './hal/moddable/usb-device.js';", resolveDir: fileURLToPath(new URL('../../', import.meta.url)) },
    globalName: '__device',
  });
  const worker = await startXsWorker({ name: 'device-usb' });
  try {
    const loadError = await worker.load('usb', `${USB_STANDINS}${usbModule}
globalThis.__Esp32UsbDevice = __device.Esp32UsbDevice;
${script}
globalThis.__xsHandlers.usbOut = __usb.usbOut;
globalThis.__xsHandlers.usbIn = __usb.usbIn;
globalThis.__xsHandlers.noop = () => null;`);
    if (loadError !== null) throw new Error(`device USB rig did not load in XS: ${loadError}`);
    const per = async (request: string): Promise<number> => {
      const n = 2000;
      await worker.request(request, { n: 10 });
      const small = (await worker.request(request, { n: 10 })).meter.compute;
      const many = (await worker.request(request, { n: 10 + n })).meter.compute;
      return (many - small) / n;
    };
    return { perOut: await per('usbOut'), perIn: await per('usbIn') };
  } finally {
    await worker.close();
  }
}

export async function benchFirmware(): Promise<Record<string, unknown>> {
  const worker = await startRigWorker();
  try {
    const device = await deviceUartShare();
    const usb = await deviceUsbShare();
    const perEvent = await schedulerShare(worker);
    const perApdu = [];
    for (const c of COST_CASES) {
      const m = await measure(worker, c);
      const line = m.setup.lineBytes;
      // The USB double's scheduler events are the double's (the device's driver posts to the XS task).
      const firmware = m.computrons - m.rig - m.usbEvents * perEvent;
      // The device: the firmware's share plus the JavaScript halves of its card UART, per transfer,
      // and of its USB driver, per message each way.
      const deviceApdu = firmware + device.perTransfer * m.setup.transfers + usb.perOut * m.usbOut + usb.perIn * m.usbIn;
      perApdu.push({
        apdu: c.name,
        T: m.setup.protocol,
        'F/D @ MHz': `${m.setup.F}/${m.setup.D} @ ${m.setup.clockHz / 1e6}`,
        'line bytes': line,
        transfers: m.setup.transfers,
        'CCID messages': `${m.usbOut} + ${m.usbIn}`,
        'time ext.': m.extensions,
        'slots/APDU': m.slots,
        'engine bytes': m.engineBytes,
        computrons: m.computrons,
        'rig computrons': Math.round(m.rig + m.usbEvents * perEvent),
        'firmware computrons': Math.round(firmware),
        'firmware/byte': Number((firmware / line).toFixed(1)),
        'device computrons': Math.round(deviceApdu),
        'device/byte': Number((deviceApdu / line).toFixed(1)),
      });
    }
    const heap = [];
    for (const c of [COST_CASES[1], COST_CASES[0]]) {
      const e = await endurance(worker, c, ENDURANCE_APDUS, ENDURANCE_BATCHES);
      heap.push({
        apdu: c.name,
        APDUs: ENDURANCE_APDUS,
        'live slots before': e.before,
        'live slots after each batch': e.live.join(' '),
        'live slots after': e.after,
        grows: e.grows,
        'engine bytes grown': e.engineBytes,
        'x86 Mcomputrons/s': Number((e.computronsPerSecond / 1e6).toFixed(1)),
      });
    }
    return {
      engine: 'XS (@agoric/xsnap worker)',
      path: 'USB double → CCID class → slot engine → session → T=0/T=1 → wire UART (block level) → replayed card',
      'line bytes': 'characters on the card line per APDU, both ways (T=0 headers and procedure bytes, T=1 block framing included)',
      transfers: 'block-level transfers per APDU (T=1 blocks, T=0 TPDUs): one hand-over and one delivery each',
      'CCID messages': 'bulk OUT + bulk IN messages per APDU (command pieces and requests for more; replies and time extensions)',
      'device UART computrons/transfer': Number(device.perTransfer.toFixed(1)),
      'device USB computrons/message': `${usb.perOut.toFixed(1)} OUT, ${usb.perIn.toFixed(1)} IN`,
      'scheduler computrons/event': Number(perEvent.toFixed(1)),
      note: 'firmware = computrons − rig (the doubles replaying the same transfers to a null consumer, and the USB double\'s own scheduler events; the events the firmware schedules are in the firmware figure, at the scheduler\'s cost per event); device = firmware + card-uart.ts per transfer + usb-device.ts per message (stand-ins for the C); slots: per APDU, no GC',
      'per APDU': perApdu,
      'live heap over many APDUs (after GC)': heap,
    };
  } finally {
    await worker.close();
  }
}
