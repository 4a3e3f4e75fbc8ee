/**
 * Extended APDUs over T=0 through the session on the simulated board (ISO/IEC 7816-4:1995 Annex A,
 * carried on by ISO/IEC 7816-3 §12.2): the reader with its default CCID class bytes (bClassEnvelope
 * and bClassGetResponse FF, "echo the command's class"), the built-in t0-pps-fast card (T=0, Fi 512,
 * Di 32). Every response must be byte-identical to what the built-in t1 card (the same file system
 * over T=1, where an extended APDU travels whole) gives for the same APDU. Runs under Node (ava) and
 * in XS.
 */
import { findCard } from '../../hal/sim/cards/registry.js';
import type { LineCharacter } from '../../hal/sim/line.js';
import { rig, type Rig } from '../session/rig.js';
import { check, hex, type Scenario } from './scenario.js';

/** Data bytes i → (i · 7 + 3) mod 256: no run of the pattern looks like a TPDU header by accident. */
function pattern(length: number): string {
  const data = new Uint8Array(length);
  for (let i = 0; i < length; i++) data[i] = (i * 7 + 3) & 0xff;
  return hex(data);
}

function powered(name: string): Rig {
  const card = findCard(name);
  check(card !== undefined, `built-in card ${name}`);
  const r = rig(card.create(1), { classes: ['A'] });
  check(r.powerOn().error === null, `${name}: power on`);
  return r;
}

/** The reader's bytes on the line from character `from` on, as hex. */
function readerHex(r: Rig, from: number): string {
  const sent: LineCharacter[] = r.board.line.events.slice(from).filter((e) => e.from === 'reader');
  return hex(Uint8Array.from(sent, (e) => e.byte));
}

/**
 * Run the APDUs on the T=0 card and on the T=1 card; the responses must be the same bytes. Returns
 * the T=0 responses and, per APDU, what the reader sent on the T=0 line.
 */
function sameAsT1(apdus: string[]): { responses: string[]; lines: string[] } {
  const t0 = powered('t0-pps-fast');
  const t1 = powered('t1');
  check(t0.slot.attributes.protocol === 0 && t1.slot.attributes.protocol === 1, 'protocols T=0 and T=1');
  const responses: string[] = [];
  const lines: string[] = [];
  for (let i = 0; i < apdus.length; i++) {
    const from = t0.board.line.events.length;
    const over0 = t0.transmit(apdus[i]);
    const over1 = t1.transmit(apdus[i]);
    check(over0.error === null && over1.error === null, `APDU ${i}: errors ${over0.error} (T=0), ${over1.error} (T=1)`);
    const a = hex(over0.response);
    const b = hex(over1.response);
    check(a === b, `APDU ${i}: T=0 gave ${a.length / 2} bytes ending ${a.slice(-8)}, T=1 ${b.length / 2} ending ${b.slice(-8)}`);
    responses.push(a);
    lines.push(readerHex(t0, from));
  }
  return { responses, lines };
}

export const scenarios: Scenario[] = [
  {
    name: 'session: ISO 7816-4 ENVELOPE with bClassEnvelope FF: a 4 KB extended ECHO (CLA 80) is enveloped in class 10/00 and comes back whole, as over T=1',
    run() {
      const data = pattern(4096);
      const { responses, lines } = sameAsT1([`80EE0000 001000 ${data} 1000`]);
      check(responses[0] === `${data}9000`, 'ECHO returns its 4096 bytes and 9000');
      // 4 + 3 + 4096 + 2 = 4105 APDU bytes: 16 chained ENVELOPEs of 255, the last one of 25 bytes.
      const line = lines[0];
      check(line.startsWith('10C20000FF80EE0000001000'), `first ENVELOPE chained, class 10: ${line.slice(0, 24)}`);
      check(line.includes('00C2000019'), 'last ENVELOPE unchained, class 00, 25 bytes');
      check(line.endsWith('00C0000000'), `the response fetched with GET RESPONSE in the ENVELOPE's class 00: ${line.slice(-10)}`);
    },
  },
  {
    name: 'session: ISO 7816-4:1995 Annex A case 2E.2: a 4 KB extended READ BINARY over T=0 goes enveloped and returns all of Ne through 61xx / GET RESPONSE, as over T=1',
    run() {
      const data = pattern(4096);
      const { responses, lines } = sameAsT1([
        '00A4000C02 1000',
        '00A4000C02 1001',
        `00D60000 001000 ${data}`,
        '00B00000 001000',
        '00B00064 001000',
        '00B00000 000100',
        '00B0000000',
      ]);
      check(responses[2] === '9000', 'UPDATE BINARY of 4096 bytes (case 3E, enveloped)');
      check(responses[3] === `${data}9000`, 'READ BINARY Le 1000: 4096 bytes and 9000');
      check(lines[3].startsWith('00C200000700B00000001000'), `case 2E.2 goes out as one ENVELOPE of the whole APDU: ${lines[3].slice(0, 24)}`);
      check(responses[4] === `${data.slice(200)}6282`, 'READ BINARY at offset 100, Le 1000: the 3996 bytes left and 6282 (end of file)');
      check(responses[5] === `${data.slice(0, 512)}9000` && lines[5].startsWith('00B0000000'), 'case 2E.1 (Ne 256): the short TPDU with P3 = 00');
      check(responses[6] === responses[5], 'short READ BINARY Le 00: the same 256 bytes');
    },
  },
  {
    name: 'session: case 4E over T=0 with a long command and a long response: ENVELOPE chain out, GET RESPONSE chain back, Ne honoured as over T=1',
    run() {
      const long = pattern(1000);
      const { responses, lines } = sameAsT1([
        `80EE0000 0003E8 ${long} 0258`,
        `80EE0000 0003E8 ${long} 0000`,
        '00A40000 000002 2F00 0000',
      ]);
      check(responses[0] === `${long.slice(0, 1200)}6100`, 'Nc 1000, Ne 600: the first 600 bytes and 61 00 (400 more held back, ISO 7816-4 §5.1)');
      check(responses[1] === `${long}9000`, 'Nc 1000, Le 0000 (Ne 65 536): all 1000 bytes and 9000');
      check(responses[2].startsWith('62') && responses[2].endsWith('9000') && lines[2].startsWith('00A40000022F00'), 'case 4E.1 (Nc 2): the short case 3 TPDU, FCP through GET RESPONSE');
    },
  },
];
