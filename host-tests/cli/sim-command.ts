/**
 * `ccid-reader sim` (the `ccid-reader` command's contract): one session of the firmware on the simulated
 * board with a simulated card, driven through the full CCID path, printed as a readable trace or as
 * one JSON object; optionally the contact waveform (VCD) and the USB capture (pcap).
 */
import { statSync, writeFileSync } from 'node:fs';
import { TraceCategory } from '../../hal/common/trace.js';
import type { Trace } from '../../hal/interfaces/trace.js';
import { findCard } from '../../hal/sim/cards/registry.js';
import { openPcapFile, type PcapFile } from '../../hal/sim/pcap-file.js';
import { recordUsbHost } from '../../hal/sim/pcap-usb-host.js';
import { createUsbPcapWriter } from '../../hal/sim/pcap.js';
import { endpointsOf } from '../../hal/sim/usbip/endpoints.js';
import { toVcd } from '../../hal/sim/vcd.js';
import { toHex } from '../../hal/sim/hex.js';
import { loadCard } from './card-file.js';
import { fileProblem } from './file-problem.js';
import { parseSimArgs, SIM_USAGE } from './sim-args.js';
import { demoApdus } from './sim-demo.js';
import { simReportToJson, type SimReport } from './sim-report.js';
import { runSimSession } from './sim-session.js';
import { runSlotsCommand } from './sim-slots-command.js';
import { prepareReaderBoard, type HostReaderOptions } from '../reader/boards.js';
import { eventLines, formatUs } from './sim-text.js';

/** The card of the demo: the T=0 file system a newcomer can explore. */
export const DEFAULT_CARD = 't0-fs';

const CATEGORY_NAMES: readonly [number, string][] = Object.entries(TraceCategory).map(([name, bit]) => [bit, name]);

function categoryName(category: number): string {
  return CATEGORY_NAMES.find(([bit]) => bit === category)?.[1] ?? `0x${category.toString(16)}`;
}

/**
 * The firmware's Trace, printed as it happens with the virtual time of each event; on a virtual
 * ESP32-S3 the firmware traces to the board's console instead (Moddable's trace(): "[category] text"),
 * printed the same way.
 */
function printingTrace(write: (line: string) => void): { trace: Trace; console: HostReaderOptions['console']; setClock(now: () => number): void } {
  let now = () => 0;
  return {
    console: {
      mask: 0x7f,
      write: (line) => write(`${formatUs(now()).padStart(17)}  · ${line}\n`),
    },
    trace: {
      mask: 0x7f,
      log(category, text, bytes) {
        const data = bytes && bytes.length > 0 ? `  ${toHex(bytes)}` : '';
        write(`${formatUs(now()).padStart(17)}  · ${categoryName(category).padEnd(8)} ${text}${data}\n`);
      },
    },
    setClock(clock) {
      now = clock;
    },
  };
}

function summary(report: SimReport, endNs: number, seed: number): string[] {
  const failed = report.exchanges.filter((x) => x.error !== null).length;
  const lines = ['', `${report.exchanges.length} APDU${report.exchanges.length === 1 ? '' : 's'}, ${report.exchanges.length - failed} answered, ${failed} failed; ` +
    `${(endNs / 1e6).toFixed(3)} ms of virtual time; seed ${seed}`];
  if (report.script !== null) {
    const s = report.script;
    lines.push(s.completed ? 'script: completed' : s.failedStep !== null ? `script: FAILED at step ${s.failedStep}: ${s.reason}` : `script: not completed${s.reason ? ` (${s.reason})` : ''}`);
  }
  return lines;
}

export async function run(args: string[]): Promise<number> {
  const parsed = parseSimArgs(args);
  if ('error' in parsed) {
    process.stderr.write(`ccid-reader sim: ${parsed.error}\n\n${SIM_USAGE}`);
    return 2;
  }
  if (parsed.help) {
    process.stdout.write(SIM_USAGE);
    return 0;
  }
  try {
    await prepareReaderBoard(parsed.board);
  } catch (e) {
    process.stderr.write(`ccid-reader sim: --board ${parsed.board}: ${(e as Error).message}\n`);
    return 1;
  }
  if (parsed.slots > 1) {
    const write = (text: string) => process.stdout.write(text);
    const tracing = parsed.trace ? printingTrace(parsed.json ? (text) => process.stderr.write(text) : write) : null;
    return runSlotsCommand(parsed, {
      out: write,
      err: (text) => process.stderr.write(text),
      tracing,
      console: tracing?.console,
      defaultCard: DEFAULT_CARD,
    });
  }
  const spec = parsed.card ?? DEFAULT_CARD;
  const resolved = await loadCard(spec, parsed.seed);
  if ('error' in resolved) {
    process.stderr.write(`ccid-reader sim: ${resolved.error}\n`);
    return 2;
  }
  const card = resolved.card;
  const apdus = parsed.apdus.length > 0
    ? parsed.apdus.map((apdu) => ({ apdu, label: null }))
    : demoApdus({ scripted: findCard(spec) === undefined, card: spec });

  const out = (text: string) => process.stdout.write(text);
  const traceOut = parsed.json ? (text: string) => process.stderr.write(text) : out;
  const tracing = parsed.trace ? printingTrace(traceOut) : null;

  // A waveform path that cannot be written is said before the session runs, not after.
  if (parsed.vcd !== null && statSync(parsed.vcd, { throwIfNoEntry: false })?.isDirectory()) {
    process.stderr.write(`ccid-reader sim: --vcd: ${fileProblem(parsed.vcd, { code: 'EISDIR' })}\n`);
    return 1;
  }
  let pcap: PcapFile | null = null;
  if (parsed.pcap !== null) {
    try {
      pcap = openPcapFile(parsed.pcap);
    } catch (e) {
      process.stderr.write(`ccid-reader sim: --pcap: ${fileProblem(parsed.pcap, e)}\n`);
      return 1;
    }
  }
  const capture = pcap;

  if (!parsed.json) {
    out(`ccid-reader sim: card ${card.name}: ${card.description}${parsed.board === 'sim' ? '' : `; board ${parsed.board}`}\n`);
    out(`${parsed.apdus.length > 0 ? `${apdus.length} APDU${apdus.length === 1 ? '' : 's'}` : apdus.length > 0 ? 'demo session' : 'power-on only (pass --apdu HEX to send commands)'}; times are virtual, from the start of the simulation\n\n`);
  }
  let result;
  try {
    result = runSimSession({
      card,
      seed: parsed.seed,
      apdus,
      board: parsed.board,
      console: parsed.board === 'sim' ? undefined : tracing?.console,
      trace: parsed.board === 'sim' ? tracing?.trace : undefined,
      onReader: (reader) => tracing?.setClock(() => reader.board.scheduler.now()),
      onEvent: parsed.json ? undefined : (event) => out(eventLines(event, parsed.trace).join('\n') + '\n'),
      wrapUsb: capture === null ? undefined : (host, reader) => recordUsbHost(host, createUsbPcapWriter({ sink: capture.sink }), reader.board.scheduler,
        endpointsOf(reader.usb.descriptors.configuration)),
    });
  } finally {
    pcap?.close();
  }

  if (parsed.vcd !== null) {
    try {
      writeFileSync(parsed.vcd, toVcd(result.line.record, { endNs: result.endNs, version: `ccid-reader sim --card ${card.name} --seed ${parsed.seed}${parsed.board === 'sim' ? '' : ` --board ${parsed.board}`}` }));
    } catch (e) {
      process.stderr.write(`ccid-reader sim: --vcd: ${fileProblem(parsed.vcd, e)}\n`);
      return 1;
    }
  }

  if (parsed.json) out(JSON.stringify(simReportToJson(result.report)) + '\n');
  else {
    out(summary(result.report, result.endNs, parsed.seed).join('\n') + '\n');
    if (parsed.vcd !== null) out(`contact waveform written to ${parsed.vcd}\n`);
    if (parsed.pcap !== null) out(`USB capture written to ${parsed.pcap}\n`);
    if (parsed.apdus.length === 0 && parsed.card === null) {
      out('\nnext: `ccid-reader cards` lists the simulated cards; try `ccid-reader sim --card t1 --trace`,\n' +
        '`--apdu HEX` for your own commands, `--json`, `--vcd FILE`, `--pcap FILE` (`ccid-reader sim --help`)\n');
    }
  }
  // A scripted card whose script the reader did not follow is a failed reproduction.
  return result.report.script !== null && result.report.script.failedStep !== null ? 1 : 0;
}
