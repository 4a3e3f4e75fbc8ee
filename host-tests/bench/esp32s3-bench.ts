/**
 * The virtual ESP32-S3 board (hal/sim/esp32s3): what it costs and what it shows.
 * - build: the WebAssembly built from the repository's C (clang + lld), into an empty cache;
 * - CPU per APDU: host CPU time of one short APDU through CCID, the device firmware and its drivers
 *   on the virtual board, against the sim board (a session of 21 APDUs minus one of 1, over 20);
 * - T=0 error signal (ISO 7816-3 §7.3, host-tests/esp32s3/error-signal.ts): per interrupt latency,
 *   the highest negotiated rate at which the reader's error signal starts at 10.5 ± 0.2 etu and
 *   lasts 1–2 etu (above it the driver sends none and says so), and the highest at which its
 *   repetition after the card's error signal comes no earlier than 13 etu;
 * - throughput: ECHO of 4 KB each way against the wire minimum (host-tests/bench/echo-throughput.ts),
 *   per interrupt latency: T=1 at 860.2 kbit/s (t1-fast: Fi 372 / Di 64 at 5 MHz), T=0 at 13.4 kbit/s
 *   (t0-5mhz: the fastest rate whose error signal holds at 10 µs) and at 312.5 kbit/s (t0-pps-fast,
 *   where the error signal is off past 2 µs).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findCard } from '../../hal/sim/cards/registry.js';
import { buildBoard, projectRoot } from '../../hal/sim/esp32s3/build.js';
import { runSimSession } from '../cli/sim-session.js';
import { BOARD_RATES, etuNsOf, measureReaderSignal, measureRepetition, type Rate } from '../esp32s3/error-signal.js';
import { prepareReaderBoard, type ReaderBoardName } from '../reader/boards.js';
import { createEsp32s3Reader } from '../reader/esp32s3-reader.js';
import { esp32s3Echo } from '../esp32s3/echo.js';

const LATENCIES_US = [2, 5, 10, 20];
const APDUS = 20;

function buildSeconds(): { buildSeconds: number; wasmBytes: number } {
  // The import names the models provide, as the board built for this process declared them.
  const reader = createEsp32s3Reader('esp32s3');
  const module = new WebAssembly.Module(reader.board.esp32s3.chip.build.bytes);
  reader.close();
  const imports = WebAssembly.Module.imports(module).map((i) => i.name);
  const dir = mkdtempSync(join(tmpdir(), 'esp32s3-build-'));
  try {
    const built = buildBoard(projectRoot(import.meta.url), imports, dir);
    return { buildSeconds: Math.round(built.buildMs) / 1000, wasmBytes: built.bytes.length };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function sessionCpuMs(board: ReaderBoardName, card: string, apdu: Uint8Array, count: number): number {
  const started = process.cpuUsage();
  runSimSession({ card: findCard(card)!.create(1), seed: 1, board, apdus: Array.from({ length: count }, () => ({ apdu, label: null })) });
  const used = process.cpuUsage(started);
  return (used.user + used.system) / 1000;
}

function cpuPerApdu(board: ReaderBoardName, card: string, apdu: Uint8Array): number {
  sessionCpuMs(board, card, apdu, 1); // warm-up: JIT, wasm compilation
  const one = sessionCpuMs(board, card, apdu, 1);
  const many = sessionCpuMs(board, card, apdu, APDUS + 1);
  return Math.round(((many - one) / APDUS) * 100) / 100;
}

const rateText = (rate: Rate | null): string =>
  (rate === null ? 'none' : `${(1e6 / etuNsOf(rate)).toFixed(1)} kbit/s (TA1 ${rate.ta1.toString(16).toUpperCase()}, ${rate.clockHz / 1e6} MHz, ${(etuNsOf(rate) / 1000).toFixed(1)} µs/etu)`);

export async function benchEsp32s3(): Promise<unknown> {
  await prepareReaderBoard('esp32s3');
  const build = buildSeconds();
  const readBinary = Uint8Array.of(0x00, 0xb0, 0x00, 0x00, 0x10);
  const cpu = [
    { card: 't0-fs', apdu: 'READ BINARY 16 (T=0)' },
    { card: 't1', apdu: 'READ BINARY 16 (T=1)' },
  ].map(({ card, apdu }) => ({
    apdu,
    esp32s3CpuMsPerApdu: cpuPerApdu('esp32s3', card, readBinary),
    simCpuMsPerApdu: cpuPerApdu('sim', card, readBinary),
  }));

  const errorSignal = [];
  for (const latencyUs of LATENCIES_US) {
    let signal: { rate: Rate; start: number; width: number } | null = null;
    let repetition: { rate: Rate; delay: number } | null = null;
    for (const rate of BOARD_RATES) {
      const s = await measureReaderSignal(latencyUs * 1000, rate);
      if (s.sent && s.inSpec && (signal === null || etuNsOf(rate) < etuNsOf(signal.rate))) signal = { rate, start: s.startEtu!, width: s.widthEtu! };
      const r = await measureRepetition(latencyUs * 1000, rate);
      const ok = r.repeated && r.inSpec && r.cardReceived.length === 1;
      if (ok && (repetition === null || etuNsOf(rate) < etuNsOf(repetition.rate))) repetition = { rate, delay: r.delayEtu! };
    }
    errorSignal.push({
      latencyUs,
      errorSignalUpTo: rateText(signal?.rate ?? null),
      startEtu: signal === null ? null : Math.round(signal.start * 1000) / 1000,
      widthEtu: signal === null ? null : Math.round(signal.width * 1000) / 1000,
      repetitionUpTo: rateText(repetition?.rate ?? null),
      repetitionDelayEtu: repetition === null ? null : Math.round(repetition.delay * 100) / 100,
    });
  }
  const throughput = [];
  for (const latencyUs of [2, 10]) {
    for (const card of ['t1-fast', 't0-5mhz', 't0-pps-fast']) {
      try {
        const row = await esp32s3Echo(card, latencyUs * 1000, 4096);
        throughput.push({
          latencyUs, card, T: row.protocol, 'kbit/s': row.kbitPerS, characters: row.characters,
          'virtual µs': row.virtualUs, 'wire minimum µs': row.idealUs ?? row.lineUs, ratio: row.idealRatio ?? row.lineRatio,
        });
      } catch (error) {
        // A row that fails is reported as such; the others are still measured.
        throughput.push({ latencyUs, card, ratio: `failed: ${(error as Error).message}` });
      }
    }
  }
  return { ...build, cpu, errorSignal, throughput };
}
