/**
 * T=0 APDU → TPDU mapping (ISO/IEC 7816-3 §10, §12.2) against scripted cards (hal/sim/cards/scripted.ts):
 * each step states what the reader must send next, so a wrong TPDU fails the script at that
 * step. Runs under Node (ava) and in XS.
 */
import { parseScriptedCard, type ScriptedCard } from '../../hal/sim/cards/scripted.js';
import { rig, type Rig } from '../session/rig.js';
import { check, hex, type Scenario } from './scenario.js';

const ATR = '3B021450';

function scripted(steps: unknown[]): ScriptedCard {
  const parsed = parseScriptedCard({ name: 'script', atr: ATR, steps });
  if ('error' in parsed) throw new Error(parsed.error);
  return parsed.card;
}

function same(actual: unknown, expected: unknown, what: string): void {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  check(a === e, `${what}: expected ${e}, got ${a}`);
}

function completed(card: ScriptedCard): void {
  const status = card.status();
  check(status.completed && status.failedStep === null, `script: ${JSON.stringify(status)}`);
}

function start(card: ScriptedCard): Rig {
  const r = rig(card, { classes: ['A'] });
  same(r.powerOn().error, null, 'power on');
  return r;
}

export const scenarios: Scenario[] = [
  {
    name: 'session script: ISO 7816-3 §12.2.3 case 4S: 61xx → GET RESPONSE with Le = min(xx, Ne), then 6Cxx → resend',
    run() {
      const card = scripted([
        { expect: '00A4040002', reply: ['A4'] },
        { expect: '3F00', reply: ['6110'] },
        { expect: '00C0000008', reply: ['6C06'] },
        { expect: '00C0000006', reply: ['C0 010203040506 9000'] },
      ]);
      const r = start(card);
      same(hex(r.transmit('00A4040002 3F00 08').response), '0102030405069000', 'response');
      completed(card);
    },
  },
  {
    name: 'session script: ISO 7816-3 §12.2 case 4E with Nc ≤ 255: repeated 61 00 accumulate up to Ne = 512',
    run() {
      const block = 'AB'.repeat(256);
      const card = scripted([
        { expect: '00CA000002', reply: ['CA'] },
        { expect: '0102', reply: ['6100'] },
        { expect: '00C0000000', reply: [`C0 ${block} 6100`] },
        { expect: '00C0000000', reply: [`C0 ${block} 9000`] },
      ]);
      const r = start(card);
      const result = r.transmit('00CA0000 000002 0102 0200');
      same(result.error, null, 'error');
      same(result.response!.length, 514, 'length');
      same(hex(result.response!.subarray(510)), 'ABAB9000', 'tail');
      completed(card);
    },
  },
  {
    name: 'session script: ISO 7816-3 §10.3.3 INS ⊕ FF sends one byte per procedure byte, INS the rest',
    run() {
      const card = scripted([
        { expect: '00D6000003', reply: ['29'] },
        { expect: 'AA', reply: ['29'] },
        { expect: 'BB', reply: ['D6'] },
        { expect: 'CC', reply: ['9000'] },
      ]);
      const r = start(card);
      same(hex(r.transmit('00D6000003 AABBCC').response), '9000', 'response');
      completed(card);
    },
  },
  {
    name: 'session script: ISO 7816-3 §10.3.3 NULL bytes keep the command alive beyond WT and call onWaiting',
    run() {
      // WT = 9600 etu; the card works 3 × 8000 etu, a NULL between each.
      const card = scripted([
        { expect: '80CA000000', reply: [{ waitEtu: 8000 }, '60', { waitEtu: 8000 }, '60', { waitEtu: 8000 }, '6A82'] },
      ]);
      const r = start(card);
      const result = r.transmit('80CA000000');
      same([hex(result.response), result.waits], ['6A82', 2], 'response and waits');
      completed(card);
    },
  },
  {
    name: 'session script: ISO 7816-3 §7.3 a status byte that keeps failing parity → XFR_PARITY_ERROR',
    run() {
      const card = scripted([{ expect: '00B0000004', reply: [{ badParity: '90' }] }]);
      const r = start(card);
      same(r.transmit('00B0000004').error, 'XFR_PARITY_ERROR', 'error');
    },
  },
  {
    name: 'session script: ISO 7816-3 §10.2 a card that stops mid-response → ICC_MUTE after WT',
    run() {
      const card = scripted([{ expect: '00B0000004', reply: ['B0 0102', { mute: true }] }]);
      const r = start(card);
      same(r.transmit('00B0000004').error, 'ICC_MUTE', 'error');
      same(r.slot.attributes.state, 'SWALLOWED', 'deactivated');
    },
  },
];
