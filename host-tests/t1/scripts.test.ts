/**
 * T=1 scripted cards (hal/sim/cards/scripted.ts; host-tests/t1/scripts/*.json) through the whole
 * reader: each script is the exact block sequence ISO/IEC 7816-3 §11.6 asks of the reader, so a
 * reader that sends anything else fails the script at that step. Block bytes worked out by hand
 * (PCB per §11.3.2.2, LRC per §11.4.4); the ATR is the Yubikey 4's from smartcard_list.txt.
 */
import test from 'ava';
import { readFileSync } from 'node:fs';
import { parseScriptedCard, type ScriptedCard } from '../../hal/sim/cards/scripted.js';
import { rig } from '../session/rig.js';
import { hex } from '../scenarios/scenario.js';

function load(name: string): ScriptedCard {
  const json: unknown = JSON.parse(readFileSync(new URL(`./scripts/${name}`, import.meta.url), 'utf8'));
  const parsed = parseScriptedCard(json);
  if ('error' in parsed) throw new Error(`${name}: ${parsed.error}`);
  return parsed.card;
}

test('scripted T=1 (rules 1, 2, 4): S(IFS request) first, then I(0) / I(1) exchanges', (t) => {
  const card = load('t1-select.json');
  const r = rig(card);
  t.is(r.powerOn().error, null);
  t.is(hex(r.transmit('00A4000C023F00').response), '9000');
  t.is(hex(r.transmit('00A4000C023F00').response), '9000');
  t.deepEqual(card.status(), { completed: true, failedStep: null, reason: null });
});

test('scripted T=1 (rules 7.1, 3): bad EDC → R(0) with the EDC bit; S(WTX request) 2 → response, the next BWT doubled', (t) => {
  const card = load('t1-edc-wtx.json');
  const r = rig(card);
  t.is(r.powerOn().error, null);
  const x = r.transmit('00A4000C023F00');
  t.is(x.error, null);
  t.is(hex(x.response), '9000');
  t.is(x.waits, 1);
  t.deepEqual(card.status(), { completed: true, failedStep: null, reason: null });
});

test('scripted T=1 (rules 7.1, 5): a chained I-block with parity errors → R(0) EDC bit, then the chain is acknowledged by R(1)', (t) => {
  const card = load('t1-parity-chain.json');
  const r = rig(card);
  t.is(r.powerOn().error, null);
  t.is(hex(r.transmit('00A4000C023F00').response), '01029000');
  t.deepEqual(card.status(), { completed: true, failedStep: null, reason: null });
});

test('scripted T=1 (rules 7.1, 7.2, 7.4.2, 6.3): no answer → R(0) other error three times → S(RESYNCH) → S(IFS) again → I(0) again', (t) => {
  const card = load('t1-resynch.json');
  const r = rig(card);
  t.is(r.powerOn().error, null);
  const x = r.transmit('00A4000C023F00');
  t.is(x.error, null);
  t.is(hex(x.response), '9000');
  t.deepEqual(card.status(), { completed: true, failedStep: null, reason: null });
});

test('scripted T=1 (rule 6.4): a card that falls mute → ICC_MUTE and deactivation', (t) => {
  const card = load('t1-mute.json');
  const r = rig(card);
  t.is(r.powerOn().error, null);
  const x = r.transmit('00A4000C023F00');
  t.is(x.error, 'ICC_MUTE');
  t.not(r.slot.attributes.state, 'SPECIFIC');
  t.deepEqual(card.status(), { completed: true, failedStep: null, reason: null });
});

test('scripted T=1 (rules 7.3, 7.4.2, 6.3): a card that answers S(IFS request) with R-blocks → S(RESYNCH), then IFSD stays 32 and APDUs go on', (t) => {
  const card = load('t1-no-ifs.json');
  const r = rig(card);
  t.is(r.powerOn().error, null);
  t.is(r.slot.attributes.ifsd, 32);
  t.is(hex(r.transmit('00A4000C023F00').response), '9000');
  t.deepEqual(card.status(), { completed: true, failedStep: null, reason: null });
});
