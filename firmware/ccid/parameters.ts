/**
 * CCID Rev 1.1 §6.1.7 abProtocolData (Table 6.1-4 for T=0, Table 6.1-5 for T=1) ↔ SlotParameters.
 * The same structure travels in RDR_to_PC_Parameters (§6.2.3).
 */
import type { SlotAttributes, SlotClockStop, SlotParameters } from '../../hal/interfaces/slot.js';
import { diValue, fiValue } from '../iso7816/tables.js';
import { Offset } from './constants.js';

const CLOCK_STOP: readonly SlotClockStop[] = Object.freeze(['not-supported', 'low', 'high', 'no-preference']);

/** Length of abProtocolData for bProtocolNum 0 and 1. */
export const PROTOCOL_DATA_LENGTH: readonly number[] = Object.freeze([5, 7]);

/** ISO 7816-3 defaults: Fd/Dd, direct convention, N 0, WI 10, IFSC 32, BWI 4, CWI 13, LRC. */
export const DEFAULT_PARAMETERS: SlotParameters = Object.freeze({
  protocol: 0,
  fiIndex: 1,
  diIndex: 1,
  convention: 'direct',
  N: 0,
  WI: 10,
  edc: 'lrc',
  bwi: 4,
  cwi: 13,
  ifsc: 32,
  nad: 0,
  clockStop: 'not-supported',
});

/** The parameters in force on a powered card, as its attributes show them. */
export function parametersFromAttributes(attributes: SlotAttributes, clockStop: SlotClockStop): SlotParameters {
  return Object.freeze({
    protocol: attributes.protocol ?? 0,
    fiIndex: attributes.fiIndex,
    diIndex: attributes.diIndex,
    convention: attributes.convention ?? 'direct',
    N: attributes.N,
    WI: attributes.WI,
    edc: attributes.edc,
    bwi: attributes.bwi,
    cwi: attributes.cwi,
    ifsc: attributes.ifsc,
    nad: attributes.nad,
    clockStop,
  });
}

/** Write abProtocolData for `p` into `out`; returns its length (5 for T=0, 7 for T=1). */
export function encodeProtocolData(out: Uint8Array, p: SlotParameters): number {
  out[0] = ((p.fiIndex & 0xf) << 4) | (p.diIndex & 0xf); // bmFindexDindex
  const inverse = p.convention === 'inverse' ? 0x02 : 0;
  out[2] = p.N; // bGuardTimeT0 / bGuardTimeT1
  out[4] = CLOCK_STOP.indexOf(p.clockStop); // bClockStop
  if (p.protocol === 0) {
    out[1] = inverse; // bmTCCKST0
    out[3] = p.WI; // bWaitingIntegerT0
    return 5;
  }
  out[1] = 0x10 | inverse | (p.edc === 'crc' ? 1 : 0); // bmTCCKST1
  out[3] = ((p.bwi & 0xf) << 4) | (p.cwi & 0xf); // bmWaitingIntegersT1
  out[5] = p.ifsc; // bIFSC
  out[6] = p.nad; // bNadValue
  return 7;
}

/** A decoded SetParameters, or the bError (offset of the offending field, §6.2.6) that rejects it. */
export type DecodedParameters = { ok: true; parameters: SlotParameters } | { ok: false; bError: number };

/** Check and decode SetParameters' bProtocolNum and abProtocolData; `protocols` are those the reader runs. */
export function decodeProtocolData(bProtocolNum: number, data: Uint8Array, protocols: readonly number[]): DecodedParameters {
  if ((bProtocolNum !== 0 && bProtocolNum !== 1) || !protocols.includes(bProtocolNum)) return { ok: false, bError: Offset.specific };
  if (data.length !== PROTOCOL_DATA_LENGTH[bProtocolNum]) return { ok: false, bError: Offset.dwLength };
  const at = (field: number): { ok: false; bError: number } => ({ ok: false, bError: Offset.data + field });
  const fiIndex = data[0] >> 4;
  const diIndex = data[0] & 0xf;
  if (fiValue(fiIndex) === null || diValue(diIndex) === null) return at(0);
  const tcckst = data[1];
  if (bProtocolNum === 0 ? (tcckst & ~0x02) !== 0 : (tcckst & ~0x03) !== 0x10) return at(1);
  if (data[4] > 3) return at(4);
  const convention = (tcckst & 0x02) !== 0 ? 'inverse' : 'direct';
  const clockStop = CLOCK_STOP[data[4]];
  if (bProtocolNum === 0) {
    // WI = 0 is not a waiting integer (ISO 7816-3 §10.2: WT = WI × 960 × Fi/f, WI ≥ 1).
    if (data[3] === 0) return at(3);
    return {
      ok: true,
      parameters: Object.freeze({
        ...DEFAULT_PARAMETERS, protocol: 0, fiIndex, diIndex, convention, N: data[2], WI: data[3], clockStop,
      }),
    };
  }
  const bwi = data[3] >> 4;
  // ISO 7816-3 §11.4.3: BWI 0–9; §11.4.2: IFSC 1–254.
  if (bwi > 9) return at(3);
  if (data[5] === 0 || data[5] === 255) return at(5);
  return {
    ok: true,
    parameters: Object.freeze({
      ...DEFAULT_PARAMETERS,
      protocol: 1,
      fiIndex,
      diIndex,
      convention,
      N: data[2],
      edc: (tcckst & 1) !== 0 ? 'crc' : 'lrc',
      bwi,
      cwi: data[3] & 0xf,
      ifsc: data[5],
      nad: data[6],
      clockStop,
    }),
  };
}
