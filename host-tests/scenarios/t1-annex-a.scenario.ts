/**
 * T=1 end to end (ISO/IEC 7816-3 §11): session → T1Link → simulated line → card-side T=1 engine,
 * one scenario per exchange pattern of ISO/IEC 7816-3 Annex A, then additional scenarios that are not
 * Annex A patterns.
 *
 * Provenance of the list: the Annex A text (and EMV Book 1 Annex A) was not available here. The 32
 * numbered scenarios are reconstructed from the rules of §11.6 (rules 1–9 with the sub-numbers
 * libccid's `src/openct/proto-t1.c` tags: 6.2, 6.3, 6.4, 7.2, 7.4.2, 9) and the structure of that
 * Annex: error-free operation first (1–7), then error handling by the block that fails (8–32). The
 * numbers are this file's; each title names the rule it checks. The additional scenarios (A1–A3)
 * check timing and reader behaviour outside the Annex's block patterns: a stray character after a
 * block (§11.2 BGT), a slow but timely block (§11.4.3 BWT), and an abort by the host (CCID Abort, not
 * an ISO 7816-3 block exchange).
 *
 * Card histories: "< X" a block the card received (or "< invalid"), "> X" a block it sent, "  fault K"
 * a fault it injected into the block just sent. `?` in an expected entry matches any one character.
 * No Node APIs: these also run in XS (host-tests/xs).
 */
import { T1FsCard, type T1CardOptions } from '../../hal/sim/cards/t1-card.js';
import type { T1FaultPlan } from '../../hal/sim/cards/t1-engine.js';
import { rig, type Rig } from '../session/rig.js';
import { check, hex, type Scenario } from './scenario.js';

function bytes(hexText: string): Uint8Array {
  const clean = hexText.replace(/\s+/g, '');
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

interface T1Rig {
  r: Rig;
  card: T1FsCard;
}

function setup(options: T1CardOptions = {}, plan?: T1FaultPlan): T1Rig {
  const card = new T1FsCard({ record: true, seed: 7, ...options });
  const r = rig(card, { trace: true });
  const p = r.powerOn();
  check(p.error === null, `power-on failed: ${p.error}`);
  check(r.slot.attributes.protocol === 1, `protocol ${r.slot.attributes.protocol}, expected T=1`);
  card.engine.setPlan(plan);
  return { r, card };
}

/**
 * ECHO (CLA 80 INS EE) of `n` bytes 0, 1, 2…: short case 4, Le 00. With a smaller Le the card
 * returns Le bytes and 61XX for the rest it holds back (ISO 7816-4 §5.1, hal/sim/cards/fs-applet.ts).
 */
function echo(n: number, le = 0): { apdu: Uint8Array; expected: string } {
  const data = new Uint8Array(n);
  for (let i = 0; i < n; i++) data[i] = (i * 7 + 1) & 0xff;
  const apdu = new Uint8Array(6 + n);
  apdu.set([0x80, 0xee, 0x00, 0x00, n], 0);
  apdu.set(data, 5);
  apdu[5 + n] = le;
  if (le === 0 || le >= n) return { apdu, expected: `${hex(data)}9000` };
  const left = n - le;
  return { apdu, expected: `${hex(data.subarray(0, le))}61${hex(Uint8Array.of(left >= 256 ? 0 : left))}` };
}

function expectOk(t: T1Rig, apdu: Uint8Array, expected: string, what: string): number {
  const x = t.r.transmit(apdu);
  check(x.error === null, `${what}: error ${x.error}\n${t.card.engine.history.join('\n')}\n${t.r.log.slice(-30).join('\n')}`);
  check(hex(x.response) === expected, `${what}: response ${hex(x.response)}, expected ${expected}`);
  return x.waits;
}

function history(t: T1Rig, expected: string[], what: string): void {
  const actual = t.card.engine.history;
  const ok = actual.length === expected.length && expected.every((e, i) => e.length === actual[i].length && [...e].every((c, k) => c === '?' || c === actual[i][k]));
  check(ok, `${what}: card history\n  ${actual.join('\n  ')}\nexpected\n  ${expected.join('\n  ')}`);
}

/** SELECT DF 1000 then EF 1001 (4096 bytes, byte i = (i + 1) mod 256), so READ BINARY has data. */
function selectBigEf(t: T1Rig): void {
  expectOk(t, bytes('00A4000C021000'), '9000', 'SELECT DF 1000');
  expectOk(t, bytes('00A4000C021001'), '9000', 'SELECT EF 1001');
  t.card.engine.history.length = 0;
}

function readExpected(offset: number, n: number): string {
  const d = new Uint8Array(n);
  for (let i = 0; i < n; i++) d[i] = (offset + i + 1) & 0xff;
  return `${hex(d)}9000`;
}

const E5 = echo(5);
/** 255 data bytes + header + Le: 261 bytes, two I-blocks at IFSC 254; Le 1 keeps the response to one block. */
const E255 = echo(255, 1);

export const scenarios: Scenario[] = [
  {
    name: 'T=1 Annex A scenario 1 (rules 1, 2): I-blocks alternate N(S) 0, 1 on both sides',
    run() {
      const t = setup();
      expectOk(t, E5.apdu, E5.expected, 'first');
      expectOk(t, E5.apdu, E5.expected, 'second');
      history(t, ['< I(0)', '> I(0)', '< I(1)', '> I(1)'], 'scenario 1');
    },
  },
  {
    name: 'T=1 Annex A scenario 2 (rule 3): S(WTX request) ×3 is granted and only the next BWT is multiplied',
    run() {
      const t = setup({}, { turn: ['wtx'], wtx: 3 });
      const waits = expectOk(t, E5.apdu, E5.expected, 'WTX');
      check(waits === 1, `onWaiting called ${waits} times`);
      history(t, ['< I(0)', '> S(WTX req)', '< S(WTX resp)', '> I(0)'], 'scenario 2');
    },
  },
  {
    name: 'T=1 Annex A scenario 3 (rules 1, 4): the first block is S(IFS request) with IFSD 254, echoed',
    run() {
      const card = new T1FsCard({ record: true });
      const r = rig(card);
      check(r.powerOn().error === null, 'power-on');
      const h = card.engine.history;
      check(h[0] === '< S(IFS req)' && h[1] === '> S(IFS resp)', `history ${h.join(', ')}`);
      check(card.engine.ifsd === 254 && r.slot.attributes.ifsd === 254, `IFSD ${card.engine.ifsd} / ${r.slot.attributes.ifsd}`);
    },
  },
  {
    name: 'T=1 Annex A scenario 4 (rule 4): the card sends S(IFS request) 16; the reader answers and chains by 16',
    run() {
      const t = setup({}, { turn: ['ifs'], ifs: 16 });
      expectOk(t, E5.apdu, E5.expected, 'IFS');
      const e40 = echo(40);
      expectOk(t, e40.apdu, e40.expected, 'chained by IFSC 16');
      history(t, ['< I(0)', '> S(IFS req)', '< S(IFS resp)', '> I(0)',
        '< I(1,M)', '> R(0)', '< I(0,M)', '> R(1)', '< I(1)', '> I(1)'], 'scenario 4');
    },
  },
  {
    name: 'T=1 Annex A scenario 5 (rule 5): the reader chains its command, each block acknowledged by R(N(S)+1)',
    run() {
      const t = setup();
      expectOk(t, E255.apdu, E255.expected, 'reader chain');
      history(t, ['< I(0,M)', '> R(1)', '< I(1)', '> I(0)'], 'scenario 5');
    },
  },
  {
    name: 'T=1 Annex A scenario 6 (rule 5): the card chains its response; the reader acknowledges with R-blocks',
    run() {
      const t = setup();
      selectBigEf(t);
      expectOk(t, bytes('00B0000000'), readExpected(0, 256), 'READ BINARY 256');
      history(t, ['< I(0)', '> I(0,M)', '< R(1)', '> I(1)'], 'scenario 6');
    },
  },
  {
    name: 'T=1 Annex A scenario 7 (rule 5): chaining in both directions, an extended APDU of 1024 data bytes',
    run() {
      const t = setup();
      const n = 1024;
      const apdu = new Uint8Array(7 + n + 2);
      apdu.set([0x80, 0xee, 0x00, 0x00, 0x00, n >> 8, n & 0xff]);
      for (let i = 0; i < n; i++) apdu[7 + i] = (i * 13) & 0xff;
      const expected = `${hex(apdu.subarray(7, 7 + n))}9000`;
      expectOk(t, apdu, expected, 'extended echo');
      const h = t.card.engine.history;
      // 7 + 1024 + 2 command bytes: 5 I-blocks of ≤ 254; 1026 response bytes: 5 I-blocks.
      check(h.filter((x) => x.startsWith('< I(')).length === 5 && h.filter((x) => x.startsWith('> I(')).length === 5, `blocks ${h.join(', ')}`);
    },
  },
  {
    name: 'T=1 Annex A scenario 8 (rule 7.1, card side): the card receives the I-block corrupted and asks for it again',
    run() {
      const t = setup({}, { receive: ['mishear'] });
      expectOk(t, E5.apdu, E5.expected, 'mishear');
      history(t, ['< invalid', '> R(0,edc)', '< I(0)', '> I(0)'], 'scenario 8');
    },
  },
  {
    name: 'T=1 Annex A scenario 9 (rule 7.1): I-block from the card with a bad EDC → R(N(R)) with the EDC error bit, never delivered',
    run() {
      const t = setup({}, { send: ['bad-edc'] });
      expectOk(t, E5.apdu, E5.expected, 'bad EDC');
      history(t, ['< I(0)', '> I(0)', '  fault bad-edc', '< R(0,edc)', '> I(0)'], 'scenario 9');
    },
  },
  {
    name: 'T=1 Annex A scenario 10 (rule 7.1): a character with a parity error makes the block invalid → R-block with the EDC/parity bit',
    run() {
      const t = setup({}, { send: ['bad-parity'] });
      expectOk(t, E5.apdu, E5.expected, 'parity');
      history(t, ['< I(0)', '> I(0)', '  fault bad-parity', '< R(0,edc)', '> I(0)'], 'scenario 10');
    },
  },
  {
    name: 'T=1 Annex A scenario 11 (rule 7.1, §11.4.3 BWT): no block within BWT → R-block "other error"; the card then answers',
    run() {
      const t = setup({}, { send: ['late'] });
      expectOk(t, E5.apdu, E5.expected, 'late');
      history(t, ['< I(0)', '> I(0)', '  fault late', '< R(0,other)'], 'scenario 11');
    },
  },
  {
    name: 'T=1 Annex A scenario 12 (rule 7.1, §11.4.3 CWT): a block cut short → R-block "other error" → the card repeats it',
    run() {
      const t = setup({}, { send: ['mid-silence'] });
      expectOk(t, E5.apdu, E5.expected, 'cut short');
      history(t, ['< I(0)', '> I(0)', '  fault mid-silence', '< R(0,other)', '> I(0)'], 'scenario 12');
    },
  },
  {
    name: 'T=1 Annex A scenario 13 (rule 7.1): I-block with the wrong N(S) → R-block "other error"',
    run() {
      const t = setup({}, { send: ['wrong-ns'] });
      expectOk(t, E5.apdu, E5.expected, 'wrong N(S)');
      history(t, ['< I(0)', '> I(0)', '  fault wrong-ns', '< R(0,other)', '> I(0)'], 'scenario 13');
    },
  },
  {
    name: 'T=1 Annex A scenario 14 (rule 7.1, §11.4.2): LEN = 255 → invalid block, R-block "other error"',
    run() {
      const t = setup({}, { send: ['bad-len'] });
      expectOk(t, E5.apdu, E5.expected, 'LEN 255');
      history(t, ['< I(0)', '> I(0)', '  fault bad-len', '< R(0,other)', '> I(0)'], 'scenario 14');
    },
  },
  {
    name: 'T=1 Annex A scenario 15 (rules 7.1, 7.2): the reader\'s I-block is lost; after BWT its R-block gets R(N(S) expected) and it repeats the I-block',
    run() {
      const t = setup({}, { receive: ['deaf'] });
      expectOk(t, E5.apdu, E5.expected, 'lost I-block');
      history(t, ['< R(0,other)', '> R(0,other)', '< I(0)', '> I(0)'], 'scenario 15');
    },
  },
  {
    name: 'T=1 Annex A scenario 16 (rules 5, 7.1): the card\'s R-block acknowledging a chained block arrives corrupted',
    run() {
      const t = setup({}, { send: ['bad-edc'] });
      expectOk(t, E255.apdu, E255.expected, 'corrupted acknowledgement');
      history(t, ['< I(0,M)', '> R(1)', '  fault bad-edc', '< R(0,edc)', '> R(1)', '< I(1)', '> I(0)'], 'scenario 16');
    },
  },
  {
    name: 'T=1 Annex A scenario 17 (rules 5, 7.2): the reader\'s acknowledging R-block reaches the card corrupted → the reader repeats its R-block',
    run() {
      const t = setup();
      selectBigEf(t);
      t.card.engine.setPlan({ receive: [null, 'mishear'] });
      expectOk(t, bytes('00B0000000'), readExpected(0, 256), 'READ BINARY 256');
      history(t, ['< I(0)', '> I(0,M)', '< invalid', '> R(1,edc)', '< R(1)', '> I(1)'], 'scenario 17');
    },
  },
  {
    name: 'T=1 Annex A scenario 18 (rules 5, 7.1): a chained I-block from the card arrives corrupted and is sent again',
    run() {
      const t = setup();
      selectBigEf(t);
      t.card.engine.setPlan({ send: ['bad-edc'] });
      expectOk(t, bytes('00B0000000'), readExpected(0, 256), 'READ BINARY 256');
      history(t, ['< I(0)', '> I(0,M)', '  fault bad-edc', '< R(0,edc)', '> I(0,M)', '< R(1)', '> I(1)'], 'scenario 18');
    },
  },
  {
    name: 'T=1 Annex A scenario 19 (rule 7.2): after an R-block, an invalid block again → the same R-block again',
    run() {
      const t = setup({}, { send: ['bad-edc', 'bad-edc'] });
      expectOk(t, E5.apdu, E5.expected, 'twice corrupted');
      history(t, ['< I(0)', '> I(0)', '  fault bad-edc', '< R(0,edc)', '> I(0)', '  fault bad-edc', '< R(0,edc)', '> I(0)'], 'scenario 19');
    },
  },
  {
    name: 'T=1 Annex A scenario 20 (rules 3, 7.1, 7.3): S(WTX request) arrives corrupted → R-block → the card repeats its request',
    run() {
      const t = setup({}, { turn: ['wtx'], wtx: 2, send: ['bad-edc'] });
      expectOk(t, E5.apdu, E5.expected, 'WTX corrupted');
      history(t, ['< I(0)', '> S(WTX req)', '  fault bad-edc', '< R(0,edc)', '> S(WTX req)', '< S(WTX resp)', '> I(0)'], 'scenario 20');
    },
  },
  {
    name: 'T=1 Annex A scenario 21 (rules 3, 7.3): S(WTX response) reaches the card corrupted → it repeats S(WTX request), granted again',
    run() {
      const t = setup({}, { turn: ['wtx'], wtx: 2, receive: [null, 'mishear'] });
      const waits = expectOk(t, E5.apdu, E5.expected, 'WTX response corrupted');
      check(waits === 2, `onWaiting called ${waits} times`);
      history(t, ['< I(0)', '> S(WTX req)', '< invalid', '> S(WTX req)', '< S(WTX resp)', '> I(0)'], 'scenario 21');
    },
  },
  {
    name: 'T=1 Annex A scenario 22 (rules 4, 7.3): S(IFS response) arrives corrupted → the reader repeats S(IFS request)',
    run() {
      const card = new T1FsCard({ record: true, plan: { send: ['bad-edc'] } });
      const r = rig(card);
      check(r.powerOn().error === null, 'power-on');
      history({ r, card }, ['< S(IFS req)', '> S(IFS resp)', '  fault bad-edc', '< S(IFS req)', '> S(IFS resp)'], 'scenario 22');
      check(r.slot.attributes.ifsd === 254, 'IFSD');
    },
  },
  {
    name: 'T=1 Annex A scenario 23 (rules 4, 7.3): S(IFS request) reaches the card corrupted → R-block → the reader repeats S(IFS request)',
    run() {
      const card = new T1FsCard({ record: true, plan: { receive: ['mishear'] } });
      const r = rig(card);
      check(r.powerOn().error === null, 'power-on');
      history({ r, card }, ['< invalid', '> R(0,edc)', '< S(IFS req)', '> S(IFS resp)'], 'scenario 23');
    },
  },
  {
    name: 'T=1 Annex A scenario 24 (rules 4, 7.3): the reader\'s S(IFS response) reaches the card corrupted → the card repeats its request',
    run() {
      const t = setup({}, { turn: ['ifs'], ifs: 100, receive: [null, 'mishear'] });
      expectOk(t, E5.apdu, E5.expected, 'IFS response corrupted');
      history(t, ['< I(0)', '> S(IFS req)', '< invalid', '> S(IFS req)', '< S(IFS resp)', '> I(0)'], 'scenario 24');
    },
  },
  {
    name: 'T=1 Annex A scenario 25 (rules 7.4.2, 6.2, 6.3): three retransmissions fail → S(RESYNCH) → the exchange starts over and succeeds',
    run() {
      const t = setup({}, { send: ['bad-edc', 'bad-edc', 'bad-edc', 'bad-edc'] });
      expectOk(t, E5.apdu, E5.expected, 'after resynch');
      history(t, ['< I(0)', '> I(0)', '  fault bad-edc', '< R(0,edc)', '> I(0)', '  fault bad-edc', '< R(0,edc)', '> I(0)', '  fault bad-edc',
        '< R(0,edc)', '> I(0)', '  fault bad-edc', '< S(RESYNCH req)', '> S(RESYNCH resp)', '< S(IFS req)', '> S(IFS resp)', '< I(0)', '> I(0)'], 'scenario 25');
      expectOk(t, E5.apdu, E5.expected, 'next exchange');
    },
  },
  {
    name: 'T=1 Annex A scenario 26 (rules 6, 7.3): S(RESYNCH response) arrives corrupted → S(RESYNCH request) again',
    run() {
      const t = setup({}, { send: ['bad-edc', 'bad-edc', 'bad-edc', 'bad-edc', 'bad-edc'] });
      expectOk(t, E5.apdu, E5.expected, 'after two resynchs');
      const h = t.card.engine.history;
      check(h.filter((x) => x === '< S(RESYNCH req)').length === 2, `resynchs: ${h.join(', ')}`);
    },
  },
  {
    name: 'T=1 Annex A scenario 27 (rule 6.4): resynchronisation fails three times → XFR_PARITY_ERROR and the session deactivates',
    run() {
      const t = setup({}, { rate: 1, faults: ['bad-edc'] });
      const x = t.r.transmit(E5.apdu);
      check(x.error === 'XFR_PARITY_ERROR' && x.response === null, `result ${x.error} ${hex(x.response)}`);
      const h = t.card.engine.history;
      check(h.filter((e) => e === '< S(RESYNCH req)').length === 3, `resynchs: ${h.join(', ')}`);
      check(t.r.slot.attributes.state !== 'SPECIFIC', `state ${t.r.slot.attributes.state}`);
    },
  },
  {
    name: 'T=1 Annex A scenario 28 (rules 7.1, 7.4.2, 6.4): the card falls mute → R-blocks, S(RESYNCH) ×3 → ICC_MUTE',
    run() {
      const t = setup({}, { rate: 1, faults: ['deaf'] });
      const x = t.r.transmit(E5.apdu);
      check(x.error === 'ICC_MUTE', `result ${x.error}`);
    },
  },
  {
    name: 'T=1 Annex A scenario 29 (rule 9): the card aborts the reader\'s chain with S(ABORT request) → S(ABORT response), CMD_ABORTED; the next exchange resynchronises first',
    run() {
      const t = setup({}, { turn: ['abort'] });
      const x = t.r.transmit(E255.apdu);
      check(x.error === 'CMD_ABORTED', `result ${x.error}`);
      expectOk(t, E5.apdu, E5.expected, 'after abort');
      history(t, ['< I(0,M)', '> S(ABORT req)', '< S(ABORT resp)', '< S(RESYNCH req)', '> S(RESYNCH resp)', '< S(IFS req)', '> S(IFS resp)', '< I(0)', '> I(0)'], 'scenario 29');
    },
  },
  {
    name: 'T=1 Annex A scenario 30 (rule 9): the card aborts its own chain with S(ABORT request)',
    run() {
      const t = setup();
      selectBigEf(t);
      t.card.engine.setPlan({ turn: [null, 'abort'] });
      const x = t.r.transmit(bytes('00B0000000'));
      check(x.error === 'CMD_ABORTED', `result ${x.error}`);
      expectOk(t, bytes('00B0000000'), readExpected(0, 256), 'after abort');
    },
  },
  {
    name: 'T=1 Annex A scenario 31 (rule 7.1, §11.4.3 CWT): a pause longer than CWT inside a block makes it invalid; recovery follows',
    run() {
      const t = setup({}, { send: ['cwt-gap'] });
      expectOk(t, E5.apdu, E5.expected, 'CWT gap');
    },
  },
  {
    name: 'T=1 Annex A scenario 32 (rules 4, 7.1, 7.4.2, 6): an S(IFS request) with IFSC 0 is invalid → R-blocks, then resynchronisation',
    run() {
      const t = setup({}, { turn: ['ifs'], ifs: 0 });
      expectOk(t, E5.apdu, E5.expected, 'invalid IFS');
      const h = t.card.engine.history;
      check(h.filter((x) => x === '< R(0,other)').length === 3 && h.includes('< S(RESYNCH req)'), `history ${h.join(', ')}`);
      check(t.r.slot.attributes.ifsc === 254, `IFSC ${t.r.slot.attributes.ifsc}`);
    },
  },
  {
    name: 'T=1 additional scenario A1, not from Annex A (§11.2 BGT): a stray character after a block is ignored; the reader still waits BGT after it',
    run() {
      const t = setup({}, { send: ['extra-char'] });
      expectOk(t, E5.apdu, E5.expected, 'extra character');
      expectOk(t, E5.apdu, E5.expected, 'next exchange');
      history(t, ['< I(0)', '> I(0)', '  fault extra-char', '< I(1)', '> I(1)'], 'scenario A1');
    },
  },
  {
    name: 'T=1 additional scenario A2, not from Annex A (§11.4.3 BWT): a block that starts late but within BWT is accepted without error',
    run() {
      const t = setup({}, { send: ['slow'] });
      expectOk(t, E5.apdu, E5.expected, 'slow');
      history(t, ['< I(0)', '> I(0)', '  fault slow'], 'scenario A2');
    },
  },
  {
    name: 'T=1 additional scenario A3, not from Annex A (rule 6): the host aborts an exchange → CMD_ABORTED; the next exchange starts with S(RESYNCH)',
    run() {
      const t = setup({}, { turn: ['wtx'], wtx: 5 });
      let result: string | null = 'pending';
      t.r.slot.transmitApdu(E5.apdu, (x) => (result = x.error));
      t.r.run(20e6);
      t.r.slot.abort();
      t.r.run(1e6);
      check(result === 'CMD_ABORTED', `result ${result}`);
      t.r.run(2e9);
      t.card.engine.setPlan(undefined);
      expectOk(t, E5.apdu, E5.expected, 'after host abort');
      check(t.card.engine.history[0] === '< S(RESYNCH req)', `history ${t.card.engine.history.join(', ')}`);
    },
  },
];
