/**
 * The demo session of `ccid-reader sim` without `--apdu`. The built-in cards run the ISO 7816-4 file
 * system of hal/sim/cards/fs-applet.ts over T=0 or T=1, so one tour fits them all: it selects, reads,
 * asks for a challenge, and writes (slow enough that the card asks for more time and the reader sends
 * a CCID time extension), then reads the written bytes back. The `usim` card gets a SIM tool's tour
 * instead (ICCID in class 00, IMSI in class A0); a scripted card has its own script, so it gets no
 * demo commands.
 */
import { hex } from '../../hal/sim/hex.js';
import type { LabelledApdu } from './sim-session.js';

const TOUR: readonly (readonly [string, string])[] = [
  ['00 A4 00 00 02 3F 00 00', 'SELECT MF 3F00, return the FCP'],
  ['00 A4 00 0C 02 00 01', 'SELECT EF 0001, no response data'],
  ['00 B0 00 00 10', 'READ BINARY, 16 bytes from offset 0'],
  ['00 84 00 00 08', 'GET CHALLENGE, 8 bytes'],
  ['00 D6 00 00 04 CA FE BA BE', 'UPDATE BINARY, 4 bytes at offset 0 (a slow write)'],
  ['00 B0 00 00 04', 'READ BINARY, the 4 bytes written'],
];

const USIM_TOUR: readonly (readonly [string, string])[] = [
  ['00 A4 00 04 02 3F 00', 'SELECT MF (TS 102 221), the FCP waits behind 61xx'],
  ['00 A4 00 0C 02 2F E2', 'SELECT EF ICCID'],
  ['00 B0 00 00 0A', 'READ BINARY: the ICCID, BCD with swapped nibbles'],
  ['A0 A4 00 00 02 7F 20', 'SELECT DF GSM in class A0 (TS 51.011): the response waits behind 9Fxx'],
  ['A0 A4 00 00 02 6F 07', 'SELECT EF IMSI'],
  ['A0 B0 00 00 09', 'READ BINARY: the IMSI'],
];

export function demoApdus(options: { scripted: boolean; card?: string }): LabelledApdu[] {
  if (options.scripted) return [];
  return (options.card === 'usim' ? USIM_TOUR : TOUR).map(([hexText, label]) => ({ apdu: hex(hexText), label }));
}
