/**
 * The firmware's own cost in XS: the firmware-cost rig (firmware-rig.ts: CCID class → slot engine →
 * session → T=0 / T=1 between a wire UART replaying a recorded card and a USB double) measured with
 * XS's meter, per APDU and per byte on the card line, for short and extended APDUs, and the live heap
 * over 10 000 APDUs. The rig's doubles allocate nothing per APDU, so what the meter sees is the
 * firmware's (plus the doubles' few computrons per event, stated in the output).
 */
import { fileURLToPath } from 'node:url';
import { bundleForXs } from '../xs/bundle.js';
import { startXsWorker, type XsWorker } from '../xs/worker.js';

export interface CostCase {
  name: string;
  card: string;
  prepare: string[];
  apdu: string;
}

const ECHO_4K_T1 = `80EE000000${'1000'}${'A5'.repeat(4096)}1000`;
const ECHO_4K_T0 = ECHO_4K_T1;

export const COST_CASES: readonly CostCase[] = [
  { name: 'T=0 short: READ BINARY 16', card: 't0-fs', prepare: ['00A4000C020001'], apdu: '00B0000010' },
  { name: 'T=1 short: READ BINARY 16', card: 't1', prepare: ['00A4000C020001'], apdu: '00B0000010' },
  { name: 'T=1 extended: ECHO 4096 bytes each way', card: 't1', prepare: [], apdu: ECHO_4K_T1 },
  { name: 'T=0 extended: ECHO 4096 bytes each way (ENVELOPE, GET RESPONSE)', card: 't0-fs', prepare: [], apdu: ECHO_4K_T0 },
];

const SAMPLES = 3;
const BATCH = 20;
const ENDURANCE_APDUS = 10_000;
const ENDURANCE_BATCHES = 10;

/** An XS worker with the rig loaded: requests `setup`, `run`, `noop`. */
export async function startRigWorker(): Promise<XsWorker> {
  const driver = fileURLToPath(new URL('./firmware-rig.ts', import.meta.url));
  const script = await bundleForXs({ entry: { file: driver }, globalName: '__rig' });
  const worker = await startXsWorker({ name: 'firmware-cost' });
  const loadError = await worker.load('rig', `${script}
Object.assign(globalThis.__xsHandlers, { setup: __rig.setup, run: __rig.run, noop: __rig.noop, calibrate: __rig.calibrate });`);
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
}

export interface CaseCost {
  setup: SetupReply;
  /** Computrons of one APDU (meter of a 1-APDU request minus an empty request's). */
  computrons: number;
  /** Computrons per APDU over a batch, including garbage collections. */
  computronsWithGc: number;
  /** Heap slots allocated by one APDU (live heap growth without GC), null if a GC ran meanwhile. */
  slots: number | null;
  /** Engine bytes allocated (`allocate`) growth over the batch. */
  engineBytes: number;
  /** XS's speed on this machine over the batch, computrons per second (wall clock, IPC included). */
  computronsPerSecond: number;
}

export async function measure(worker: XsWorker, c: CostCase, step: number): Promise<CaseCost> {
  const setup = (await worker.request('setup', { card: c.card, prepare: c.prepare, apdu: c.apdu, step })).reply as SetupReply;
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
  const started = performance.now();
  const batch = await worker.request('run', { count: BATCH, collect: true });
  const seconds = (performance.now() - started) / 1000;
  return {
    setup,
    computrons: Math.round(Math.min(...computes)),
    computronsWithGc: Math.round(batch.meter.compute / BATCH),
    slots: slots.length > 0 ? Math.min(...slots) : null,
    engineBytes: batch.meter.allocate - before.meter.allocate,
    computronsPerSecond: Math.round(batch.meter.compute / seconds),
  };
}

/** Live heap (after GC) over many APDUs: must not grow once the first batch has run. */
export async function endurance(worker: XsWorker, c: CostCase, apdus: number, batches: number): Promise<{ live: number[]; before: number; after: number; engineBytes: number; grows: boolean }> {
  await worker.request('setup', { card: c.card, prepare: c.prepare, apdu: c.apdu, step: 1 });
  const start = (await worker.request('noop', { collect: true })).meter;
  const live: number[] = [];
  for (let i = 0; i < batches; i++) {
    const r = await worker.request('run', { count: apdus / batches, collect: true });
    live.push(r.meter.currentHeapCount);
  }
  const end = (await worker.request('noop', { collect: true })).meter;
  return { live, before: start.currentHeapCount, after: end.currentHeapCount, engineBytes: end.allocate - start.allocate, grows: Math.max(...live.slice(1)) > live[0] };
}

/** Computrons the doubles spend per line byte (one written, one read; see firmware-rig.ts calibrate). */
export async function rigShare(worker: XsWorker, step: number): Promise<number> {
  const n = 4000;
  const empty = await worker.request('noop', {});
  const r = await worker.request('calibrate', { n, step });
  // Two rounds of n bytes each way: 4n line bytes.
  return (r.meter.compute - empty.meter.compute) / (4 * n);
}

export async function benchFirmware(): Promise<Record<string, unknown>> {
  const worker = await startRigWorker();
  try {
    const perApdu = [];
    for (const c of COST_CASES) {
      const perByte = await measure(worker, c, 1);
      const perTurn = await measure(worker, c, 0);
      const line = perByte.setup.lineBytes;
      perApdu.push({
        apdu: c.name,
        T: perByte.setup.protocol,
        'F/D': `${perByte.setup.F}/${perByte.setup.D}`,
        'line bytes': line,
        computrons: perByte.computrons,
        'computrons/byte': Number((perByte.computrons / line).toFixed(1)),
        'incl. GC': perByte.computronsWithGc,
        'slots/APDU': perByte.slots,
        'computrons (turn/onReadable)': perTurn.computrons,
        'computrons/byte (turn)': Number((perTurn.computrons / line).toFixed(1)),
        'slots/APDU (turn)': perTurn.slots,
        'x86 Mcomputrons/s': Number((perByte.computronsPerSecond / 1e6).toFixed(1)),
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
      });
    }
    return {
      engine: 'XS (@agoric/xsnap worker)',
      path: 'USB double → CCID class → slot engine → session → T=0/T=1 → wire UART → replayed card',
      note: 'line bytes = command APDU + response APDU; onReadable per card byte unless "(turn)"; slots: 16-byte heap slots allocated per APDU, without GC',
      'per APDU': perApdu,
      'live heap over many APDUs (after GC)': heap,
    };
  } finally {
    await worker.close();
  }
}
