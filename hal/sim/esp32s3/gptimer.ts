/**
 * The general-purpose timers of the ESP32-S3 (ESP32-S3 TRM, Timer Group (TIMG): a 54-bit counter
 * after a 16-bit prescaler of the 80 MHz APB clock, an alarm comparator, one interrupt per timer) as
 * ESP-IDF v6's GPTimer driver presents them (components/esp_driver_gptimer: gptimer_new_timer →
 * "init", gptimer_enable → "enable", gptimer_start → "run"; the driver's own ISR reads the count,
 * clears the interrupt and calls on_alarm with {count_value, alarm_value}).
 *
 * Kept from the TRM: an alarm set to a count the timer has already passed fires at once ("the
 * hardware triggers the alarm immediately if the timer value is past the alarm value when the alarm
 * is enabled"); an alarm fires once and is disabled until set again, unless it reloads. The count
 * read in the handler is the count when the handler runs, after the interrupt latency.
 */
import type { VirtualScheduler } from '../scheduler.js';
import type { InterruptController } from './intc.js';

/** ESP-IDF soc/interrupts.h: TIMG0 timer 0 onwards (the driver takes a free timer). */
const FIRST_TIMER_SOURCE = 50;
const TIMERS = 4;
const APB_HZ = 80_000_000;
/** Rounding guard when turning elapsed virtual time into ticks (virtual time is a double). */
const EPSILON = 1e-6;

type State = 'init' | 'enable' | 'run';

export interface AlarmCall {
  (callback: number, handle: number, count: bigint, alarm: bigint, context: number): void;
}

class Timer {
  readonly handle: number;
  readonly source: number;
  readonly tickNs: number;
  state: State = 'init';
  /** Count at `since` (the last start, stop or reload); counting only in "run". */
  base = 0;
  since = 0;
  callback = 0;
  context = 0;
  alarm: { count: number; reload: number; autoReload: boolean } | null = null;
  alarmEvent: number | undefined;
  /** The alarm value of the last alarm that fired (reported to on_alarm when no alarm is set any more). */
  lastAlarm = 0;
  /** The interrupt status bit (raw): set by the alarm, cleared by the ISR. */
  raised = false;
  /** Interrupt handle while enabled. */
  vector = 0;

  constructor(handle: number, source: number, resolutionHz: number) {
    this.handle = handle;
    this.source = source;
    this.tickNs = 1e9 / resolutionHz;
  }
}

export class GpTimerGroup {
  readonly #scheduler: VirtualScheduler;
  readonly #intc: InterruptController;
  readonly #callAlarm: AlarmCall;
  readonly #timers = new Map<number, Timer>();
  /** The timer using each hardware timer (index: source − FIRST_TIMER_SOURCE). */
  readonly #bySource: (Timer | undefined)[] = [];
  #nextHandle = 1;

  constructor(scheduler: VirtualScheduler, intc: InterruptController, callAlarm: AlarmCall) {
    this.#scheduler = scheduler;
    this.#intc = intc;
    this.#callAlarm = callAlarm;
    for (let i = 0; i < TIMERS; i++) {
      const source = FIRST_TIMER_SOURCE + i;
      intc.connect(source, () => this.#bySource[i]?.raised ?? false);
    }
  }

  /** gptimer_new_timer: a free hardware timer, its prescaler set for `resolutionHz` (0: none left or not exact). */
  create(clockSource: number, direction: number, resolutionHz: number): number {
    if (direction !== 1 || !(resolutionHz > 0) || APB_HZ % resolutionHz !== 0) return 0;
    const prescale = APB_HZ / resolutionHz;
    if (prescale < 2 || prescale > 65536) return 0;
    void clockSource;
    let index = 0;
    while (index < TIMERS && this.#bySource[index] !== undefined) index++;
    if (index === TIMERS) return 0;
    const handle = this.#nextHandle++;
    const timer = new Timer(handle, FIRST_TIMER_SOURCE + index, resolutionHz);
    this.#bySource[index] = timer;
    this.#timers.set(handle, timer);
    return handle;
  }

  #timer(handle: number): Timer {
    const t = this.#timers.get(handle);
    if (t === undefined) throw new Error(`GPTimer: no timer ${handle}`);
    return t;
  }

  delete(handle: number): number {
    const t = this.#timer(handle);
    if (t.state !== 'init') return -1;
    this.#cancel(t);
    this.#timers.delete(handle);
    this.#bySource[t.source - FIRST_TIMER_SOURCE] = undefined;
    return 0;
  }

  register(handle: number, callback: number, context: number): number {
    const t = this.#timer(handle);
    if (t.state !== 'init') return -1;
    t.callback = callback;
    t.context = context;
    return 0;
  }

  enable(handle: number): number {
    const t = this.#timer(handle);
    if (t.state !== 'init') return -1;
    t.state = 'enable';
    t.vector = this.#intc.allocate(t.source, () => this.#isr(t));
    return 0;
  }

  disable(handle: number): number {
    const t = this.#timer(handle);
    if (t.state !== 'enable') return -1;
    t.state = 'init';
    if (t.vector) this.#intc.release(t.vector);
    t.vector = 0;
    return 0;
  }

  start(handle: number): number {
    const t = this.#timer(handle);
    if (t.state !== 'enable') return -1;
    t.since = this.#scheduler.now();
    t.state = 'run';
    this.#arm(t);
    return 0;
  }

  stop(handle: number): number {
    const t = this.#timer(handle);
    if (t.state !== 'run') return -1;
    t.base = this.#count(t);
    t.since = this.#scheduler.now();
    t.state = 'enable';
    this.#cancel(t);
    return 0;
  }

  /** gptimer_get_raw_count. */
  count(handle: number): number {
    return this.#count(this.#timer(handle));
  }

  /** gptimer_set_alarm_action (null: no alarm). */
  setAlarm(handle: number, alarm: { count: number; reload: number; autoReload: boolean } | null): number {
    const t = this.#timer(handle);
    t.alarm = alarm;
    this.#arm(t);
    return 0;
  }

  #count(t: Timer): number {
    if (t.state !== 'run') return t.base;
    return t.base + Math.floor((this.#scheduler.now() - t.since) / t.tickNs + EPSILON);
  }

  #cancel(t: Timer): void {
    if (t.alarmEvent !== undefined) this.#scheduler.cancel(t.alarmEvent);
    t.alarmEvent = undefined;
  }

  #arm(t: Timer): void {
    this.#cancel(t);
    if (t.state !== 'run' || t.alarm === null) return;
    const at = t.since + (t.alarm.count - t.base) * t.tickNs;
    t.alarmEvent = this.#scheduler.at(at, () => this.#fire(t));
  }

  #fire(t: Timer): void {
    t.alarmEvent = undefined;
    const alarm = t.alarm;
    if (alarm === null) return;
    if (alarm.autoReload) {
      t.base = alarm.reload;
      t.since = this.#scheduler.now();
      this.#arm(t);
    } else {
      t.alarm = null;
    }
    t.lastAlarm = alarm.count;
    t.raised = true;
    this.#intc.update(t.source);
  }

  /** ESP-IDF's GPTimer ISR: clear the status, call on_alarm with the count now and the alarm value. */
  #isr(t: Timer): void {
    t.raised = false;
    if (t.callback === 0) return;
    const alarm = t.alarm?.count ?? t.lastAlarm;
    this.#callAlarm(t.callback, t.handle, BigInt(this.#count(t)), BigInt(alarm), t.context);
  }
}
