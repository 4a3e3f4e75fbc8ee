/**
 * The readable form of a `ccid-reader sim` session: one block per event, virtual time in µs on the
 * left, the ATR explained by the `atr` command's analysis, PPS and each APDU with its status word.
 */
import type { LineChange, LineCharacter } from '../../hal/sim/line.js';
import { decodeAtr } from '../../firmware/iso7816/atr/decode.js';
import { describeAtr } from './atr-command.js';
import type { SimEvent } from './sim-session.js';

const TIME_WIDTH = 17;
const INDENT = ' '.repeat(TIME_WIDTH + 2);

/** Virtual time as "12 345.678 µs" (ns resolution). */
export function formatUs(ns: number): string {
  const us = Math.round(ns) / 1000;
  const [whole, frac] = us.toFixed(3).split('.');
  return `${grouped(Number(whole))}.${frac} µs`;
}

/** Digits in groups of three separated by spaces (SI style, as the times are). */
function grouped(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ' ');
}

function at(ns: number): string {
  return formatUs(ns).padStart(TIME_WIDTH) + '  ';
}

export function spacedHex(bytes: Uint8Array, max = 48): string {
  let s = '';
  const n = Math.min(bytes.length, max);
  for (let i = 0; i < n; i++) s += (i ? ' ' : '') + bytes[i].toString(16).toUpperCase().padStart(2, '0');
  return bytes.length > max ? `${s} … (${bytes.length} bytes)` : s;
}

function ms(ns: number): string {
  return `${(ns / 1e6).toFixed(3)} ms`;
}

/** ISO 7816-4 instructions a demo or a user is likely to send. */
const INS_NAMES: Readonly<Record<number, string>> = Object.freeze({
  0xa4: 'SELECT', 0xb0: 'READ BINARY', 0xd6: 'UPDATE BINARY', 0x84: 'GET CHALLENGE', 0xc0: 'GET RESPONSE',
  0xc2: 'ENVELOPE', 0xca: 'GET DATA', 0x20: 'VERIFY', 0x88: 'INTERNAL AUTHENTICATE', 0x82: 'EXTERNAL AUTHENTICATE',
  0xb2: 'READ RECORD', 0xdc: 'UPDATE RECORD', 0x70: 'MANAGE CHANNEL',
});

/** ISO 7816-4 §5.1.3 status words, the common ones. */
export function swMeaning(sw1: number, sw2: number): string {
  const sw = (sw1 << 8) | sw2;
  if (sw === 0x9000) return 'OK';
  if (sw1 === 0x61) return `${sw2 || 256} more bytes available (GET RESPONSE)`;
  if (sw1 === 0x6c) return `wrong Le, exact length ${sw2 || 256}`;
  const known: Record<number, string> = {
    0x6282: 'end of file reached before Le bytes', 0x6700: 'wrong length', 0x6982: 'security status not satisfied',
    0x6985: 'conditions of use not satisfied', 0x6986: 'command not allowed (no current EF)',
    0x6a81: 'function not supported', 0x6a82: 'file or application not found', 0x6a86: 'incorrect P1-P2',
    0x6b00: 'wrong parameters P1-P2', 0x6d00: 'instruction not supported', 0x6e00: 'class not supported',
  };
  return known[sw] ?? 'see ISO 7816-4 §5.1.3';
}

function insName(apdu: Uint8Array): string {
  return apdu.length >= 2 ? INS_NAMES[apdu[1]] ?? `INS ${apdu[1].toString(16).toUpperCase().padStart(2, '0')}` : 'malformed APDU';
}

/** bmICCStatus (CCID §6.2.6) in words. */
const ICC_STATUS_TEXT: Readonly<Record<string, string>> = Object.freeze({
  active: 'card present and active', inactive: 'card present, inactive', absent: 'no card', rfu: 'bmICCStatus RFU',
});

const CLASS_OF_VOLTS: Readonly<Record<string, string>> = Object.freeze({ '5': 'class A', '3': 'class B', '1.8': 'class C' });

function contactText(c: LineChange): string {
  switch (c.signal) {
    case 'vcc': return c.value === 0 ? 'VCC off' : `VCC ${c.value} V${CLASS_OF_VOLTS[String(c.value)] ? ` (${CLASS_OF_VOLTS[String(c.value)]})` : ''}`;
    case 'clk': return c.value === 0 ? `CLK stopped (${c.clkLevel ?? 0})` : `CLK ${c.value / 1e6} MHz`;
    case 'rst': return c.value ? 'RST high' : 'RST low';
    case 'io': return `I/O ${c.value}`;
  }
}

interface Burst { from: 'reader' | 'card'; timeNs: number; bytes: Uint8Array; parityErrors: number; repeats: number }

/**
 * Consecutive characters from one side, repetitions (T=0 §7.3) counted rather than shown twice. A
 * contact change (e.g. a deactivation between two ATRs) between two characters also ends a burst.
 */
function bursts(chars: readonly LineCharacter[], contacts: readonly LineChange[] = []): Burst[] {
  const out: Burst[] = [];
  const cuts = contacts.filter((c) => c.signal !== 'io').map((c) => c.timeNs);
  let cut = 0;
  let cur: { from: 'reader' | 'card'; timeNs: number; bytes: number[]; parityErrors: number; repeats: number } | null = null;
  for (const c of chars) {
    let crossed = false;
    while (cut < cuts.length && cuts[cut] <= c.timeNs) {
      cut++;
      crossed = true;
    }
    if (cur === null || cur.from !== c.from || crossed) {
      if (cur) out.push({ ...cur, bytes: Uint8Array.from(cur.bytes) });
      cur = { from: c.from, timeNs: c.timeNs, bytes: [], parityErrors: 0, repeats: 0 };
    }
    if (c.repeated) cur.repeats++;
    else cur.bytes.push(c.byte);
    if (!c.parityOk || c.errorSignalled) cur.parityErrors++;
  }
  if (cur) out.push({ ...cur, bytes: Uint8Array.from(cur.bytes) });
  return out;
}

function burstText(b: Burst): string {
  const extra = [b.parityErrors ? `${b.parityErrors} parity error(s)` : '', b.repeats ? `${b.repeats} repeated` : ''].filter(Boolean).join(', ');
  return `${b.from === 'reader' ? 'reader → card' : 'card → reader'}  ${spacedHex(b.bytes, 32)}${extra ? `  (${extra})` : ''}`;
}

/** The power-on window: contacts and characters in time order, the ATR and PPS named. */
function powerOnLines(e: Extract<SimEvent, { kind: 'power-on' }>, detail: boolean): string[] {
  const items: { t: number; text: string }[] = e.contacts.filter((c) => c.signal !== 'io').map((c) => ({ t: c.timeNs, text: contactText(c) }));
  let lastRstHigh = -1;
  let sawAtr = false;
  let ppsRequest: Uint8Array | null = null;
  let ppsResponse: Uint8Array | null = null;
  let unanswered = 0;
  let anyAtr = false;
  const rstTimes = e.contacts.filter((c) => c.signal === 'rst' && c.value === 1).map((c) => c.timeNs);
  for (const b of bursts(e.characters, e.contacts)) {
    while (rstTimes.length > 0 && rstTimes[0] <= b.timeNs) {
      lastRstHigh = rstTimes.shift() as number;
      sawAtr = false;
    }
    let name = '';
    if (b.from === 'card' && !sawAtr && lastRstHigh >= 0) {
      // §9.1: a PPS the card leaves unanswered ends with a reset; what follows runs without that PPS.
      if (ppsRequest !== null && ppsResponse === null) unanswered++;
      ppsRequest = null;
      ppsResponse = null;
      sawAtr = true;
      anyAtr = true;
      name = `ATR ${spacedHex(b.bytes)}  (${ms(b.timeNs - lastRstHigh)} after RST)`;
    } else if (b.from === 'reader' && b.bytes[0] === 0xff && sawAtr) {
      ppsRequest = b.bytes;
      ppsResponse = null;
      name = `PPS request ${spacedHex(b.bytes)}`;
    } else if (b.from === 'card' && ppsRequest !== null && ppsResponse === null) {
      ppsResponse = b.bytes;
      name = `PPS response ${spacedHex(b.bytes)}`;
    }
    if (name || detail) items.push({ t: b.timeNs, text: name || burstText(b) });
  }
  items.sort((a, b) => a.t - b.t);
  const lines = items.map((i) => `${at(i.t)}  ${i.text}`);
  // Without an ATR there was no moment for a PPS (§9.1): nothing to say about it.
  if (!anyAtr) return lines;
  if (ppsRequest === null) {
    lines.push(`${INDENT}PPS: ${unanswered > 0 ? `${unanswered} request(s) left unanswered, the card was reset; none since` : 'not sent'}`);
  } else if (ppsResponse === null) {
    lines.push(`${INDENT}PPS: no answer from the card`);
  } else {
    const same = ppsResponse.length === ppsRequest.length && ppsResponse.every((v, i) => v === ppsRequest[i]);
    lines.push(`${INDENT}PPS: ${same ? 'accepted (echo)' : 'answered with different parameters'}`);
  }
  return lines;
}

export function eventLines(e: SimEvent, detail: boolean): string[] {
  switch (e.kind) {
    case 'usb-open':
      return [`${at(e.timeNs)}USB: reader enumerated, CCID ${e.level} exchanges, messages up to ${e.maxMessage} bytes`];
    case 'inserted':
      return [`${at(e.timeNs)}card inserted`];
    case 'slot-change':
      return [`${at(e.timeNs)}NotifySlotChange: card ${e.present ? 'present' : 'absent'}`];
    case 'power-on-start':
      return [`${at(e.timeNs)}PC_to_RDR_IccPowerOn (automatic voltage selection)`];
    case 'power-on': {
      const end = e.error === null
        ? `${at(e.endNs)}powered, ATR ${spacedHex(e.atr as Uint8Array)} after ${ms(e.endNs - e.startNs)}`
        : `${at(e.endNs)}IccPowerOn failed: ${e.error} after ${ms(e.endNs - e.startNs)}`;
      const lines = [...powerOnLines(e, detail), end];
      if (e.atr !== null) lines.push(...describeAtr(decodeAtr(e.atr)).trimEnd().split('\n').map((l) => `${INDENT}${l ? '│ ' + l : '│'}`));
      return lines;
    }
    case 'parameters': {
      const bps = e.clockHz > 0 ? Math.round((e.di * e.clockHz) / e.fi) : 0;
      return [`${at(e.timeNs)}protocol T=${e.protocol ?? '?'}, Fi ${e.fi}, Di ${e.di}, CLK ${e.clockHz / 1e6} MHz (${grouped(bps)} bit/s), ` +
        `class ${e.voltage ?? '-'}, reader state ${e.state}`];
    }
    case 'exchange-start':
      return [`${at(e.timeNs)}APDU ${e.label ?? insName(e.command)}`, `${INDENT}>  ${spacedHex(e.command)}`];
    case 'exchange': {
      const x = e.exchange;
      const lines: string[] = [];
      if (detail) {
        for (const h of e.host) {
          if (h.kind === 'chain') lines.push(`${INDENT}   CCID ${h.direction} chaining: ${h.length} bytes, level 0x${h.level.toString(16).padStart(2, '0')}`);
        }
        for (const b of bursts(e.characters)) lines.push(`${at(b.timeNs)}   ${burstText(b)}`);
      }
      const extensions = x.timeExtensions ? `, ${x.timeExtensions} time extension${x.timeExtensions > 1 ? 's' : ''}` : '';
      if (x.response !== null) {
        lines.push(`${INDENT}<  ${spacedHex(x.response)}`);
        const r = x.response;
        const sw = r.length >= 2 ? `SW ${spacedHex(r.subarray(r.length - 2))} ${swMeaning(r[r.length - 2], r[r.length - 1])}` : 'no status word';
        lines.push(`${at(x.endNs)}${sw}; ${r.length - 2 > 0 ? `${r.length - 2} data bytes, ` : ''}${ms(x.endNs - x.startNs)}${extensions}`);
      } else {
        lines.push(`${at(x.endNs)}failed: ${x.error} after ${ms(x.endNs - x.startNs)}${extensions}`);
      }
      return lines;
    }
    case 'removed':
      return [`${at(e.timeNs)}card removed`];
    case 'slot-status':
      return [`${at(e.timeNs)}PC_to_RDR_GetSlotStatus: ${e.error ?? ICC_STATUS_TEXT[e.iccStatus ?? ''] ?? e.iccStatus}`];
  }
}
