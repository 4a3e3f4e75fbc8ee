/**
 * The line record as a Value Change Dump (IEEE 1364-2005 §18), for GTKWave, PulseView and sigrok-cli.
 * Every variable is a 1-bit wire: the VCD reader of libsigrok 0.5 (Debian 12's sigrok-cli and
 * PulseView) keeps only scalar wires and silently drops `real`, `integer` and vector variables.
 *
 *   VCC        1 while the card is supplied (contact C1)
 *   VCC_<v>    one per supply voltage the record holds, 1 while VCC is at it: VCC_1V8, VCC_3V, VCC_5V
 *              (the class C, B and A voltages of ISO/IEC 7816-3 §5.1.3 as the board supplies them)
 *   CLK_ON     1 while CLK runs (contact C3); the clock's own edges are not drawn: at 4 MHz they would
 *              be 8 million changes per second of virtual time
 *   CLK_<f>    one per clock frequency the record holds, 1 while CLK runs at it: CLK_4M, CLK_3M5712
 *              (MHz, the decimal point written as M), so the rate f·D/F of the I/O line can be read off
 *   RST, IO    contacts C2 and C7
 *
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

/** 1.8 → "1V8", 3 → "3V", 5 → "5V": the unit letter stands for the decimal point (IEC 60062). */
function unitName(value: number, unit: string): string {
  const [whole, fraction] = String(value).split('.');
  return `${whole}${unit}${fraction ?? ''}`;
}

export const vccName = (volts: number): string => `VCC_${unitName(volts, 'V')}`;
export const clockName = (hz: number): string => `CLK_${unitName(hz / 1e6, 'M')}`;

/** VCD identifier codes: printable ASCII from '!' (IEEE 1364-2005 §18.2.3.7). */
function identifier(index: number): string {
  let code = '';
  let n = index;
  do {
    code += String.fromCharCode(33 + (n % 94));
    n = Math.floor(n / 94) - 1;
  } while (n >= 0);
  return code;
}

const usable = (value: number): boolean => Number.isFinite(value) && value > 0;

export function toVcd(record: readonly LineChange[], options: VcdOptions = {}): string {
  const init = options.initial ?? {};
  const initialVcc = init.vcc ?? 0;
  const initialClock = init.clockHz ?? 0;
  const volts = new Set<number>(usable(initialVcc) ? [initialVcc] : []);
  const clocks = new Set<number>(usable(initialClock) ? [initialClock] : []);
  for (const change of record) {
    if (change.signal === 'vcc' && usable(change.value)) volts.add(change.value);
    if (change.signal === 'clk' && usable(change.value)) clocks.add(change.value);
  }
  const names = ['VCC', ...[...volts].sort((a, b) => a - b).map(vccName), 'CLK_ON', ...[...clocks].sort((a, b) => a - b).map(clockName), 'RST', 'IO'];
  const id = new Map(names.map((name, i) => [name, identifier(i)]));
  const wire = (name: string, level: boolean): string => `${level ? 1 : 0}${id.get(name)}`;

  const scope = (options.scope ?? 'card').replace(/\s+/g, '_');
  const out: string[] = [];
  if (options.date !== undefined) out.push(`$date ${options.date} $end`);
  out.push(`$version ${options.version ?? 'ccid-reader simulated line'} $end`);
  out.push('$timescale 1 ns $end');
  out.push(`$scope module ${scope} $end`);
  for (const name of names) out.push(`$var wire 1 ${id.get(name)} ${name} $end`);
  out.push('$upscope $end');
  out.push('$enddefinitions $end');

  // A supply or clock change switches the old value's wire off and the new one's on.
  let vcc = usable(initialVcc) ? initialVcc : 0;
  let clock = usable(initialClock) ? initialClock : 0;
  const setVcc = (value: number): void => {
    const next = usable(value) ? value : 0;
    if (next === vcc) return;
    if (vcc > 0) out.push(wire(vccName(vcc), false));
    if (next > 0) out.push(wire(vccName(next), true));
    if ((vcc > 0) !== (next > 0)) out.push(wire('VCC', next > 0));
    vcc = next;
  };
  const setClock = (value: number): void => {
    const next = usable(value) ? value : 0;
    if (next === clock) return;
    if (clock > 0) out.push(wire(clockName(clock), false));
    if (next > 0) out.push(wire(clockName(next), true));
    if ((clock > 0) !== (next > 0)) out.push(wire('CLK_ON', next > 0));
    clock = next;
  };

  out.push('#0', '$dumpvars');
  for (const name of names) {
    const level = name === 'VCC' ? vcc > 0 : name === 'CLK_ON' ? clock > 0 : name === 'RST' ? init.rst === 1 : name === 'IO' ? (init.io ?? 1) === 1
      : name === vccName(vcc) || name === clockName(clock);
    out.push(wire(name, level));
  }
  out.push('$end');
  let last = 0;
  for (const change of record) {
    const time = Math.max(last, Math.round(change.timeNs));
    if (!Number.isFinite(time)) continue;
    if (time !== last) out.push(`#${time}`);
    last = time;
    switch (change.signal) {
      case 'vcc':
        setVcc(change.value);
        break;
      case 'clk':
        setClock(change.value);
        break;
      case 'rst':
        out.push(wire('RST', change.value !== 0));
        break;
      case 'io':
        out.push(wire('IO', change.value !== 0));
        break;
    }
  }
  if (options.endNs !== undefined && Math.round(options.endNs) > last) out.push(`#${Math.round(options.endNs)}`);
  return out.join('\n') + '\n';
}
