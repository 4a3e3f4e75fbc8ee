/**
 * Command APDU structure, ISO/IEC 7816-4 §5.1 (cases 1, 2, 3, 4; short and extended length fields),
 * as ISO/IEC 7816-3 §12.1 restates it for the transport mapping. Pure and total: any byte string
 * gives either a parsed command or the precise reason it is malformed.
 */

export type ApduCase = '1' | '2S' | '3S' | '4S' | '2E' | '3E' | '4E';

export interface CommandApdu {
  readonly kind: 'command';
  readonly apduCase: ApduCase;
  readonly extended: boolean;
  /** Nc: number of command data bytes. */
  readonly nc: number;
  /** Offset of the command data field in the APDU. */
  readonly dataOffset: number;
  /** Ne: maximum number of response data bytes expected (Le = 00 / 0000 mean 256 / 65 536). */
  readonly ne: number;
}

export type ApduFault =
  /** Fewer than the four header bytes CLA INS P1 P2. */
  | 'too-short'
  /** The length fields do not account for exactly the bytes present. */
  | 'length-mismatch'
  /** An extended Lc of 0000 followed by more bytes (Lc must be 1…65 535). */
  | 'zero-extended-lc';

export interface MalformedApdu {
  readonly kind: 'malformed';
  readonly fault: ApduFault;
}

const HEADER = 4;

function command(apduCase: ApduCase, extended: boolean, nc: number, dataOffset: number, ne: number): CommandApdu {
  return { kind: 'command', apduCase, extended, nc, dataOffset, ne };
}

function malformed(fault: ApduFault): MalformedApdu {
  return { kind: 'malformed', fault };
}

/** Decode the case of a command APDU from its length fields (ISO/IEC 7816-4 §5.1). */
export function parseApdu(apdu: Uint8Array): CommandApdu | MalformedApdu {
  const length = apdu.length;
  if (length < HEADER) return malformed('too-short');
  if (length === HEADER) return command('1', false, 0, HEADER, 0);
  const b1 = apdu[HEADER];
  if (length === HEADER + 1) return command('2S', false, 0, HEADER, b1 === 0 ? 256 : b1);
  if (b1 !== 0) {
    // Short Lc = b1 (1…255), then the data, then an optional short Le.
    if (length === HEADER + 1 + b1) return command('3S', false, b1, HEADER + 1, 0);
    if (length === HEADER + 2 + b1) {
      const le = apdu[length - 1];
      return command('4S', false, b1, HEADER + 1, le === 0 ? 256 : le);
    }
    return malformed('length-mismatch');
  }
  // b1 = 00 with more bytes: an extended length field (three bytes 00 XX XX).
  if (length < HEADER + 3) return malformed('length-mismatch');
  const field = (apdu[HEADER + 1] << 8) | apdu[HEADER + 2];
  if (length === HEADER + 3) return command('2E', true, 0, HEADER, field === 0 ? 65_536 : field);
  if (field === 0) return malformed('zero-extended-lc');
  if (length === HEADER + 3 + field) return command('3E', true, field, HEADER + 3, 0);
  if (length === HEADER + 5 + field) {
    const le = (apdu[length - 2] << 8) | apdu[length - 1];
    return command('4E', true, field, HEADER + 3, le === 0 ? 65_536 : le);
  }
  return malformed('length-mismatch');
}

/**
 * Whether `apdu` is a command APDU at all (parseApdu's verdict without building its record): the
 * length fields account for exactly the bytes present (ISO/IEC 7816-4 §5.1).
 */
export function isCommandApdu(apdu: Uint8Array): boolean {
  const length = apdu.length;
  if (length <= HEADER + 1) return length >= HEADER;
  const b1 = apdu[HEADER];
  if (b1 !== 0) return length === HEADER + 1 + b1 || length === HEADER + 2 + b1;
  if (length < HEADER + 3) return false;
  if (length === HEADER + 3) return true;
  const field = (apdu[HEADER + 1] << 8) | apdu[HEADER + 2];
  return field !== 0 && (length === HEADER + 3 + field || length === HEADER + 5 + field);
}
