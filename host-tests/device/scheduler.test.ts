/**
 * The device Scheduler (hal/moddable/scheduler.ts): nanoseconds from the microsecond clock,
 * callbacks from scheduler.c's one-shot microsecond timer that is never early, in time order, never
 * inside at().
 */
import test from 'ava';
import type { Scheduler } from '../../hal/interfaces/scheduler.js';
import { loadDeviceModule, natives, timers } from './xs-natives.js';

let clockUs = 0;
natives({ xs_scheduler_microseconds: () => clockUs });

async function scheduler(): Promise<Scheduler> {
  const { Esp32Scheduler } = await loadDeviceModule<{ Esp32Scheduler: new () => Scheduler }>('scheduler');
  return new Esp32Scheduler();
}

/** Fire the newest live timer, after moving the clock to its due time. */
function fire(): void {
  const live = timers().filter((timer) => !timer.cleared);
  const timer = live[live.length - 1];
  timer.cleared = true;
  timer.callback();
}

test.serial('now() is the microsecond counter in nanoseconds', async (t) => {
  const s = await scheduler();
  clockUs = 1_234_567;
  t.is(s.now(), 1_234_567_000);
});

test.serial('callbacks run in time order, FIFO for equal times, never inside at(), never before their time', async (t) => {
  const s = await scheduler();
  clockUs = 0;
  const ran: string[] = [];
  s.at(2_500_000, () => ran.push('b'));
  s.at(1_000_000, () => ran.push('a1'));
  s.at(1_000_000, () => ran.push('a2'));
  s.at(-5, () => ran.push('late'));
  t.deepEqual(ran, []);
  const armed = timers().filter((timer) => !timer.cleared);
  t.is(armed[armed.length - 1].delayMs, 0);
  clockUs = 999;
  fire();
  t.deepEqual(ran, ['late']);
  clockUs = 1_000;
  fire();
  t.deepEqual(ran, ['late', 'a1', 'a2']);
  const rearmed = timers().filter((timer) => !timer.cleared);
  t.is(rearmed[rearmed.length - 1].delayMs, 1.5, '1.5 ms ahead: 1500 µs, not rounded to whole milliseconds');
  clockUs = 2_500;
  fire();
  t.deepEqual(ran, ['late', 'a1', 'a2', 'b']);
});

test.serial('cancel() forgets a pending callback; unknown handles are ignored', async (t) => {
  const s = await scheduler();
  clockUs = 0;
  const ran: string[] = [];
  const handle = s.at(1_000_000, () => ran.push('x'));
  s.at(1_000_000, () => ran.push('y'));
  s.cancel(handle);
  s.cancel(9999);
  clockUs = 1_000;
  fire();
  t.deepEqual(ran, ['y']);
});

test.serial('a time between two microseconds waits for the later one (never early)', async (t) => {
  const s = await scheduler();
  clockUs = 10;
  s.at(10_000 + 1_234_500, () => undefined);
  const armed = timers().filter((timer) => !timer.cleared);
  t.is(armed[armed.length - 1].delayMs, 1.235);
});
