/**
 * Trace on the device: one line per event through XS's `trace()`, which the Moddable console
 * prints on UART0 (xsbug or a serial terminal). Bytes are formatted here, before `log` returns,
 * because the caller reuses its buffer (Trace contract).
 */
import { TraceCategory } from '../common/trace.js';
import type { Trace } from '../interfaces/trace.js';

const NAMES: Readonly<Record<number, string>> = Object.freeze({
  [TraceCategory.ATR]: 'atr',
  [TraceCategory.PROTOCOL]: 'protocol',
  [TraceCategory.CCID]: 'ccid',
  [TraceCategory.DRIVER]: 'driver',
  [TraceCategory.ERROR]: 'error',
  [TraceCategory.PERF]: 'perf',
  [TraceCategory.INFO]: 'info',
});

const HEX = '0123456789ABCDEF';
/** Longest byte dump printed; longer ones end with "…" (the console is 115 200 bit/s). */
const MAX_DUMP = 64;

export class ConsoleTrace implements Trace {
  readonly mask: number;

  constructor(mask: number) {
    this.mask = mask;
  }

  log(category: TraceCategory, text: string, bytes?: Uint8Array): void {
    if ((this.mask & category) === 0) return;
    let line = `[${NAMES[category]}] ${text}`;
    if (bytes) {
      line += ' ';
      const count = Math.min(bytes.length, MAX_DUMP);
      for (let i = 0; i < count; i++) line += HEX[bytes[i] >> 4] + HEX[bytes[i] & 0xf];
      if (bytes.length > MAX_DUMP) line += '…';
    }
    trace(line + '\n');
  }
}
