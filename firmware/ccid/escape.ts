/**
 * Vendor commands carried by PC_to_RDR_Escape (CCID Rev 1.1 §6.1.8; the reply is RDR_to_PC_Escape,
 * §6.2.4). abData[0] selects the command; multi-byte numbers are little-endian.
 *
 * | code | command          | abData after the code | reply abData |
 * |------|------------------|-----------------------|--------------|
 * | 0x01 | READ_STATE       | —                     | reader state: 0 ABSENT, 1 PRESENT, 2 SWALLOWED, 3 POWERED, 4 NEGOTIABLE, 5 SPECIFIC |
 * | 0x02 | READ_ATTRIBUTES  | —                     | 33 bytes, layout in `ATTRIBUTE_LAYOUT` below |
 * | 0x03 | GET_TRACE_LEVEL  | —                     | trace category mask (1 byte, TraceCategory bits) |
 * | 0x04 | SET_TRACE_LEVEL  | mask (1 byte)         | the mask now in force |
 * | 0x05 | READ_ATR         | —                     | the last ATR (empty when none) |
 *
 * Failures answer bmCommandStatus 1 with bError 10 (offset of abData[0]: unknown or missing code)
 * or 11 (offset of abData[1]: missing or extra argument), CCID §6.2.6; SET_TRACE_LEVEL on a trace
 * without `setMask` answers bError 0 (not supported).
 */
import type { Trace } from '../../hal/interfaces/trace.js';
import type { ReaderState, SlotAttributes } from '../../hal/interfaces/slot.js';
import { Offset } from './constants.js';
import { blockWaitingNs, characterWaitingEtu, workWaitingNs } from '../iso7816/timing.js';
import { writeU32 } from './messages.js';

export const EscapeCode = Object.freeze({
  READ_STATE: 0x01,
  READ_ATTRIBUTES: 0x02,
  GET_TRACE_LEVEL: 0x03,
  SET_TRACE_LEVEL: 0x04,
  READ_ATR: 0x05,
} as const);

const STATES: readonly ReaderState[] = Object.freeze(['ABSENT', 'PRESENT', 'SWALLOWED', 'POWERED', 'NEGOTIABLE', 'SPECIFIC']);
const VOLTAGES: readonly (string | null)[] = Object.freeze([null, 'A', 'B', 'C']);

/**
 * READ_ATTRIBUTES reply layout (offset: field): 0 state, 1 protocol (0xFF none), 2 FI index, 3 DI
 * index, 4–5 F, 6–7 D, 8 N, 9 WI, 10 IFSC, 11 IFSD, 12 BWI, 13 CWI, 14 EDC (0 LRC, 1 CRC),
 * 15 voltage class (0 off, 1 A, 2 B, 3 C), 16–19 clock Hz, 20 clock stopped (0/1), 21–24 CWT in etu
 * (11 + 2^CWI, ISO 7816-3 §11.4.3), 25–28 BWT in µs (11 etu + 2^BWI × 960 × Fd / f, §11.4.3),
 * 29–32 WWT in µs (WI × 960 × Fi / f with the card's Fi, §10.2: the deadline the session enforces).
 * Times are 0 while the clock is unknown (0 Hz).
 */
export const ATTRIBUTE_LAYOUT_LENGTH = 33;

export type EscapeResult = { ok: true; length: number } | { ok: false; bError: number };

function writeAttributes(out: Uint8Array, a: SlotAttributes): number {
  out[0] = STATES.indexOf(a.state);
  out[1] = a.protocol ?? 0xff;
  out[2] = a.fiIndex;
  out[3] = a.diIndex;
  out[4] = a.F & 0xff;
  out[5] = a.F >> 8;
  out[6] = a.D & 0xff;
  out[7] = a.D >> 8;
  out[8] = a.N;
  out[9] = a.WI;
  out[10] = a.ifsc;
  out[11] = a.ifsd;
  out[12] = a.bwi;
  out[13] = a.cwi;
  out[14] = a.edc === 'crc' ? 1 : 0;
  out[15] = VOLTAGES.indexOf(a.voltage);
  writeU32(out, 16, a.clockHz);
  out[20] = a.clockStopped ? 1 : 0;
  writeU32(out, 21, characterWaitingEtu(a.cwi));
  writeU32(out, 25, Math.round(blockWaitingNs(a) / 1000));
  writeU32(out, 29, Math.round(workWaitingNs(a) / 1000));
  return ATTRIBUTE_LAYOUT_LENGTH;
}

/** Run one vendor command; the reply data goes to `out` (room for dwMaxCCIDMessageLength − 10 bytes). */
export function runEscape(command: Uint8Array, out: Uint8Array, attributes: SlotAttributes, trace: Trace): EscapeResult {
  if (command.length === 0) return { ok: false, bError: Offset.data };
  const noArgument = command.length === 1;
  switch (command[0]) {
    case EscapeCode.READ_STATE:
      if (!noArgument) return { ok: false, bError: Offset.data + 1 };
      out[0] = STATES.indexOf(attributes.state);
      return { ok: true, length: 1 };
    case EscapeCode.READ_ATTRIBUTES:
      if (!noArgument) return { ok: false, bError: Offset.data + 1 };
      return { ok: true, length: writeAttributes(out, attributes) };
    case EscapeCode.GET_TRACE_LEVEL:
      if (!noArgument) return { ok: false, bError: Offset.data + 1 };
      out[0] = trace.mask & 0xff;
      return { ok: true, length: 1 };
    case EscapeCode.SET_TRACE_LEVEL:
      if (command.length !== 2) return { ok: false, bError: Offset.data + 1 };
      if (trace.setMask === undefined) return { ok: false, bError: 0 };
      trace.setMask(command[1]);
      out[0] = trace.mask & 0xff;
      return { ok: true, length: 1 };
    case EscapeCode.READ_ATR: {
      if (!noArgument) return { ok: false, bError: Offset.data + 1 };
      const atr = attributes.atr;
      if (atr === null || atr.length > out.length) return { ok: true, length: 0 };
      out.set(atr);
      return { ok: true, length: atr.length };
    }
    default:
      return { ok: false, bError: Offset.data };
  }
}
