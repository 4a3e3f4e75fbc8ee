/**
 * `ccid-reader atr [--json] HEX|-`: analyse ATRs with the firmware's own decoder.
 * `--json` prints the contract object, one per line; otherwise a readable analysis per ATR.
 * HEX is read by hal/sim/hex.ts, like every HEX a user gives. Exit 0 when every input was hex (ATR
 * errors are results, not failures), 1 when some input line was not, 2 for usage errors. With
 * `--json -` output lines pair with the non-blank input lines: a line that is not hex gets
 * `{"input": LINE, "error": "not hex"|"odd length"}` (no ATR analysis, so none of the contract's ATR
 * error codes applies to it).
 */
import { createInterface } from 'node:readline';
import { decodeAtr, type AtrInfo, type InterfaceByte } from '../../firmware/iso7816/atr/decode.js';
import { parseHex, toHex } from '../../hal/sim/hex.js';
import { atrToJson } from './atr-json.js';

const USAGE = 'usage: ccid-reader atr [--json] HEX|-\n' +
  '  HEX  an ATR in hex (upper or lower case; spaces and colons allowed)\n' +
  '  -    read one hex ATR per line from stdin (blank lines skipped); with --json every other line\n' +
  '       gets one output line: the analysis, or {"input": LINE, "error": "not hex"|"odd length"}\n' +
  '       (exit 1)\n';

const h2 = (v: number): string => toHex(Uint8Array.of(v));
const spaced = (bytes: Uint8Array): string => toHex(bytes).replace(/(..)(?!$)/g, '$1 ');

/** The interface bytes a Y nibble announces, §8.2.2, named with their index i. */
function announced(y: number, i: number): string {
  const names = ['TA', 'TB', 'TC', 'TD'].filter((_, bit) => (y & (1 << bit)) !== 0).map((n) => `${n}${i}`);
  return names.length === 0 ? 'no interface bytes follow' : `${names.join(', ')} follow`;
}

const CLOCK_STOP_TEXT = Object.freeze({
  'not-supported': 'not supported', low: 'state L', high: 'state H', 'no-preference': 'no preference',
});

/** What one interface byte means, ISO 7816-3 §8.2.3, §8.3, §10.2, §11.4. */
function meaning(b: InterfaceByte, info: AtrInfo, firsts: Set<InterfaceByte>): string {
  const v = b.value;
  if (b.name === 'TD') {
    const t = v & 0x0f;
    return `${announced(v >> 4, b.i + 1)}; T = ${t}${t === 15 ? ' (global interface bytes follow)' : ''}`;
  }
  if (b.i === 1) {
    if (b.name === 'TA') {
      return `FI = ${v >> 4}: Fi = ${info.fi ?? 'RFU'}, fmax = ${info.fmaxHz === null ? 'RFU' : `${info.fmaxHz / 1e6} MHz`}; ` +
        `DI = ${v & 0x0f}: Di = ${info.di ?? 'RFU'}`;
    }
    if (b.name === 'TB') return 'VPP (deprecated, ignored)';
    return `extra guard time N = ${v}${v === 255 ? ' (minimum: 12 etu for T=0, 11 etu for T=1)' : ''}`;
  }
  if (b.i === 2) {
    if (b.name === 'TA') {
      return `specific mode: T = ${v & 0x0f}, ${(v & 0x80) === 0 ? 'can' : 'cannot'} change to negotiable mode, ` +
        `${(v & 0x10) !== 0 ? 'implicit parameters (not TA1)' : 'parameters from TA1'}`;
    }
    if (b.name === 'TB') return 'VPP (deprecated, ignored)';
    return `T=0 waiting integer WI = ${v}`;
  }
  if (b.t === 15 && !(firsts.has(b) && b.name !== 'TC')) return 'global (T=15), no defined meaning';
  if (!firsts.has(b)) return `specific to T=${b.t}`;
  if (b.t === 1) {
    if (b.name === 'TA') return `T=1 IFSC = ${v}${v === 0 || v === 255 ? ' (invalid: 1 to 254)' : ''}`;
    if (b.name === 'TB') return `T=1 BWI = ${v >> 4}${v >> 4 > 9 ? ' (RFU: 0 to 9)' : ''}, CWI = ${v & 0x0f}`;
    return `T=1 EDC = ${(v & 1) !== 0 ? 'CRC' : 'LRC'}`;
  }
  if (b.t === 15) {
    if (b.name === 'TA') {
      return `clock stop ${CLOCK_STOP_TEXT[info.clockStop ?? 'not-supported']}, ` +
        `classes ${info.classes.length === 0 ? 'none (RFU)' : info.classes.join(', ')}`;
    }
    if (b.name === 'TB') return `SPU (use of C6) = ${h2(v)}`;
  }
  return `specific to T=${b.t}`;
}

/** The first TA/TB/TC for T=1 and for T=15 with i ≥ 3, the only ones with a defined meaning. */
function firstSpecific(bytes: readonly InterfaceByte[]): Set<InterfaceByte> {
  const seen = new Set<string>();
  const firsts = new Set<InterfaceByte>();
  for (const b of bytes) {
    if (b.name === 'TD' || b.i < 3) continue;
    const key = `${b.name}${b.t}`;
    if (!seen.has(key)) firsts.add(b);
    seen.add(key);
  }
  return firsts;
}

const ascii = (bytes: Uint8Array): string =>
  Array.from(bytes, (c) => (c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : '.')).join('');

/** Interindustry COMPACT-TLV tags of the historical bytes (tag '4X' written as the nibble X). */
const COMPACT_TAGS: Readonly<Record<number, string>> = Object.freeze({
  1: 'country code', 2: 'issuer identification', 3: 'card service data', 4: 'initial access data',
  5: 'card issuer data', 6: 'pre-issuing data', 7: 'card capabilities', 8: 'status indicator',
  15: 'application identifier',
});

/** Historical bytes, ISO/IEC 7816-4:2005 §8.1.1 (2013: §12.1.1): category indicator, then a brief look inside. */
function historicalLines(hb: Uint8Array): string[] {
  if (hb.length === 0) return [];
  const lines = [`  text: "${ascii(hb)}"`];
  const category = hb[0];
  if (category === 0x00) {
    lines.push('  category 00: data objects, then a status indicator (last 3 bytes)');
  } else if (category === 0x10) {
    lines.push('  category 10: DIR data reference follows');
  } else if (category === 0x80) {
    lines.push('  category 80: COMPACT-TLV data objects follow');
    // PC/SC Part 3 storage cards write an application identifier as 4F LL … (tag, then a length byte).
    if (hb.length >= 3 && hb[1] === 0x4f && hb[2] + 3 <= hb.length) {
      lines.push(`    4F application identifier (PC/SC Part 3): ${spaced(hb.subarray(3, 3 + hb[2]))}`);
      return lines;
    }
    let p = 1;
    while (p < hb.length) {
      const tag = hb[p] >> 4;
      const len = hb[p] & 0x0f;
      if (p + 1 + len > hb.length) {
        lines.push(`    ${h2(hb[p])}: length ${len} overruns the historical bytes`);
        break;
      }
      const value = hb.subarray(p + 1, p + 1 + len);
      lines.push(`    ${h2(hb[p])} ${COMPACT_TAGS[tag] ?? `tag ${tag.toString(16).toUpperCase()}`}: ${spaced(value)}`);
      p += 1 + len;
    }
  } else if (category >= 0x81 && category <= 0x8f) {
    lines.push(`  category ${h2(category)}: RFU`);
  } else {
    lines.push(`  category ${h2(category)}: proprietary`);
  }
  return lines;
}

/** The readable analysis, in the spirit of pcsc-tools' ATR_analysis. */
export function describeAtr(info: AtrInfo): string {
  const out = [`ATR: ${spaced(info.atr)}`];
  if (info.convention === null) {
    out.push(info.atr.length === 0 ? 'TS: absent' : `TS = ${h2(info.atr[0])}: not an ATR (3B direct or 3F inverse)`);
  } else {
    out.push(`TS = ${h2(info.atr[0])}: ${info.convention} convention`);
    if (info.t0 !== null) out.push(`T0 = ${h2(info.t0)}: ${announced(info.t0 >> 4, 1)}; K = ${info.k} historical bytes`);
    const firsts = firstSpecific(info.interfaceBytes);
    for (const b of info.interfaceBytes) out.push(`${b.name}${b.i} = ${h2(b.value)}: ${meaning(b, info, firsts)}`);
    out.push('');
    out.push(`Protocols: ${info.protocols.map((t) => `T=${t}`).join(', ')}; default T=${info.defaultProtocol}` +
      (info.specificMode === null ? ' (negotiable mode)' : ' (specific mode)'));
    out.push(`Fi = ${info.fi ?? 'RFU'}, Di = ${info.di ?? 'RFU'}, fmax = ${info.fmaxHz === null ? 'RFU' : `${info.fmaxHz / 1e6} MHz`}` +
      (info.ta1Present ? '' : ' (TA1 absent: defaults)'));
    out.push(`N = ${info.n}, WI = ${info.wi}`);
    if (info.t1 !== null) {
      out.push(`T=1: IFSC = ${info.t1.ifsc}, CWI = ${info.t1.cwi}, BWI = ${info.t1.bwi}, EDC = ${info.t1.edc.toUpperCase()}`);
    }
    out.push(`Classes: ${info.classes.length === 0 ? 'none (RFU)' : info.classes.join(', ')}; clock stop: ` +
      (info.clockStop === null ? 'no indication' : CLOCK_STOP_TEXT[info.clockStop]));
    out.push(info.k === 0 ? 'Historical bytes: none'
      : `Historical bytes (${info.historical.length} of K = ${info.k}): ${spaced(info.historical)}`);
    out.push(...historicalLines(info.historical));
    const tck = info.tck;
    out.push(info.errors.includes('truncated') ? 'TCK: not reached (ATR truncated)'
      : !tck.required ? 'TCK: not required (only T=0 offered)'
      : !tck.present ? 'TCK: required but absent'
        : `TCK = ${h2(info.atr[tckOffset(info)])}: ${tck.valid ? 'correct' : 'wrong (XOR of T0 … TCK is not 0)'}`);
  }
  out.push(`Errors: ${info.errors.length === 0 ? 'none' : info.errors.join(', ')}`);
  return out.join('\n') + '\n';
}

function tckOffset(info: AtrInfo): number {
  const last = info.interfaceBytes.length === 0 ? 1 : info.interfaceBytes[info.interfaceBytes.length - 1].offset;
  return last + 1 + info.k;
}

function render(bytes: Uint8Array, json: boolean): string {
  const info = decodeAtr(bytes);
  return json ? JSON.stringify(atrToJson(info)) + '\n' : describeAtr(info);
}

async function fromStdin(json: boolean): Promise<number> {
  let status = 0;
  let line = 0;
  let first = true;
  for await (const text of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
    line++;
    if (text.trim() === '') continue;
    const parsed = parseHex(text);
    if ('error' in parsed) {
      process.stderr.write(`ccid-reader atr: stdin line ${line}: ${parsed.error}: ${text}\n`);
      if (json) process.stdout.write(JSON.stringify({ input: text, error: parsed.error.startsWith('odd') ? 'odd length' : 'not hex' }) + '\n');
      status = 1;
      continue;
    }
    process.stdout.write((json || first ? '' : '\n') + render(parsed.bytes, json));
    first = false;
  }
  return status;
}

export async function run(args: string[]): Promise<number> {
  let json = false;
  const operands: string[] = [];
  for (const arg of args) {
    if (arg === '--json') json = true;
    else if (arg === '--help' || arg === '-h') {
      process.stdout.write(USAGE);
      return 0;
    } else if (arg.startsWith('--')) {
      process.stderr.write(`ccid-reader atr: unknown option ${arg}\n${USAGE}`);
      return 2;
    } else operands.push(arg);
  }
  if (operands.length === 1 && operands[0] === '-') return fromStdin(json);
  // Several operands are one ATR typed with spaces: `ccid-reader atr 3B 00`.
  const parsed = operands.length === 0 || operands.includes('-') ? null : parseHex(operands.join(' '));
  if (parsed === null || ('bytes' in parsed && parsed.bytes.length === 0)) {
    process.stderr.write(`ccid-reader atr: expected one hex ATR or -\n${USAGE}`);
    return 2;
  }
  if ('error' in parsed) {
    process.stderr.write(`ccid-reader atr: ${parsed.error}\n${USAGE}`);
    return 2;
  }
  process.stdout.write(render(parsed.bytes, json));
  return 0;
}
