/**
 * Virtual time against the wall clock, for `ccid-reader serve`. Two modes:
 * - a scale X: virtual time = X × wall time elapsed since start. An event runs as soon as its virtual
 *   time is reached, never later, so the host's real-time timeouts (libccid's reads, BWT-based waits,
 *   pcscd polling) behave as with a real reader, X times faster;
 * - `max`: every event runs as soon as the CPU gets to it; virtual time moves only from event to
 *   event, so while nothing is pending it stands still instead of racing ahead of the wall clock.
 * Either way the simulator yields to the host's I/O at least every SLICE_MS of CPU, so a busy
 * simulation never starves the USB/IP socket. Host-only (Node timers).
 */
import type { VirtualScheduler } from '../scheduler.js';

export type TimeScale = number | 'max';

export interface RealTimePacer {
  /** Run what is due now and re-arm the timer; call after anything that may schedule events. */
  kick(): void;
  stop(): void;
}

/**
 * The scales a wall-clock-paced simulator can keep. Below MIN_TIME_SCALE an activation and ATR take
 * minutes and the host gives up on the power-on; above MAX_TIME_SCALE the simulator cannot keep pace
 * (a short APDU costs more CPU than a thousandth of its virtual duration), so a larger scale would
 * only let virtual time run ahead while idle: `max` is what such a scale asks for.
 */
export const MIN_TIME_SCALE = 1e-3;
export const MAX_TIME_SCALE = 1e3;

/** `--time-scale X|max`: the scale, or why it cannot work. */
export function parseTimeScale(text: string): TimeScale | { error: string } {
  if (text === 'max') return 'max';
  const scale = Number(text);
  if (text.trim() === '' || !Number.isFinite(scale) || !(scale > 0)) return { error: `expected a positive number or 'max', not '${text}'` };
  if (scale < MIN_TIME_SCALE) return { error: `${text} is below ${MIN_TIME_SCALE}: the card's activation would take minutes and the host would give up` };
  if (scale > MAX_TIME_SCALE) {
    return { error: `${text} is above ${MAX_TIME_SCALE}: the simulator cannot keep that pace, it would only let virtual time run ahead while idle; use 'max' to run as fast as the CPU allows` };
  }
  return scale;
}

const NS_PER_MS = 1_000_000;
/** Longest stretch of simulation between two looks at the host's I/O. */
const SLICE_MS = 20;
/** Events run between two looks at the wall clock (one clock reading per event would cost more than most events). */
const BATCH = 256;

/**
 * `onError` gets an exception thrown by a simulator event (a firmware bug): the server reports it and
 * keeps serving instead of dying with every client's session.
 */
export function paceInRealTime(scheduler: VirtualScheduler, scale: TimeScale = 1, onError: (error: unknown) => void = (e) => { throw e; }): RealTimePacer {
  if (scale !== 'max' && !(scale > 0 && Number.isFinite(scale))) throw new RangeError('time scale must be positive');
  const startWall = process.hrtime.bigint();
  const startVirtual = scheduler.now();
  let timer: NodeJS.Timeout | null = null;
  let immediate: NodeJS.Immediate | null = null;
  let stopped = false;
  let running = false;

  const wallMs = (): number => Number(process.hrtime.bigint() - startWall) / NS_PER_MS;
  const virtualNow = (): number => startVirtual + wallMs() * NS_PER_MS * (scale as number);

  /** Run events (all of them, or those due by the scaled clock) for at most SLICE_MS; true when some remain due. */
  const runSlice = (): boolean => {
    const sliceEnd = wallMs() + SLICE_MS;
    for (;;) {
      const limit = scale === 'max' ? Infinity : Math.max(virtualNow(), scheduler.now());
      scheduler.runUntilIdle(limit, BATCH);
      const next = scheduler.nextTime;
      if (next === undefined || next > limit) {
        if (scale !== 'max') scheduler.runUntil(limit);
        return false;
      }
      if (wallMs() >= sliceEnd) return true;
    }
  };

  const kick = (): void => {
    // Events may submit URB answers that cause new host requests synchronously; never nest.
    if (stopped || running) return;
    running = true;
    let more = false;
    try {
      more = runSlice();
    } catch (error) {
      onError(error);
      more = true;
    } finally {
      running = false;
    }
    if (timer !== null) clearTimeout(timer);
    timer = null;
    if (more) {
      // Let the host's I/O in, then go on.
      immediate ??= setImmediate(() => {
        immediate = null;
        kick();
      });
      return;
    }
    const next = scheduler.nextTime;
    if (next === undefined || scale === 'max') return;
    const delayMs = Math.max(0, (next - virtualNow()) / scale / NS_PER_MS);
    timer = setTimeout(kick, Math.ceil(delayMs));
  };

  return {
    kick,
    stop: () => {
      stopped = true;
      if (timer !== null) clearTimeout(timer);
      if (immediate !== null) clearImmediate(immediate);
      timer = null;
      immediate = null;
    },
  };
}
