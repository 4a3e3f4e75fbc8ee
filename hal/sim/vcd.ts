/**
 * The line record as a Value Change Dump (IEEE 1364-2005 §18), for GTKWave and PulseView.
 * Signals: VCC in volts and CLK frequency in Hz as `real` variables (a CLK in cycles would be millions
 * of changes per second of virtual time), CLK_ON (clock running), RST and IO as 1-bit wires.
 * Timescale 1 ns; fractional nanoseconds round to the nearest, never going backwards.
 * Pure text generation: no Node APIs.
 */
import type { LineChange } from './line.js';

export interface VcdOptions {
  /** Levels before the first change (default: the line at power-on: VCC 0, CLK 0, RST 0, IO 1). */
  initial?: { vcc?: number; clockHz?: number; rst?: 0 | 1; io?: 0 | 1 };
  /** `$date` text; omitted by default so the output depends on the record alone. */
  date?: string;
  /** `$version` text. */
  version?: string;
  /** Scope (module) name, default "card". */
  scope?: string;
  /** Time of a final timestamp, so viewers show the last levels up to there. */
  endNs?: number;
}

const ID = Object.freeze({ vcc: '!', clkHz: '"', clkOn: '#', rst: '$', io: '%' });

function real(value: number): string {
  return Number.isFinite(value) ? String(value) : '0';
}

export function toVcd(record: readonly LineChange[], options: VcdOptions = {}): string {
  const init = options.initial ?? {};
  const scope = (options.scope ?? 'card').replace(/\s+/g, '_');
  const out: string[] = [];
  if (options.date !== undefined) out.push(`$date ${options.date} $end`);
  out.push(`$version ${options.version ?? 'ccid-reader simulated line'} $end`);
  out.push('$timescale 1 ns $end');
  out.push(`$scope module ${scope} $end`);
  out.push(`$var real 64 ${ID.vcc} VCC $end`);
  out.push(`$var real 64 ${ID.clkHz} CLK_HZ $end`);
  out.push(`$var wire 1 ${ID.clkOn} CLK_ON $end`);
  out.push(`$var wire 1 ${ID.rst} RST $end`);
  out.push(`$var wire 1 ${ID.io} IO $end`);
  out.push('$upscope $end');
  out.push('$enddefinitions $end');
  const clockHz = init.clockHz ?? 0;
  out.push('#0', '$dumpvars');
  out.push(`r${real(init.vcc ?? 0)} ${ID.vcc}`);
  out.push(`r${real(clockHz)} ${ID.clkHz}`);
  out.push(`${clockHz > 0 ? 1 : 0}${ID.clkOn}`);
  out.push(`${init.rst ?? 0}${ID.rst}`);
  out.push(`${init.io ?? 1}${ID.io}`);
  out.push('$end');
  let last = 0;
  for (const change of record) {
    const time = Math.max(last, Math.round(change.timeNs));
    if (!Number.isFinite(time)) continue;
    if (time !== last) out.push(`#${time}`);
    last = time;
    switch (change.signal) {
      case 'vcc':
        out.push(`r${real(change.value)} ${ID.vcc}`);
        break;
      case 'clk':
        out.push(`r${real(change.value)} ${ID.clkHz}`, `${change.value > 0 ? 1 : 0}${ID.clkOn}`);
        break;
      case 'rst':
        out.push(`${change.value ? 1 : 0}${ID.rst}`);
        break;
      case 'io':
        out.push(`${change.value ? 1 : 0}${ID.io}`);
        break;
    }
  }
  if (options.endNs !== undefined && Math.round(options.endNs) > last) out.push(`#${Math.round(options.endNs)}`);
  return out.join('\n') + '\n';
}
