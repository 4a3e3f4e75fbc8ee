/**
 * The XS bench: the reader's full path (host CCID driver → simulated USB → CCID class → slot →
 * ISO 7816-3 session → T=0 or T=1 → simulated line → simulated card) inside a real XS engine, measured
 * with XS's own meter: computrons (a deterministic count of XS operations, including garbage
 * collection) and heap slots (16 bytes each) per APDU, for short and extended APDUs, and the live
 * heap over a long run of APDUs, which must stay flat: the firmware allocates nothing that lives on.
 */
import { fileURLToPath } from 'node:url';
import { bundleForXs } from '../xs/bundle.js';
import { startXsWorker, type XsMeter, type XsWorker } from '../xs/worker.js';

interface PathCase {
  name: string;
  card: string;
  /** APDUs sent once before measuring (select the file the APDU reads). */
  prepare: string[];
  apdu: string;
  /** Expected response: full hex, or a 4-digit status word the response must end with. */
  expect: string;
}

const ECHO_300 = `80EE000000012C${'A5'.repeat(300)}012C`;

const CASES: readonly PathCase[] = [
  { name: 'T=0 short: READ BINARY 16', card: 't0-fs', prepare: ['00A4000C020001'], apdu: '00B0000010', expect: '9000' },
  { name: 'T=0 extended: READ BINARY, extended Le 256', card: 't0-fs', prepare: ['00A4000C021000', '00A4000C021001'], apdu: '00B00000000100', expect: '9000' },
  { name: 'T=1 short: READ BINARY 16', card: 't1', prepare: ['00A4000C020001'], apdu: '00B0000010', expect: '9000' },
  { name: 'T=1 extended: ECHO 300 bytes (CCID chaining both ways)', card: 't1', prepare: [], apdu: ECHO_300, expect: `${'A5'.repeat(300)}9000` },
];

/** The long runs: how many APDUs, in how many requests (each ends with a GC and a heap reading). */
const ENDURANCE: readonly { caseIndex: number; apdus: number; batches: number }[] = [
  { caseIndex: 2, apdus: 10_000, batches: 10 },
  // T=0 runs at 10 kbit/s on the line, so each APDU costs more to simulate: fewer of them.
  { caseIndex: 0, apdus: 1_000, batches: 5 },
];

const SAMPLES = 3;
const BATCH = 20;

async function prepare(worker: XsWorker, c: PathCase): Promise<{ atr: string; protocol: number | null }> {
  const { reply } = await worker.request('setup', { card: c.card, seed: 1 });
  for (const apdu of c.prepare) await worker.request('run', { apdu, count: 1, expect: '9000', collect: false });
  // Warm-up: first-use allocations (lazily built tables, buffers) are not per-APDU costs.
  await worker.request('run', { apdu: c.apdu, count: 3, expect: c.expect, collect: false });
  return reply as { atr: string; protocol: number | null };
}

function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

async function measureCase(worker: XsWorker, c: PathCase): Promise<Record<string, unknown>> {
  const setup = await prepare(worker, c);
  const computes: number[] = [];
  const slots: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    // After a GC the heap count is the live heap; one APDU later it has grown by what the APDU allocated
    // (unless a GC ran meanwhile, which makes the difference meaningless: such a sample is dropped).
    const base = await worker.request('noop', { collect: true });
    const empty = await worker.request('noop', { collect: false });
    const one = await worker.request('run', { apdu: c.apdu, count: 1, expect: c.expect, collect: false });
    computes.push(one.meter.compute - empty.meter.compute);
    const grown = one.meter.currentHeapCount - base.meter.currentHeapCount - (empty.meter.currentHeapCount - base.meter.currentHeapCount);
    if (grown >= 0) slots.push(grown);
  }
  const started = performance.now();
  const batch = await worker.request('run', { apdu: c.apdu, count: BATCH, expect: c.expect, collect: true });
  const wallMs = performance.now() - started;
  const virtualNs = (batch.reply as { virtualNs: number }).virtualNs;
  return {
    apdu: c.name,
    T: setup.protocol,
    bytes: c.apdu.length / 2,
    computrons: Math.round(mean(computes)),
    'computrons incl. GC': Math.round(batch.meter.compute / BATCH),
    'heap slots allocated': slots.length > 0 ? Math.round(mean(slots)) : null,
    'virtual ms': Number((virtualNs / BATCH / 1e6).toFixed(3)),
    'wall ms in XS': Number((wallMs / BATCH).toFixed(2)),
  };
}

async function endurance(worker: XsWorker, c: PathCase, apdus: number, batches: number): Promise<Record<string, unknown>> {
  await prepare(worker, c);
  const start: XsMeter = (await worker.request('noop', { collect: true })).meter;
  const live: number[] = [];
  for (let i = 0; i < batches; i++) {
    const r = await worker.request('run', { apdu: c.apdu, count: apdus / batches, expect: c.expect, collect: true });
    live.push(r.meter.currentHeapCount);
  }
  const end = (await worker.request('noop', { collect: true })).meter;
  return {
    apdu: c.name,
    APDUs: apdus,
    batch: apdus / batches,
    'live slots before': start.currentHeapCount,
    'live slots after each batch': live.join(' '),
    'live slots after': end.currentHeapCount,
    // Growth after the first batch (steady state reached) is what would exhaust a device's heap.
    grows: Math.max(...live.slice(1)) > live[0],
    'engine bytes': end.allocate,
  };
}

/** An XS worker with the bench driver loaded: requests `setup`, `run`, `noop` (xs-bench-driver.ts). */
export async function startBenchWorker(): Promise<{ worker: XsWorker; scriptBytes: number }> {
  const driver = fileURLToPath(new URL('./xs-bench-driver.ts', import.meta.url));
  const script = await bundleForXs({ entry: { file: driver }, globalName: '__bench' });
  const worker = await startXsWorker({ name: 'xs-bench' });
  const loadError = await worker.load('bench', `${script}
Object.assign(globalThis.__xsHandlers, { setup: __bench.setup, run: __bench.run, noop: __bench.noop });`);
  if (loadError !== null) {
    await worker.close();
    throw new Error(`bench driver did not load in XS: ${loadError}`);
  }
  return { worker, scriptBytes: script.length };
}

export async function benchXs(): Promise<Record<string, unknown>> {
  const { worker, scriptBytes } = await startBenchWorker();
  try {
    const perApdu = [];
    for (const c of CASES) perApdu.push(await measureCase(worker, c));
    const heap = [];
    for (const e of ENDURANCE) heap.push(await endurance(worker, CASES[e.caseIndex], e.apdus, e.batches));
    return {
      engine: 'XS 13.3 (@agoric/xsnap worker)',
      path: 'host CCID driver → SimUsbDevice → CCID class → slot → session → T=0/T=1 → sim line → sim card',
      'script bytes': scriptBytes,
      note: 'per-APDU figures include the simulated line and card, which model every bit on I/O',
      'per APDU': perApdu,
      'live heap over many APDUs (after GC)': heap,
    };
  } finally {
    await worker.close();
  }
}
