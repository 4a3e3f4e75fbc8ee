/**
 * The session's state table (firmware/iso7816/session/states.ts) is the whole truth: every sub-state
 * is a state of it, the events valid everywhere (removal, fault, power-off) lead every state off, and
 * what a session does on the line follows it — checked on the table itself and on the transitions a
 * running session traces.
 */
import test from 'ava';
import { findCard } from '../../hal/sim/cards/registry.js';
import { SESSION_TABLE, sessionAllows, type SessionState } from '../../firmware/iso7816/session/states.js';
import { rig } from './rig.js';

const STATES = Object.keys(SESSION_TABLE) as SessionState[];
const POWERED = STATES.filter((s) => s !== 'absent' && s !== 'unpowered' && s !== 'power-gap');

test('the table is closed: each state enters only states of the table, never itself', (t) => {
  for (const from of STATES) {
    for (const to of SESSION_TABLE[from].next) {
      t.true(STATES.includes(to), `${from} → ${to}`);
      t.not(to, from);
    }
  }
});

test('ISO 7816-3 §6.4 events valid everywhere: from every state the card can be removed (absent), and powered states can be deactivated (unpowered)', (t) => {
  for (const from of STATES) if (from !== 'absent') t.true(sessionAllows(from, 'absent'), from);
  for (const from of [...POWERED, 'power-gap'] as SessionState[]) t.true(sessionAllows(from, 'unpowered'), from);
  t.deepEqual(SESSION_TABLE.absent.next, ['unpowered']);
});

test('every state is reachable from an empty socket, and every state leads back to ready or unpowered', (t) => {
  const reached = new Set<SessionState>(['absent']);
  for (let grew = true; grew;) {
    grew = false;
    for (const from of [...reached]) for (const to of SESSION_TABLE[from].next) if (!reached.has(to)) grew = reached.add(to) !== null;
  }
  t.deepEqual([...reached].sort(), [...STATES].sort());
  for (const from of STATES) {
    const seen = new Set<SessionState>([from]);
    const queue = [from];
    while (queue.length > 0) for (const to of SESSION_TABLE[queue.pop()!].next) if (!seen.has(to)) (seen.add(to), queue.push(to));
    t.true(seen.has('ready') || seen.has('unpowered'), from);
  }
});

test('reader states (ISO 7816-3 §6, §9): only a card ready for commands is SPECIFIC or NEGOTIABLE; commands run only in ready', (t) => {
  for (const s of STATES) {
    const { reader, command, powerOn } = SESSION_TABLE[s];
    if (command === 'run') t.is(reader, 'SPECIFIC', s);
    if (command === 'settle') t.is(reader, 'NEGOTIABLE', s);
    if (powerOn === 'cold-reset') t.is(reader, 'SWALLOWED', s);
  }
  t.deepEqual(STATES.filter((s) => SESSION_TABLE[s].command === 'run'), ['ready']);
  t.deepEqual(STATES.filter((s) => SESSION_TABLE[s].command === 'settle'), ['negotiable']);
  t.deepEqual(STATES.filter((s) => SESSION_TABLE[s].line === 'raw-block'), ['raw-block']);
});

/** `from → to` lines of a traced session (DRIVER category), as pairs. */
function transitions(log: readonly string[]): [SessionState, SessionState][] {
  return log.map((line) => line.match(/^[\d.]+ ([a-z-]+) → ([a-z-]+)$/)).filter((m) => m !== null).map((m) => [m![1], m![2]] as [SessionState, SessionState]);
}

test('a running session moves only along the table, through the quiet after the ATR (§8.2), PPS (§9) and protocol set-up', (t) => {
  const r = rig(findCard('t1')!.create(1), { trace: true, classes: ['A'] });
  t.is(r.powerOn().error, null);
  t.is(r.transmit('00A4000C023F00').error, null);
  r.board.remove();
  r.run(50e6);
  const moves = transitions(r.log);
  for (const [from, to] of moves) t.true(sessionAllows(from, to), `${from} → ${to}`);
  const path = [moves[0][0], ...moves.map(([, to]) => to)];
  t.deepEqual(path, ['absent', 'unpowered', 'resetting', 'atr', 'atr-quiet', 'pps', 'protocol-setup', 'ready', 'busy', 'ready', 'absent']);
});
