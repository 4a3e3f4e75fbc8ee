/**
 * Event logging with debug categories, modelled on a reader driver's debug levels.
 * Categories form a bit mask so a trace level can be set as one number (CCID Escape "trace level").
 * Types only, like the rest of hal/interfaces.
 */
/**
 * One debug category, a bit of the trace mask: ATR 0x01, PROTOCOL 0x02, CCID 0x04, DRIVER 0x08,
 * ERROR 0x10, PERF 0x20, INFO 0x40. Their names as values are in hal/common/trace.ts.
 */
export type TraceCategory = 0x01 | 0x02 | 0x04 | 0x08 | 0x10 | 0x20 | 0x40;

export interface Trace {
  /** Bit mask of enabled categories; callers test it before building a message. */
  readonly mask: number;
  /**
   * Record one event. `text` is a short human sentence; `bytes`, when given, is a view that the
   * trace must copy or format before returning (the caller reuses its buffer).
   */
  log(category: TraceCategory, text: string, bytes?: Uint8Array): void;
  /** Change the mask (CCID Escape SET_TRACE_LEVEL). Optional: a fixed trace leaves it out. */
  setMask?(mask: number): void;
}
