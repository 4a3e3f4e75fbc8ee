/**
 * The trace's debug categories as values, and a trace that records nothing: the runtime half of
 * hal/interfaces/trace.ts (that folder holds types only). Below everything that logs — firmware,
 * hal/moddable, hal/sim — so each imports it without an upward arrow. Runs unchanged in XS.
 */
import type { TraceCategory as TraceCategoryBit, Trace } from '../interfaces/trace.js';

/** Bit mask values, so a trace level is one number (CCID Escape "trace level"). */
export const TraceCategory = Object.freeze({
  ATR: 0x01,
  PROTOCOL: 0x02,
  CCID: 0x04,
  DRIVER: 0x08,
  ERROR: 0x10,
  PERF: 0x20,
  INFO: 0x40,
} as const satisfies Record<string, TraceCategoryBit>);
export type TraceCategory = TraceCategoryBit;

/** A trace that records nothing; the default when a board has no trace sink. */
export const silentTrace: Trace = Object.freeze({ mask: 0, log() {} });
