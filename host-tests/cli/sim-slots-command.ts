/**
 * `ccid-reader sim --slots N` with N > 1 (`--slots N`, `--card` repeated slot by slot):
 * every slot runs its session at the same time (sim-slots.ts). The readable form lists each slot's
 * card, then the power-ons and exchanges of all slots in the order they completed; `--json` keeps the
 * one-slot object for slot 0 and adds `"slots"`: every slot's object, in slot order.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { Trace } from '../../hal/interfaces/trace.js';
import type { SimCard } from '../../hal/sim/card.js';
import { findCard } from '../../hal/sim/cards/registry.js';
import { openPcapFile, type PcapFile } from '../../hal/sim/pcap-file.js';
import { recordUsbHost } from '../../hal/sim/pcap-usb-host.js';
import { createUsbPcapWriter } from '../../hal/sim/pcap.js';
import { endpointsOf } from '../../hal/sim/usbip/endpoints.js';
import { toVcd } from '../../hal/sim/vcd.js';
import { resolveCard } from '../reader/reader.js';
import type { HostReader, HostReaderOptions } from '../reader/boards.js';
import type { SimArgs } from './sim-args.js';
import { demoApdus } from './sim-demo.js';
import { simReportToJson } from './sim-report.js';
import type { LabelledApdu } from './sim-session.js';
import { runSlotsSession, slotEventLines } from './sim-slots.js';

export interface SlotsCommandIo {
  out(text: string): void;
  err(text: string): void;
  /** The firmware trace to print (with --trace), and where it reads the virtual clock. */
  tracing: { trace: Trace; setClock(now: () => number): void } | null;
  /** A virtual ESP32-S3's console, printed with --trace (its firmware traces through it). */
  console?: HostReaderOptions['console'];
  defaultCard: string;
}

export function runSlotsCommand(parsed: SimArgs, io: SlotsCommandIo): number {
  // Slot K's card: the K-th --card, or the last one given (the default card when none).
  const specs = Array.from({ length: parsed.slots }, (_, k) => parsed.cards[Math.min(k, parsed.cards.length - 1)] ?? io.defaultCard);
  const cards: SimCard[] = [];
  for (const [slot, spec] of specs.entries()) {
    const resolved = resolveCard(spec, parsed.seed + slot, (path) => readFileSync(path, 'utf8'));
    if ('error' in resolved) {
      io.err(`ccid-reader sim: ${resolved.error}\n`);
      return 2;
    }
    cards.push(resolved.card);
  }
  const apdus: LabelledApdu[][] = specs.map((spec) => parsed.apdus.length > 0
    ? parsed.apdus.map((apdu) => ({ apdu, label: null }))
    : demoApdus({ scripted: findCard(spec) === undefined, card: spec }));

  let pcap: PcapFile | null = null;
  if (parsed.pcap !== null) {
    try {
      pcap = openPcapFile(parsed.pcap);
    } catch (e) {
      io.err(`ccid-reader sim: cannot write ${parsed.pcap}: ${(e as Error).message}\n`);
      return 1;
    }
  }
  const capture = pcap;
  if (!parsed.json) {
    io.out(`ccid-reader sim: ${parsed.slots} slots working at the same time${parsed.board === 'sim' ? '' : ` on the ${parsed.board} board`}; times are virtual, from the start of the simulation\n`);
    cards.forEach((card, slot) => io.out(`slot ${slot}: card ${card.name}: ${card.description}\n`));
    io.out('\n');
  }
  let result;
  try {
    result = runSlotsSession({
      cards,
      seed: parsed.seed,
      apdus,
      board: parsed.board,
      console: io.console,
      trace: parsed.board === 'sim' ? io.tracing?.trace : undefined,
      onReader: (reader: HostReader) => io.tracing?.setClock(() => reader.board.scheduler.now()),
      wrapUsb: capture === null ? undefined : (host, reader) => recordUsbHost(host, createUsbPcapWriter({ sink: capture.sink }), reader.board.scheduler,
        endpointsOf(reader.usb.descriptors.configuration)),
    });
  } finally {
    pcap?.close();
  }
  if (parsed.vcd !== null) {
    try {
      const line = result.reader.board.sockets[0].sim.line;
      writeFileSync(parsed.vcd, toVcd(line.record, { endNs: result.endNs, version: `ccid-reader sim --slots ${parsed.slots} (slot 0: ${cards[0].name}) --seed ${parsed.seed}` }));
    } catch (e) {
      io.err(`ccid-reader sim: cannot write ${parsed.vcd}: ${(e as Error).message}\n`);
      return 1;
    }
  }
  const reports = result.reports;
  if (parsed.json) {
    io.out(JSON.stringify({ ...simReportToJson(reports[0]), slots: reports.map((r) => simReportToJson(r)) }) + '\n');
  } else {
    for (const event of result.events) io.out(slotEventLines(event).join('\n') + '\n');
    io.out('\n');
    reports.forEach((r, slot) => {
      const failed = r.exchanges.filter((x) => x.error !== null).length;
      io.out(`slot ${slot}: ${r.exchanges.length} APDU${r.exchanges.length === 1 ? '' : 's'}, ${r.exchanges.length - failed} answered, ${failed} failed\n`);
    });
    io.out(`${(result.endNs / 1e6).toFixed(3)} ms of virtual time; seed ${parsed.seed}\n`);
    if (parsed.vcd !== null) io.out(`contact waveform of slot 0 written to ${parsed.vcd}\n`);
    if (parsed.pcap !== null) io.out(`USB capture written to ${parsed.pcap}\n`);
  }
  return reports.some((r) => r.script !== null && r.script.failedStep !== null) ? 1 : 0;
}
