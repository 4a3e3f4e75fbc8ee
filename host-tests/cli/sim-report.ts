/**
 * What one `ccid-reader sim` run found out, and its `--json` form (the contract: field names and order
 * are a contract).
 */
import type { ScriptStatus } from '../../hal/sim/card.js';
import { toHex } from '../../hal/sim/hex.js';

export interface SimExchange {
  command: Uint8Array;
  response: Uint8Array | null;
  /** CCID bError name (ICC_MUTE, XFR_PARITY_ERROR, …) or null. */
  error: string | null;
  startNs: number;
  endNs: number;
  /** Time extensions the reader sent while the card worked (CCID bmCommandStatus 2). */
  timeExtensions: number;
}

export interface SimReport {
  card: string;
  description: string;
  atr: Uint8Array | null;
  /** Why IccPowerOn failed, or null. */
  powerOnError: string | null;
  protocol: 0 | 1 | null;
  /** Fi and Di values in force after protocol set-up (372 and 1 until a PPS or specific mode says otherwise). */
  fi: number;
  di: number;
  clockHz: number;
  exchanges: SimExchange[];
  script: ScriptStatus | null;
}

function us(ns: number): number {
  // Virtual time is exact to the nanosecond; keep that precision in µs without float noise.
  return Math.round(ns) / 1000;
}

export function simReportToJson(r: SimReport): Record<string, unknown> {
  return {
    card: r.card,
    atr: r.atr === null ? null : toHex(r.atr),
    protocol: r.protocol,
    fi: r.fi,
    di: r.di,
    clockHz: r.clockHz,
    exchanges: r.exchanges.map((x) => ({
      command: toHex(x.command),
      response: x.response === null ? null : toHex(x.response),
      error: x.error,
      startUs: us(x.startNs),
      endUs: us(x.endNs),
    })),
    script: r.script === null ? null : { completed: r.script.completed, failedStep: r.script.failedStep, reason: r.script.reason },
  };
}
