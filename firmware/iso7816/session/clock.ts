/**
 * Clock stop (§6.3.2, CCID IccClock): CLK stops no sooner than 1860 cycles after the last character,
 * at the level the ATR's clock stop indicator asks for (low when it has no preference), and runs
 * again at least 700 cycles before the next character. A stopped clock restarts before any command
 * or new parameters.
 */
import { CLOCK_RESTART_CYCLES, CLOCK_STOP_CYCLES, cyclesToNs } from '../timing.js';
import type { SessionCore } from './core.js';

export class ClockControl {
  readonly #s: SessionCore;

  constructor(core: SessionCore) {
    this.#s = core;
  }

  /** Stop or restart CLK (state 'clock-change' meanwhile), then `then` with the slot ready. */
  change(stopped: boolean, then: () => void): void {
    const s = this.#s;
    s.go('clock-change');
    const clockHz = s.attrs.clockHz;
    if (stopped) {
      s.after(cyclesToNs(CLOCK_STOP_CYCLES, clockHz), () => {
        s.contacts.setClock(0, s.attrs.clockStop === 'high' ? 1 : 0);
        s.attrs.clockStopped = true;
        s.go('ready');
        then();
      });
      return;
    }
    s.contacts.setClock(clockHz);
    s.after(cyclesToNs(CLOCK_RESTART_CYCLES, clockHz), () => {
      s.attrs.clockStopped = false;
      s.go('ready');
      then();
    });
  }
}
