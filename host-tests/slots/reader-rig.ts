/**
 * A multi-slot simulated reader driven from the host's side of the bus, for scenarios (no Node API:
 * they run in XS too): the host's reader composition with a card per socket, and the harness's USB
 * host driver; plus a runner that drives every slot at once, one command outstanding per slot, as
 * a conformance suite's per-slot components do.
 */
import type { ExchangeLevel } from '../../firmware/ccid/descriptors.js';
import { DEFAULT_DEBOUNCE_NS } from '../../hal/sim/board.js';
import type { SimCard } from '../../hal/sim/card.js';
import { findCard } from '../../hal/sim/cards/registry.js';
import { UsbHostDriver } from '../ccid/harness.js';
import type { PC_to_RDR_Command, RDR_to_PC } from '../host-driver/typed-messages.js';
import { createSimReader, type SimReader } from '../reader/reader.js';
import { check } from '../scenarios/scenario.js';

export interface ReaderRig {
  reader: SimReader;
  host: UsbHostDriver;
}

export type Reply = Exclude<RDR_to_PC, { type: 'Invalid' }>;

export function card(name: string, seed: number): SimCard {
  const built = findCard(name);
  if (!built) throw new Error(`no card ${name}`);
  return built.create(seed);
}

/** A configured reader with these cards, one per slot (null: an empty socket). */
export function readerRig(cards: (string | null)[], exchangeLevel?: ExchangeLevel): ReaderRig {
  const reader = createSimReader({ slots: cards.length, exchangeLevel, cards: cards.map((name, i) => (name === null ? null : card(name, 100 + i))) });
  const host = new UsbHostDriver(reader.usb.host, reader.board.scheduler, reader.ccid.description.maxMessageLength);
  // The sockets' card-present switches settle (debounce) before the host configures the device.
  reader.board.scheduler.advance(2 * DEFAULT_DEBOUNCE_NS);
  host.configure();
  return { reader, host };
}

/** Read `count` replies; each must come within `timeoutNs` and be well formed. */
export function replies(r: ReaderRig, count: number, timeoutNs = 10e9): Reply[] {
  const out: Reply[] = [];
  for (let i = 0; i < count; i++) {
    const reply = r.host.read(timeoutNs);
    check(reply !== null, `reply ${i + 1} of ${count}: none within ${timeoutNs / 1e9} s`);
    check(reply.type !== 'Invalid', `reply ${i + 1}: ${reply.type === 'Invalid' ? reply.reason : ''}`);
    out.push(reply);
  }
  return out;
}

export function commandStatus(reply: Reply): number {
  return reply.bStatus >> 6;
}

/** A command without its address (the runner adds bSlot and bSeq). */
export type Unaddressed = PC_to_RDR_Command extends infer C ? (C extends unknown ? Omit<C, 'bSlot' | 'bSeq'> : never) : never;

/** A command and what its reply must be. */
export interface Step {
  readonly command: Unaddressed;
  check(reply: Reply): void;
}

/**
 * Drive every slot through its steps at once: each slot's next command leaves as soon as its
 * previous reply arrives, so the reader always has one command per slot outstanding. Each reply must
 * answer its slot's pending command (same bSlot, same bSeq), after any time extensions.
 */
export function runSlots(r: ReaderRig, scripts: readonly (readonly Step[])[], timeoutNs = 10e9): void {
  const next = scripts.map(() => 0);
  const seq = scripts.map(() => 0);
  const send = (slot: number): void => {
    const step = scripts[slot][next[slot]];
    r.host.send({ ...step.command, bSlot: slot, bSeq: seq[slot] } as PC_to_RDR_Command);
  };
  let open = 0;
  scripts.forEach((script, slot) => {
    if (script.length === 0) return;
    open++;
    send(slot);
  });
  while (open > 0) {
    const [reply] = replies(r, 1, timeoutNs);
    const slot = reply.bSlot;
    check(slot < scripts.length && next[slot] < scripts[slot].length, `a reply for slot ${slot}, which has nothing pending`);
    check(reply.bSeq === seq[slot], `slot ${slot}: bSeq ${reply.bSeq}, expected ${seq[slot]}`);
    if (commandStatus(reply) === 2) continue; // a time extension: the answer follows
    scripts[slot][next[slot]].check(reply);
    next[slot]++;
    seq[slot] = (seq[slot] + 1) & 0xff;
    if (next[slot] < scripts[slot].length) send(slot);
    else open--;
  }
}
