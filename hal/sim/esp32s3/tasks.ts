/**
 * The FreeRTOS tasks the drivers' code runs in on the device, as the virtual board runs them: code
 * takes no virtual time, so a task is a queue of work and a wake-up latency.
 *
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

type Work = () => void;

/** A task that runs queued work `latencyNs` after it was idle and woken. */
export class SimTask {
  readonly name: string;
  latencyNs: number;
  readonly #scheduler: VirtualScheduler;
  readonly #queue: Work[] = [];
  #head = 0;
  #scheduled = false;
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

  /** Queue `work`; it runs after the wake-up latency, or right after the work in progress. */
  post(work: Work): void {
    this.#queue.push(work);
    if (this.#scheduled || this.#running) return;
    this.#scheduled = true;
    this.#scheduler.at(this.#scheduler.now() + this.latencyNs, this.#onService);
  }

  #service(): void {
    this.#scheduled = false;
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

  /** modMessagePostToMachine(FromISR): 0 when queued, -1 when the queue is full (from an ISR). */
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
    });
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
