/**
 * Virtual time in step with the wall clock, for `ccid-reader serve`: the host's timeouts (libccid's
 * 3 s read, BWT-based waits, pcscd polling) are real-time, so the simulated reader must never answer
 * later than a real one would. Choice: virtual time = `scale` × wall time elapsed since start. An
 * event runs as soon as its virtual time is reached, never later; with `scale` > 1 the simulated
 * card is faster than life, which shortens tests without ever making a host time out that would not
 * on hardware. Host-only (Node timers).
 */
import type { VirtualScheduler } from '../scheduler.js';

export interface RealTimePacer {
  /** Run what is due now and re-arm the timer; call after anything that may schedule events. */
  kick(): void;
  stop(): void;
}

const NS_PER_MS = 1_000_000;

/**
 * `onError` gets an exception thrown by a simulator event (a firmware bug): the server reports it and
 * keeps serving instead of dying with every client's session.
 */
export function paceInRealTime(scheduler: VirtualScheduler, scale = 1, onError: (error: unknown) => void = (e) => { throw e; }): RealTimePacer {
  if (!(scale > 0)) throw new RangeError('time scale must be positive');
  const startWall = process.hrtime.bigint();
  const startVirtual = scheduler.now();
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;
  let running = false;

  const virtualNow = (): number => startVirtual + Number(process.hrtime.bigint() - startWall) * scale;

  const kick = (): void => {
    // Events may submit URB answers that cause new host requests synchronously; never nest.
    if (stopped || running) return;
    running = true;
    try {
      scheduler.runUntil(Math.max(virtualNow(), scheduler.now()));
    } catch (error) {
      onError(error);
    } finally {
      running = false;
    }
    if (timer !== null) clearTimeout(timer);
    timer = null;
    const next = scheduler.nextTime;
    if (next === undefined) return;
    const delayMs = Math.max(0, (next - virtualNow()) / scale / NS_PER_MS);
    timer = setTimeout(kick, Math.ceil(delayMs));
  };

  return {
    kick,
    stop: () => {
      stopped = true;
      if (timer !== null) clearTimeout(timer);
      timer = null;
    },
  };
}
