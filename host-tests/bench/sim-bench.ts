/**
 * The simulator's CPU per APDU, in-process: the reader `serve` runs (host-tests/reader/reader.ts with
 * nothing recorded) driven through its USB device by a CCID host driver the way libccid drives it
 * (IccPowerOn, then one XfrBlock per APDU), every event run as soon as possible (`serve --time-scale
 * max`). No pcscd, no sockets: what the simulation itself costs.
 * - short: SELECT MF (00 A4 00 0C 02 3F 00);
 * - 4 KB each way: ECHO of 4096 bytes (CLA 80 INS EE, extended: 4 KB to the card and 4 KB back);
 * on `t0-fs` (T=0 at Fd/Dd: the 4 KB goes out in ENVELOPEs and back through GET RESPONSE) and on `t1`
 * (T=1 at Di 4, IFSC 254). The same with the line's record kept (as `sim` does for its trace and
 * VCD) shows what recording costs.
 *
 * CPU is the process's user + system time over a round of APDUs (garbage collection and the
 * engine's compiler threads included), in the steady state of a long-running `serve`: one reader
 * per process, warmed up first (the engine takes a few hundred 4 KB exchanges to compile and settle
 * its hot paths); per row, the median (and the best) of the rounds of several processes, as the
 * machine is shared and the engine's code differs from process to process.
 * `npx tsx host-tests/bench/sim-bench.ts` prints the table.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { findCard } from '../../hal/sim/cards/registry.js';
import type { VirtualScheduler } from '../../hal/sim/scheduler.js';
import { CcidHost, type PowerOnReply, type TransmitReply } from '../host-driver/ccid-host.js';
import { createSimReader } from '../reader/reader.js';
import { echoApdu } from '../sim/echo-apdu.js';

export interface SimBenchRow {
  exchange: string;
  card: string;
  recording: 'off' | 'on';
  /** Median of the rounds. */
  'CPU µs / APDU': number;
  /** The quickest round: what the machine's other load added least to. */
  'best round': number;
  'virtual ms / APDU': number;
  'scheduler events / APDU': number;
}

const SELECT_MF = Uint8Array.of(0x00, 0xa4, 0x00, 0x0c, 0x02, 0x3f, 0x00);
const ROUNDS = 5;

function cpuUs(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

/** Run events until `done()` (batches of events between looks, as the serve pacer does). */
function until(scheduler: VirtualScheduler, done: () => boolean): void {
  while (!done()) {
    if (scheduler.runUntilIdle(Infinity, 64) && !done()) throw new Error('the simulation went idle');
  }
}

interface Measured {
  cpuUs: number;
  virtualNs: number;
}

interface Session {
  rounds: Measured[];
  events: number;
}

/**
 * One reader, as `serve` has: `warmup` APDUs first, then `ROUNDS` rounds of `count`, each measured;
 * then one more round with the scheduler's events counted (its two ways in wrapped on this
 * instance, which would otherwise slow the measured rounds).
 */
function session(card: string, recording: boolean, apdu: Uint8Array, warmup: number, count: number): Session {
  const reader = createSimReader({ card: findCard(card)!.create(1), recording });
  const scheduler = reader.board.scheduler;
  const host = new CcidHost({ usb: reader.usb.host });
  const error = host.open();
  if (error !== null) throw new Error(error);
  // The card is in the socket from time 0: let the presence switch settle (debounce) first.
  scheduler.runUntil(20e6);
  let power: PowerOnReply | null = null;
  host.powerOn((r) => (power = r));
  until(scheduler, () => power !== null);
  if (power!.error !== null) throw new Error(`${card}: power-on failed (${power!.error})`);
  const exchange = (): void => {
    let reply: TransmitReply | null = null;
    host.transmit(apdu, (r) => (reply = r));
    until(scheduler, () => reply !== null);
    const r = reply as TransmitReply | null;
    if (r === null || r.error !== null || r.response === null || r.response[r.response.length - 2] !== 0x90) {
      throw new Error(`${card}: exchange failed (${r?.error})`);
    }
  };
  for (let i = 0; i < warmup; i++) exchange();
  const rounds: Measured[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const startNs = scheduler.now();
    const startCpu = cpuUs();
    for (let i = 0; i < count; i++) exchange();
    rounds.push({ cpuUs: (cpuUs() - startCpu) / count, virtualNs: (scheduler.now() - startNs) / count });
  }
  let events = 0;
  const at = scheduler.at.bind(scheduler);
  const atTicks = scheduler.atTicks.bind(scheduler);
  scheduler.at = (time, callback) => {
    events++;
    return at(time, callback);
  };
  scheduler.atTicks = (time, callback) => {
    events++;
    return atTicks(time, callback);
  };
  for (let i = 0; i < count; i++) exchange();
  reader.close();
  return { rounds, events: events / count };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1];
}

/** The rows; each is measured in processes of its own (as `serve` runs one reader), none compiled for another row. */
const ROWS: readonly { exchange: string; card: string; recording: boolean; echo: boolean }[] = [false, true].flatMap((recording) =>
  ['t0-fs', 't1'].flatMap((card) => [
    { exchange: 'short APDU (SELECT MF)', card, recording, echo: false },
    { exchange: '4 KB each way (ECHO 4096)', card, recording, echo: true },
  ]));
/**
 * Processes per row: the engine does not settle on the same code in every process (the same row
 * moves by up to half between processes on this machine), so each row is the median of the
 * rounds of several.
 */
const PROCESSES = 3;

function measureRow(index: number): Session {
  const r = ROWS[index];
  // With the record kept a 4 KB exchange costs ~10 ms: a shorter warm-up and rounds.
  if (r.echo) return session(r.card, r.recording, echoApdu(4096), r.recording ? 100 : 300, r.recording ? 20 : 50);
  return session(r.card, r.recording, SELECT_MF, 5000, 2000);
}

export async function benchSim(): Promise<SimBenchRow[]> {
  const rows: SimBenchRow[] = [];
  for (let i = 0; i < ROWS.length; i++) {
    const rounds: Measured[] = [];
    let events = 0;
    for (let p = 0; p < PROCESSES; p++) {
      // This file again, under the same loader, for one row; it prints its session as JSON.
      const child = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--row', String(i)], { encoding: 'utf8' });
      if (child.status !== 0) throw new Error(`sim bench row ${i}: ${child.stderr}`);
      const session = JSON.parse(child.stdout) as Session;
      rounds.push(...session.rounds);
      events = session.events;
    }
    const { exchange, card, recording } = ROWS[i];
    rows.push({
      exchange,
      card,
      recording: recording ? 'on' : 'off',
      'CPU µs / APDU': Math.round(median(rounds.map((r) => r.cpuUs)) * 10) / 10,
      'best round': Math.round(Math.min(...rounds.map((r) => r.cpuUs)) * 10) / 10,
      'virtual ms / APDU': Math.round(median(rounds.map((r) => r.virtualNs)) / 1e3) / 1e3,
      'scheduler events / APDU': Math.round(events),
    });
  }
  return rows;
}

const invokedDirectly = process.argv[1] !== undefined && /sim-bench\.ts$/.test(process.argv[1]);
const rowArg = process.argv.indexOf('--row');
if (invokedDirectly && rowArg > 0) process.stdout.write(JSON.stringify(measureRow(Number(process.argv[rowArg + 1]))));
else if (invokedDirectly) console.table(await benchSim());
