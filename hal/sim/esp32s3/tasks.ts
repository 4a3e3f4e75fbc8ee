/**
 * The FreeRTOS tasks the drivers' code runs in on the device, as the virtual board runs them: code
 * takes no virtual time, so a task is a queue of work and a wake-up latency.
 *
 * - When a task runs after it is made ready (ESP-IDF FreeRTOS, Xtensa port): a task made ready by
 *   another task runs as soon as that task blocks (the latency: a context switch). A task made ready
 *   from an interrupt handler runs when the handler returns only if the handler asked for a switch
 *   (portYIELD_FROM_ISR → _frxt_setup_switch, "a task switch is required on return from interrupt
 *   handling", portasm.S; a GPTimer on_alarm callback returning true does it through ESP-IDF's
 *   GPTimer ISR); otherwise it waits for the next scheduling point, the tick interrupt at the latest
 *   (CONFIG_FREERTOS_HZ=1000 in Moddable's ESP32-S3 sdkconfig.defaults: every 1 ms) — while the CPU
 *   idles in WAITI, nothing else switches tasks.
 * - The XS task (Moddable xs/platforms/esp/xsHost.c): messages posted with modMessagePostToMachine
 *   (copied) or modMessagePostToMachineFromISR go to one queue of MODDEF_TASK_QUEUELENGTH (10)
 *   entries, delivered in order on the XS task. From an interrupt, a full queue drops the message
 *   and the call returns -1; from a task, the real call blocks until there is room (the model
 *   counts that instead: code cannot be suspended here).
 * - The TinyUSB task (esp_tinyusb's tud_task loop): bus events and usbd_defer_func work, in order.
 * - Spinlock critical sections (portENTER_CRITICAL…): counted, and checked balanced after every
 *   handler and task step, so a driver path that leaves one held fails loudly.
 */
import type { VirtualScheduler } from '../scheduler.js';

/** MODDEF_TASK_QUEUELENGTH's default in xsHost.c. */
export const XS_QUEUE_LENGTH = 10;
/** The FreeRTOS tick period: CONFIG_FREERTOS_HZ=1000. */
export const FREERTOS_TICK_NS = 1_000_000;

/** How a task was made ready: by a task (or a handler that asks for a switch), or by a handler that does not. */
export type Wake = 'switch' | 'tick';

type Work = () => void;

/** A task that runs queued work `latencyNs` after it was idle and woken. */
export class SimTask {
  readonly name: string;
  latencyNs: number;
  readonly #scheduler: VirtualScheduler;
  readonly #queue: Work[] = [];
  #head = 0;
  /** The pending run: its time and scheduler handle (undefined: none). */
  #runAt = Infinity;
  #event: number | undefined;
  #running = false;
  readonly #after: () => void;
  readonly #onService = (): void => this.#service();

  constructor(name: string, scheduler: VirtualScheduler, latencyNs: number, after: () => void) {
    this.name = name;
    this.#scheduler = scheduler;
    this.latencyNs = latencyNs;
    this.#after = after;
  }

  get queued(): number {
    return this.#queue.length - this.#head;
  }

  /**
   * Queue `work`; it runs right after the work in progress, or when the task is next switched to:
   * after the latency (`switch`), or at the next tick and then the latency (`tick`).
   */
  post(work: Work, wake: Wake = 'switch'): void {
    this.#queue.push(work);
    if (this.#running) return;
    const now = this.#scheduler.now();
    const at = (wake === 'switch' ? now : (Math.floor(now / FREERTOS_TICK_NS) + 1) * FREERTOS_TICK_NS) + this.latencyNs;
    this.#runBy(at);
  }

  /** A scheduling point (a switch on return from an interrupt): the task, if it has work, runs now. */
  wake(): void {
    if (this.#running || this.queued === 0) return;
    this.#runBy(this.#scheduler.now() + this.latencyNs);
  }

  #runBy(at: number): void {
    if (at >= this.#runAt) return;
    if (this.#event !== undefined) this.#scheduler.cancel(this.#event);
    this.#runAt = at;
    this.#event = this.#scheduler.at(at, this.#onService);
  }

  #service(): void {
    this.#event = undefined;
    this.#runAt = Infinity;
    this.#running = true;
    try {
      while (this.#head < this.#queue.length) {
        const work = this.#queue[this.#head++];
        work();
        this.#after();
      }
    } finally {
      this.#queue.length = 0;
      this.#head = 0;
      this.#running = false;
    }
  }
}

/** The XS task's message queue on top of a SimTask. */
export class XsMessageQueue {
  readonly task: SimTask;
  /** Posts from an interrupt handler refused because the queue was full. */
  droppedFromIsr = 0;
  /** Posts from a task that found the queue full (the real call would have blocked). */
  wouldBlock = 0;
  #pending = 0;

  constructor(task: SimTask) {
    this.task = task;
  }

  /**
   * modMessagePostToMachine(FromISR): 0 when queued, -1 when the queue is full (from an ISR). xsHost.c
   * posts from an ISR without asking for a switch (xQueueSendToBackFromISR's woken flag is ignored).
   */
  post(deliver: () => void, fromIsr: boolean): number {
    if (this.#pending >= XS_QUEUE_LENGTH) {
      if (fromIsr) {
        this.droppedFromIsr++;
        return -1;
      }
      this.wouldBlock++;
    }
    this.#pending++;
    this.task.post(() => {
      this.#pending--;
      deliver();
    }, fromIsr ? 'tick' : 'switch');
    return 0;
  }
}

export class CriticalSections {
  #depth = 0;

  enter(): number {
    this.#depth++;
    return 1; // pdPASS: a single-threaded model never spins
  }

  exit(): void {
    if (this.#depth === 0) throw new Error('portEXIT_CRITICAL without portENTER_CRITICAL');
    this.#depth--;
  }

  /** After an interrupt handler or a task step: every critical section entered was left. */
  check(where: string): void {
    if (this.#depth !== 0) {
      this.#depth = 0;
      throw new Error(`${where} returned inside a critical section`);
    }
  }
}
