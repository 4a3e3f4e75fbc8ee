/**
 * The Slot contract (hal/interfaces/slot.ts), checked on every implementation the CCID class can be
 * given: the firmware's ISO 7816-3 session on the simulated board, and the simulated slot that CCID
 * tests put in its place (hal/sim/sim-slot.ts). Results always come from the scheduler's loop and
 * exactly once; a slot refuses what its state does not allow; removal, power-off and abort end what
 * is pending; presence changes are reported.
 */
import test from 'ava';
import type { PowerOnResult, ReaderState, Slot, TransmitResult } from '../../hal/interfaces/slot.js';
import { findCard } from '../../hal/sim/cards/registry.js';
import { VirtualScheduler } from '../../hal/sim/scheduler.js';
import { SimSlot } from '../../hal/sim/sim-slot.js';
import { bytes, rig } from './rig.js';

/** One slot implementation with a card socket the test can work. */
interface Fixture {
  readonly slot: Slot;
  run(ns: number): void;
  insert(): void;
  remove(): void;
  /** The power lines: whether VCC is on now. */
  readonly powered: boolean;
}

/** A command every card here answers with SW 90 00: SELECT MF. */
const SELECT_MF = '00A4000C023F00';

const IMPLEMENTATIONS: Record<string, (present: boolean) => Fixture> = {
  'ISO 7816-3 session (firmware) on the simulated board': (present) => {
    const card = () => findCard('t1')!.create(1);
    const r = rig(present ? card() : null, { classes: ['A'] });
    return {
      slot: r.slot,
      run: (ns) => r.run(ns),
      insert: () => r.board.insert(card()),
      remove: () => r.board.remove(),
      get powered() {
        return r.changes('vcc').at(-1)?.value === 1;
      },
    };
  },
  'simulated slot (hal/sim/sim-slot.ts)': (present) => {
    const scheduler = new VirtualScheduler();
    const slot = new SimSlot({ scheduler, present });
    return {
      slot,
      run: (ns) => scheduler.runUntil(scheduler.now() + ns),
      insert: () => slot.insert(),
      remove: () => slot.remove(),
      get powered() {
        return slot.attributes.voltage !== null;
      },
    };
  },
};

/** Collects every call of a callback, to see it come once and from the loop. */
function recorder<T>(): { calls: T[]; done: (value: T) => void } {
  const calls: T[] = [];
  return { calls, done: (value) => calls.push(value) };
}

/** A present, unpowered card in either reader-driver model (friction socket: SWALLOWED). */
const UNPOWERED: readonly ReaderState[] = ['PRESENT', 'SWALLOWED'];

for (const [name, make] of Object.entries(IMPLEMENTATIONS)) {
  const powerOn = (f: Fixture): PowerOnResult => {
    const r = recorder<PowerOnResult>();
    f.slot.powerOn('auto', r.done);
    f.run(2e9);
    if (r.calls.length !== 1) throw new Error(`powerOn answered ${r.calls.length} times`);
    return r.calls[0];
  };

  test(`${name}: powerOn without a card → ICC_MUTE, once, from the loop; state ABSENT`, (t) => {
    const f = make(false);
    const r = recorder<PowerOnResult>();
    f.slot.powerOn('auto', r.done);
    t.deepEqual(r.calls, [], 'not inside the call');
    f.run(1e9);
    t.deepEqual(r.calls, [{ error: 'ICC_MUTE', atr: null }]);
    t.is(f.slot.attributes.state, 'ABSENT');
    t.false(f.slot.present);
    t.false(f.powered);
  });

  test(`${name}: a command on an unpowered card → ICC_MUTE, once, from the loop, nothing powered`, (t) => {
    const f = make(true);
    f.run(50e6);
    const r = recorder<TransmitResult>();
    f.slot.transmitApdu(bytes(SELECT_MF), r.done);
    t.deepEqual(r.calls, []);
    f.run(1e9);
    t.deepEqual(r.calls, [{ error: 'ICC_MUTE', response: null }]);
    t.false(f.powered);
  });

  test(`${name}: during an activation a second powerOn and a command get CMD_SLOT_BUSY; the activation goes on`, (t) => {
    const f = make(true);
    f.run(50e6);
    const first = recorder<PowerOnResult>();
    const second = recorder<PowerOnResult>();
    const command = recorder<TransmitResult>();
    f.slot.powerOn('auto', first.done);
    f.slot.powerOn('auto', second.done);
    f.slot.transmitApdu(bytes(SELECT_MF), command.done);
    t.deepEqual([first.calls, second.calls, command.calls], [[], [], []]);
    f.run(1e6);
    t.deepEqual(second.calls, [{ error: 'CMD_SLOT_BUSY', atr: null }]);
    t.deepEqual(command.calls, [{ error: 'CMD_SLOT_BUSY', response: null }]);
    t.is(f.slot.attributes.state, 'POWERED', 'activation in progress');
    f.run(2e9);
    t.is(first.calls.length, 1);
    t.is(first.calls[0].error, null);
    t.true(first.calls[0].atr !== null && first.calls[0].atr.length >= 2);
    t.is(f.slot.attributes.state, 'SPECIFIC');
  });

  test(`${name}: after powerOn a command gets its response; powerOn again (a warm reset) gives the ATR again`, (t) => {
    const f = make(true);
    f.run(50e6);
    const atr = powerOn(f).atr;
    const r = recorder<TransmitResult>();
    f.slot.transmitApdu(bytes(SELECT_MF), r.done);
    f.run(2e9);
    t.is(r.calls.length, 1);
    t.is(r.calls[0].error, null);
    t.deepEqual(r.calls[0].response?.subarray(-2), bytes('9000'));
    t.deepEqual(powerOn(f), { error: null, atr });
  });

  test(`${name}: card removed during an activation → ICC_MUTE once; ABSENT, unpowered; onPresence(false)`, (t) => {
    const f = make(true);
    f.run(50e6);
    const seen: boolean[] = [];
    f.slot.onPresence = (present) => seen.push(present);
    const r = recorder<PowerOnResult>();
    f.slot.powerOn('auto', r.done);
    f.run(2e6);
    f.remove();
    f.run(1e9);
    t.deepEqual(r.calls, [{ error: 'ICC_MUTE', atr: null }]);
    t.deepEqual(seen, [false]);
    t.is(f.slot.attributes.state, 'ABSENT');
    t.false(f.powered);
  });

  test(`${name}: card removed during a command → ICC_MUTE once; a new card can be powered again`, (t) => {
    const f = make(true);
    f.run(50e6);
    powerOn(f);
    const r = recorder<TransmitResult>();
    f.slot.transmitApdu(bytes(SELECT_MF), r.done);
    f.remove();
    f.run(1e9);
    t.deepEqual(r.calls, [{ error: 'ICC_MUTE', response: null }]);
    f.insert();
    f.run(50e6);
    t.true(f.slot.present);
    t.is(powerOn(f).error, null);
  });

  test(`${name}: powerOff during an activation ends it with CMD_ABORTED from the loop, unpowered`, (t) => {
    const f = make(true);
    f.run(50e6);
    const r = recorder<PowerOnResult>();
    f.slot.powerOn('auto', r.done);
    f.run(2e6);
    f.slot.powerOff();
    t.deepEqual(r.calls, [], 'not inside powerOff');
    f.run(1e9);
    t.deepEqual(r.calls, [{ error: 'CMD_ABORTED', atr: null }]);
    t.true(UNPOWERED.includes(f.slot.attributes.state), f.slot.attributes.state);
    t.false(f.powered);
    f.slot.powerOff();
    f.run(1e6);
    t.is(r.calls.length, 1, 'a second powerOff is harmless');
  });

  test(`${name}: abort() ends the command in progress with CMD_ABORTED from the loop; the slot stays usable`, (t) => {
    const f = make(true);
    f.run(50e6);
    powerOn(f);
    const r = recorder<TransmitResult>();
    f.slot.transmitApdu(bytes(SELECT_MF), r.done);
    f.run(1e3);
    f.slot.abort();
    t.deepEqual(r.calls, [], 'not inside abort');
    f.run(1e9);
    t.deepEqual(r.calls, [{ error: 'CMD_ABORTED', response: null }]);
    const next = recorder<TransmitResult>();
    f.slot.transmitApdu(bytes(SELECT_MF), next.done);
    f.run(2e9);
    t.is(next.calls.length, 1);
    t.is(next.calls[0].error, null);
  });

  test(`${name}: presence changes reach onPresence in order; attributes follow`, (t) => {
    const f = make(true);
    f.run(50e6);
    const seen: boolean[] = [];
    f.slot.onPresence = (present) => seen.push(present);
    t.true(UNPOWERED.includes(f.slot.attributes.state));
    f.remove();
    f.run(50e6);
    t.is(f.slot.attributes.state, 'ABSENT');
    f.insert();
    f.run(50e6);
    t.deepEqual(seen, [false, true]);
    t.true(f.slot.present);
    t.true(UNPOWERED.includes(f.slot.attributes.state));
  });
}

test('ISO 7816-3 §6.2.4 an explicit class the board lacks → ICC_CLASS_NOT_SUPPORTED without powering', (t) => {
  const r = rig(findCard('t0-fs')!.create(1), { classes: ['B', 'A'] });
  t.deepEqual(r.powerOn('C'), { error: 'ICC_CLASS_NOT_SUPPORTED', atr: null });
  t.is(r.changes('vcc').length, 0);
});

test('ISO 7816-3 §6.2.3 powerOn on a powered card is a warm reset at the same class: RST low then high, VCC untouched', (t) => {
  const r = rig(findCard('t0-fs')!.create(1), { classes: ['A'] });
  r.powerOn();
  const start = r.board.line.record.length;
  t.is(r.powerOn().error, null);
  t.deepEqual(r.changes('rst', start).map((c) => c.value), [0, 1]);
  t.is(r.changes('vcc', start).length, 0);
});
