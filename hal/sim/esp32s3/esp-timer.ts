/**
 * esp_timer (ESP-IDF v6.0.2 components/esp_timer: esp_timer.c, the systimer implementation) as
 * scheduler.c uses it: one-shot timers whose callbacks run in the esp_timer task. At expiry the
 * systimer alarm interrupt (after the interrupt latency) wakes the esp_timer task (priority 22, above
 * every other task here: it runs at once) and the task calls each expired timer's callback. As in
 * esp_timer.c, starting an armed timer, stopping or deleting one that is not in the right state
 * returns ESP_ERR_INVALID_STATE; time is esp_timer_get_time's, microseconds since boot.
 */
import type { VirtualScheduler } from '../scheduler.js';
import type { InterruptController } from './intc.js';
import type { SimTask } from './tasks.js';

const ESP_OK = 0;
const ESP_ERR_INVALID_ARG = 0x102;
const ESP_ERR_INVALID_STATE = 0x103;

interface EspTimer {
  readonly callback: number;
  readonly arg: number;
  /** The scheduler event of the armed expiry, or undefined. */
  event: number | undefined;
}

export class EspTimers {
  readonly #scheduler: VirtualScheduler;
  readonly #intc: InterruptController;
  readonly #task: SimTask;
  readonly #call: (callback: number, arg: number) => void;
  readonly #timers = new Map<number, EspTimer>();
  #next = 1;

  constructor(scheduler: VirtualScheduler, intc: InterruptController, task: SimTask, call: (callback: number, arg: number) => void) {
    this.#scheduler = scheduler;
    this.#intc = intc;
    this.#task = task;
    this.#call = call;
  }

  /** esp_timer_get_time. */
  nowUs(): bigint {
    return BigInt(Math.floor(this.#scheduler.now() / 1000));
  }

  /** esp_timer_create (ESP_TIMER_TASK dispatch): a handle, 0 when refused. */
  create(callback: number, arg: number, dispatch: number): number {
    if (callback === 0 || dispatch !== 0) return 0;
    const handle = this.#next++;
    this.#timers.set(handle, { callback, arg, event: undefined });
    return handle;
  }

  startOnce(handle: number, timeoutUs: bigint): number {
    const t = this.#timers.get(handle);
    if (t === undefined) return ESP_ERR_INVALID_ARG;
    if (t.event !== undefined) return ESP_ERR_INVALID_STATE;
    // The alarm is set on the microsecond count: now (whole µs) + the timeout.
    const at = (Number(this.nowUs()) + Number(timeoutUs)) * 1000;
    t.event = this.#scheduler.at(Math.max(at, this.#scheduler.now()), () => {
      t.event = undefined;
      // The systimer interrupt, then the esp_timer task it wakes (which yields to it at once).
      this.#scheduler.at(this.#scheduler.now() + this.#intc.latencyNs, () => this.#task.post(() => {
        if (this.#timers.get(handle) === t) this.#call(t.callback, t.arg);
      }));
    });
    return ESP_OK;
  }

  stop(handle: number): number {
    const t = this.#timers.get(handle);
    if (t === undefined) return ESP_ERR_INVALID_ARG;
    if (t.event === undefined) return ESP_ERR_INVALID_STATE;
    this.#scheduler.cancel(t.event);
    t.event = undefined;
    return ESP_OK;
  }

  delete(handle: number): number {
    const t = this.#timers.get(handle);
    if (t === undefined) return ESP_ERR_INVALID_ARG;
    if (t.event !== undefined) return ESP_ERR_INVALID_STATE;
    this.#timers.delete(handle);
    return ESP_OK;
  }
}
