/**
 * Answer-to-Reset decoding, ISO/IEC 7816-3:2006 §8.2: TS, T0, interface bytes TAi/TBi/TCi/TDi,
 * historical bytes, TCK. Total: any byte string gives an AtrInfo, problems are error codes (the
 * `ccid-reader atr` contract), never exceptions.
 */
import type { VoltageClass } from '../../../hal/interfaces/card-contacts.js';
import { TS_DIRECT, TS_INVERSE } from './framing.js';
import { diValue, fiValue, fmaxHz } from '../tables.js';

export { atrRemaining } from './framing.js';

export type AtrError =
  | 'bad-ts'
  | 'truncated'
  | 'missing-tck'
  | 'bad-tck'
  | 'trailing-bytes'
  | 'invalid-ifsc'
  | 't15-in-td1'
  | 'rfu-fi'
  | 'rfu-di';

/** The contract's order, used to list errors deterministically. */
const ERROR_ORDER: readonly AtrError[] = Object.freeze([
  'bad-ts', 'truncated', 'missing-tck', 'bad-tck', 'trailing-bytes', 'invalid-ifsc', 't15-in-td1', 'rfu-fi', 'rfu-di',
] as AtrError[]);

/** Clock stop indicator X, §8.3: b8 b7 of the first TA for T=15. */
export type ClockStop = 'not-supported' | 'low' | 'high' | 'no-preference';
const CLOCK_STOP: readonly ClockStop[] = Object.freeze(['not-supported', 'low', 'high', 'no-preference'] as ClockStop[]);

export type InterfaceByteName = 'TA' | 'TB' | 'TC' | 'TD';
const NAMES: readonly InterfaceByteName[] = Object.freeze(['TA', 'TB', 'TC', 'TD'] as InterfaceByteName[]);

export interface InterfaceByte {
  readonly name: InterfaceByteName;
  /** The i of TAi…TDi (1-based). */
  readonly i: number;
  readonly value: number;
  /** Offset in the ATR. */
  readonly offset: number;
  /**
   * The T indicated by TD(i−1), which TAi/TBi/TCi/TDi belong to when i ≥ 3 (§8.2.3); null for i = 1.
   * For i = 2 it is recorded but the bytes stay global (TA2, TB2) or T=0-specific (TC2).
   */
  readonly t: number | null;
}

/** Specific mode, TA2 (§8.3): present means the card is in specific mode, no PPS. */
export interface SpecificMode {
  readonly protocol: number;
  /** b8 = 0: the card can switch to negotiable mode (warm reset). */
  readonly canChange: boolean;
  /** b5 = 1: parameters defined implicitly, not by TA1 (use Fd, Dd). */
  readonly implicit: boolean;
}

/** T=1 parameters, §11.4: the first TA/TB/TC for T=1 (i ≥ 3). */
export interface T1Parameters {
  readonly ifsc: number;
  readonly cwi: number;
  readonly bwi: number;
  readonly edc: 'lrc' | 'crc';
}

export interface TckStatus {
  /** Some TDi indicates T ≠ 0 (§8.2.5). */
  readonly required: boolean;
  readonly present: boolean;
  /** XOR of T0 … TCK is 0; null when TCK is not present. */
  readonly valid: boolean | null;
}

export interface AtrInfo {
  /** The bytes decoded (a copy). */
  readonly atr: Uint8Array;
  readonly convention: 'direct' | 'inverse' | null;
  /** T0, or null when absent. */
  readonly t0: number | null;
  /** K, the number of historical bytes T0 announces (0 when T0 is absent). */
  readonly k: number;
  /** Every interface byte received, in order. */
  readonly interfaceBytes: readonly InterfaceByte[];
  /** Each T offered by a TDi (not 15), once, in order; [0] when none; [] when TS is bad. */
  readonly protocols: readonly number[];
  readonly defaultProtocol: number | null;
  readonly ta1Present: boolean;
  /** FI, DI from TA1 (default 1, 1) and their table values (null: RFU). */
  readonly fiIndex: number;
  readonly diIndex: number;
  readonly fi: number | null;
  readonly di: number | null;
  readonly fmaxHz: number | null;
  /** TB1, TB2: deprecated VPP bytes, kept for display. */
  readonly tb1: number | null;
  readonly tb2: number | null;
  /** Extra guard time N, TC1 (default 0). */
  readonly n: number;
  /** Waiting integer WI, TC2 (§10.2, default 10). */
  readonly wi: number;
  readonly specificMode: SpecificMode | null;
  /** Null unless T=1 is offered. */
  readonly t1: T1Parameters | null;
  /**
   * Class indicator U, §8.3: b1 A, b2 B, b3 C of the first TA for T=15; ['A'] when that byte is absent,
   * [] when it sets none of b1–b3 (an RFU value: no class is claimed, so none is invented).
   */
  readonly classes: readonly VoltageClass[];
  /** The raw first TA for T=15, or null. */
  readonly classIndicator: number | null;
  readonly clockStop: ClockStop | null;
  /** SPU, the first TB for T=15 (use of C6), or null. */
  readonly spu: number | null;
  /** The historical bytes received (a copy; fewer than K when truncated). */
  readonly historical: Uint8Array;
  readonly tck: TckStatus;
  readonly errors: readonly AtrError[];
}

interface Walk {
  t0: number | null;
  k: number;
  bytes: InterfaceByte[];
  protocols: number[];
  historical: Uint8Array;
  tck: TckStatus;
  errors: Set<AtrError>;
}

/** Follow the TDi chain, then K historical bytes, then TCK (§8.2.1–§8.2.5). */
function walk(atr: Uint8Array): Walk {
  const errors = new Set<AtrError>();
  const bytes: InterfaceByte[] = [];
  const protocols: number[] = [];
  const none: TckStatus = { required: false, present: false, valid: null };
  if (atr.length < 2) {
    errors.add('truncated');
    return { t0: null, k: 0, bytes, protocols, historical: new Uint8Array(0), tck: none, errors };
  }
  const t0 = atr[1];
  const k = t0 & 0x0f;
  let y = t0 >> 4;
  let pos = 2;
  let i = 1;
  let t: number | null = null;
  let required = false;
  for (;;) {
    let td = -1;
    for (let bit = 0; bit < 4; bit++) {
      if ((y & (1 << bit)) === 0) continue;
      if (pos >= atr.length) {
        errors.add('truncated');
        return { t0, k, bytes, protocols, historical: new Uint8Array(0), tck: { ...none, required }, errors };
      }
      if (bit === 3) td = atr[pos];
      bytes.push({ name: NAMES[bit], i, value: atr[pos], offset: pos, t });
      pos++;
    }
    if (td < 0) break;
    t = td & 0x0f;
    // §8.2.3: T = 15 is global and never valid in TD1; its bytes are still framed as announced.
    if (i === 1 && t === 15) errors.add('t15-in-td1');
    if (t !== 0) required = true;
    if (t !== 15 && !protocols.includes(t)) protocols.push(t);
    y = td >> 4;
    i++;
  }
  const historical = atr.slice(pos, pos + k);
  if (pos + k > atr.length) {
    errors.add('truncated');
    return { t0, k, bytes, protocols, historical, tck: { ...none, required }, errors };
  }
  pos += k;
  let tck: TckStatus = { ...none, required };
  if (required) {
    if (pos < atr.length) {
      let x = 0;
      for (let j = 1; j <= pos; j++) x ^= atr[j];
      tck = { required, present: true, valid: x === 0 };
      if (x !== 0) errors.add('bad-tck');
      pos++;
    } else {
      errors.add('missing-tck');
    }
  }
  if (pos < atr.length) errors.add('trailing-bytes');
  return { t0, k, bytes, protocols, historical, tck, errors };
}

function find(bytes: readonly InterfaceByte[], name: InterfaceByteName, i: number): number | null {
  for (const b of bytes) if (b.name === name && b.i === i) return b.value;
  return null;
}

/** The first TAi/TBi/TCi with i ≥ 3 whose TD(i−1) indicates T (ISO 7816-3 §8.2.3, §11.4). */
function firstFor(bytes: readonly InterfaceByte[], name: InterfaceByteName, t: number): number | null {
  for (const b of bytes) if (b.name === name && b.i >= 3 && b.t === t) return b.value;
  return null;
}

/** No usable TS (absent or neither 3B nor 3F): nothing after it can be trusted, so only defaults. */
function notAnAtr(atr: Uint8Array, error: AtrError): AtrInfo {
  return {
    atr, convention: null, t0: null, k: 0, interfaceBytes: [], protocols: [], defaultProtocol: null,
    ta1Present: false, fiIndex: 1, diIndex: 1, fi: fiValue(1), di: diValue(1), fmaxHz: fmaxHz(1),
    tb1: null, tb2: null, n: 0, wi: 10, specificMode: null, t1: null, classes: ['A'], classIndicator: null,
    clockStop: null, spu: null, historical: new Uint8Array(0),
    tck: { required: false, present: false, valid: null }, errors: [error],
  };
}

/** Decode any byte string as an ATR. Never throws. */
export function decodeAtr(bytes: Uint8Array): AtrInfo {
  const atr = bytes.slice();
  if (atr.length === 0) return notAnAtr(atr, 'truncated');
  if (atr[0] !== TS_DIRECT && atr[0] !== TS_INVERSE) return notAnAtr(atr, 'bad-ts');
  const w = walk(atr);
  const errors = w.errors;

  const ta1 = find(w.bytes, 'TA', 1);
  const fiIndex = ta1 === null ? 1 : ta1 >> 4;
  const diIndex = ta1 === null ? 1 : ta1 & 0x0f;
  const fi = fiValue(fiIndex);
  const di = diValue(diIndex);
  if (fi === null) errors.add('rfu-fi');
  if (di === null) errors.add('rfu-di');

  // TA2 is the specific mode byte by its position (§8.3), also after an (invalid) T=15 in TD1.
  const ta2 = find(w.bytes, 'TA', 2);
  const specificMode: SpecificMode | null = ta2 === null
    ? null
    : { protocol: ta2 & 0x0f, canChange: (ta2 & 0x80) === 0, implicit: (ta2 & 0x10) !== 0 };

  const protocols = w.protocols.length > 0 ? w.protocols : [0];

  let t1: T1Parameters | null = null;
  if (protocols.includes(1)) {
    const ta = firstFor(w.bytes, 'TA', 1);
    const tb = firstFor(w.bytes, 'TB', 1);
    const tc = firstFor(w.bytes, 'TC', 1);
    // §11.4.2: IFSC 0x00 and 0xFF are RFU.
    if (ta === 0x00 || ta === 0xff) errors.add('invalid-ifsc');
    t1 = {
      ifsc: ta ?? 32,
      cwi: tb === null ? 13 : tb & 0x0f,
      bwi: tb === null ? 4 : tb >> 4,
      edc: tc !== null && (tc & 0x01) !== 0 ? 'crc' : 'lrc',
    };
  }

  const classIndicator = firstFor(w.bytes, 'TA', 15);
  const classes: VoltageClass[] = [];
  if (classIndicator === null) classes.push('A');
  else {
    if ((classIndicator & 0x01) !== 0) classes.push('A');
    if ((classIndicator & 0x02) !== 0) classes.push('B');
    if ((classIndicator & 0x04) !== 0) classes.push('C');
  }

  return {
    atr,
    convention: atr[0] === TS_DIRECT ? 'direct' : 'inverse',
    t0: w.t0,
    k: w.k,
    interfaceBytes: w.bytes,
    protocols,
    defaultProtocol: specificMode !== null ? specificMode.protocol : protocols[0],
    ta1Present: ta1 !== null,
    fiIndex,
    diIndex,
    fi,
    di,
    fmaxHz: fmaxHz(fiIndex),
    tb1: find(w.bytes, 'TB', 1),
    tb2: find(w.bytes, 'TB', 2),
    n: find(w.bytes, 'TC', 1) ?? 0,
    wi: find(w.bytes, 'TC', 2) ?? 10,
    specificMode,
    t1,
    classes,
    classIndicator,
    clockStop: classIndicator === null ? null : CLOCK_STOP[classIndicator >> 6],
    spu: firstFor(w.bytes, 'TB', 15),
    historical: w.historical,
    tck: w.tck,
    errors: ERROR_ORDER.filter((e) => errors.has(e)),
  };
}
