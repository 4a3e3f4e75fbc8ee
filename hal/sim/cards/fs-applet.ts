/**
 * An ISO 7816-4 file system application working on whole APDUs, shared by the simulated cards of
 * either protocol. Files (§5.3, transparent EFs only):
 *
 *   MF 3F00 ─┬─ EF 2F00 (32 bytes)
 *            ├─ EF 0001 (16 bytes)
 *            └─ DF 1000 ─┬─ EF 1001 (4096 bytes: room for an extended READ/UPDATE BINARY)
 *                        └─ EF 1002 (300 bytes: more than one short response)
 *
 * EF content at power-up: byte i = (i + low byte of the FID) mod 256; updates last until power off.
 * Instructions (§7, §11): SELECT by FID (P1 00/01/02/03; P2 0C no response, 00/04 FCP),
 * READ BINARY, UPDATE BINARY (slow: `busyEtu` says how long the write takes), GET CHALLENGE (from the
 * card's seeded PRNG), GET RESPONSE, and the proprietary ECHO (CLA 80, INS EE) that returns its data.
 *
 * Response length (ISO 7816-4 §5.1, §5.6 SW 61XX): a command never returns more than its Ne. Data it
 * produced beyond Ne (all of it when Ne = 0, as in case 3) stays available to a GET RESPONSE that comes
 * next, and the status 61XX says how much (61 00: 256 or more). So an APDU reaching the applet whole
 * (T=1, or a T=0 ENVELOPE) gets the same bytes as the T=0 mapping of §12.2 gives through the T=0
 * adapter, which asks with Ne = 65 536 and keeps the pieces itself.
 */
import type { SimRandom } from '../random.js';
import type { CommandApdu } from './apdu.js';

export interface ApduResponse {
  data: Uint8Array;
  sw: number;
  /** Etu the card needs before it can answer (a T=0 card sends NULL bytes meanwhile). */
  busyEtu?: number;
}

interface Ef {
  kind: 'ef';
  fid: number;
  content: Uint8Array;
  parent: Df;
}
interface Df {
  kind: 'df';
  fid: number;
  children: (Ef | Df)[];
  parent: Df | null;
}

export const SW = Object.freeze({
  OK: 0x9000,
  END_OF_FILE: 0x6282,
  WRONG_LENGTH: 0x6700,
  NOT_ALLOWED_NO_EF: 0x6986,
  NO_DATA: 0x6985,
  FUNCTION_NOT_SUPPORTED: 0x6a81,
  FILE_NOT_FOUND: 0x6a82,
  INCORRECT_P1P2: 0x6a86,
  WRONG_P1P2_OFFSET: 0x6b00,
  INS_NOT_SUPPORTED: 0x6d00,
  CLA_NOT_SUPPORTED: 0x6e00,
});

/** EEPROM-like write time: a fixed part plus a part per byte (etu; long enough to need NULLs). */
const WRITE_BASE_ETU = 6000;
const WRITE_PER_BYTE_ETU = 8;

export const INS = Object.freeze({
  SELECT: 0xa4, READ_BINARY: 0xb0, UPDATE_BINARY: 0xd6, GET_CHALLENGE: 0x84, GET_RESPONSE: 0xc0,
  ENVELOPE: 0xc2, ECHO: 0xee,
});

function ef(fid: number, size: number, parent: Df): Ef {
  const content = new Uint8Array(size);
  for (let i = 0; i < size; i++) content[i] = (i + fid) & 0xff;
  const file: Ef = { kind: 'ef', fid, content, parent };
  parent.children.push(file);
  return file;
}

function df(fid: number, parent: Df | null): Df {
  const dir: Df = { kind: 'df', fid, children: [], parent };
  parent?.children.push(dir);
  return dir;
}

function response(sw: number, data: Uint8Array = new Uint8Array(0)): ApduResponse {
  return { data, sw };
}

export class FileSystemApplet {
  readonly #random: SimRandom;
  #mf!: Df;
  #df!: Df;
  #ef: Ef | null = null;
  /** Response data held back for GET RESPONSE (beyond the Ne of the command that produced it). */
  #pending: Uint8Array | null = null;
  #pendingSw: number = SW.OK;

  constructor(random: SimRandom) {
    this.#random = random;
    this.powerUp();
  }

  /** Fresh content (power-on): EEPROM is simulated as volatile so each session starts the same. */
  powerUp(): void {
    const mf = df(0x3f00, null);
    ef(0x2f00, 32, mf);
    ef(0x0001, 16, mf);
    const app = df(0x1000, mf);
    ef(0x1001, 4096, app);
    ef(0x1002, 300, app);
    this.#mf = mf;
    this.reset();
  }

  /** After a reset the MF is the current DF and no EF is selected. */
  reset(): void {
    this.#df = this.#mf;
    this.#ef = null;
    this.#pending = null;
  }

  /** Whether an instruction sends data to the card (T=0 needs this to tell case 2 from case 3). */
  static isOutgoing(ins: number): boolean {
    return ins === INS.READ_BINARY || ins === INS.GET_CHALLENGE || ins === INS.GET_RESPONSE;
  }

  /** The status word refusing a class or instruction at once (before any data), or null. */
  refuse(cla: number, ins: number): number | null {
    if (cla === 0x80 && ins === INS.ECHO) return null;
    // Interindustry class with no secure messaging: b8..b6 = 000 (chaining, b5, is the transport's).
    if ((cla & 0xe0) !== 0x00) return SW.CLA_NOT_SUPPORTED;
    const known: number[] = [INS.SELECT, INS.READ_BINARY, INS.UPDATE_BINARY, INS.GET_CHALLENGE, INS.GET_RESPONSE];
    return known.includes(ins) ? null : SW.INS_NOT_SUPPORTED;
  }

  process(apdu: CommandApdu): ApduResponse {
    if (apdu.ins === INS.GET_RESPONSE && (apdu.cla & 0xe0) === 0) return this.#getResponse(apdu);
    // ISO 7816-4 §5.3: held-back response data is available to the next command only.
    this.#pending = null;
    const r = this.#execute(apdu);
    if (r.data.length <= apdu.ne) return r;
    this.#pending = r.data.subarray(apdu.ne);
    this.#pendingSw = r.sw;
    return { ...r, data: r.data.subarray(0, apdu.ne), sw: this.#available() };
  }

  #available(): number {
    const left = this.#pending ? this.#pending.length : 0;
    return 0x6100 | (left >= 256 ? 0 : left);
  }

  /** GET RESPONSE: up to Ne of the held-back data; the last piece ends with the command's own status. */
  #getResponse(apdu: CommandApdu): ApduResponse {
    if (apdu.p1 !== 0 || apdu.p2 !== 0) return response(SW.INCORRECT_P1P2);
    const pending = this.#pending;
    if (!pending || apdu.data.length > 0) {
      this.#pending = null;
      return response(pending ? SW.WRONG_LENGTH : SW.NO_DATA);
    }
    const data = pending.subarray(0, apdu.ne);
    this.#pending = data.length < pending.length ? pending.subarray(data.length) : null;
    return response(this.#pending ? this.#available() : this.#pendingSw, data);
  }

  #execute(apdu: CommandApdu): ApduResponse {
    const { cla, ins } = apdu;
    const refused = this.refuse(cla, ins);
    if (refused !== null) return response(refused);
    if (cla === 0x80 && ins === INS.ECHO) return response(SW.OK, apdu.data.slice());
    switch (ins) {
      case INS.SELECT:
        return this.#select(apdu);
      case INS.READ_BINARY:
        return this.#read(apdu);
      case INS.UPDATE_BINARY:
        return this.#update(apdu);
      case INS.GET_CHALLENGE:
        if (apdu.p1 !== 0 || apdu.p2 !== 0) return response(SW.INCORRECT_P1P2);
        if (apdu.ne === 0 || apdu.data.length > 0) return response(SW.WRONG_LENGTH);
        return response(SW.OK, this.#random.fill(new Uint8Array(apdu.ne)));
      default:
        return response(SW.INS_NOT_SUPPORTED);
    }
  }

  /** §11.1.1 SELECT. */
  #select(apdu: CommandApdu): ApduResponse {
    const { p1, p2, data } = apdu;
    if (p2 !== 0x00 && p2 !== 0x04 && p2 !== 0x0c) return response(SW.INCORRECT_P1P2);
    let file: Ef | Df | undefined;
    if (p1 === 0x03) {
      if (data.length !== 0) return response(SW.WRONG_LENGTH);
      file = this.#df.parent ?? undefined;
    } else if (p1 <= 0x02) {
      if (p1 === 0x00 && data.length === 0) file = this.#mf;
      else if (data.length !== 2) return response(SW.WRONG_LENGTH);
      else {
        const fid = (data[0] << 8) | data[1];
        const here = this.#df.children.filter((f) => (p1 === 0 ? true : p1 === 1 ? f.kind === 'df' : f.kind === 'ef'));
        file = here.find((f) => f.fid === fid);
        if (!file && p1 === 0) {
          if (fid === 0x3f00) file = this.#mf;
          else if (this.#df.parent?.fid === fid) file = this.#df.parent;
          else if (this.#df.fid === fid) file = this.#df;
        }
      }
    } else return response(SW.INCORRECT_P1P2);
    if (!file) return response(SW.FILE_NOT_FOUND);
    if (file.kind === 'df') {
      this.#df = file;
      this.#ef = null;
    } else {
      this.#df = file.parent;
      this.#ef = file;
    }
    return p2 === 0x0c ? response(SW.OK) : response(SW.OK, fcp(file));
  }

  /** §11.2.3 READ BINARY (even INS, offset in P1-P2; b8 of P1 = short EF identifier, not kept here). */
  #read(apdu: CommandApdu): ApduResponse {
    if (apdu.p1 & 0x80) return response(SW.FUNCTION_NOT_SUPPORTED);
    if (apdu.data.length > 0) return response(SW.WRONG_LENGTH);
    const file = this.#ef;
    if (!file) return response(SW.NOT_ALLOWED_NO_EF);
    const offset = (apdu.p1 << 8) | apdu.p2;
    if (offset >= file.content.length) return response(SW.WRONG_P1P2_OFFSET);
    if (apdu.ne === 0) return response(SW.OK);
    const data = file.content.slice(offset, offset + apdu.ne);
    return response(data.length < apdu.ne ? SW.END_OF_FILE : SW.OK, data);
  }

  /** §11.2.5 UPDATE BINARY. */
  #update(apdu: CommandApdu): ApduResponse {
    if (apdu.p1 & 0x80) return response(SW.FUNCTION_NOT_SUPPORTED);
    const file = this.#ef;
    if (!file) return response(SW.NOT_ALLOWED_NO_EF);
    const offset = (apdu.p1 << 8) | apdu.p2;
    if (offset > file.content.length) return response(SW.WRONG_P1P2_OFFSET);
    if (apdu.data.length === 0 || offset + apdu.data.length > file.content.length) return response(SW.WRONG_LENGTH);
    file.content.set(apdu.data, offset);
    return { data: new Uint8Array(0), sw: SW.OK, busyEtu: WRITE_BASE_ETU + WRITE_PER_BYTE_ETU * apdu.data.length };
  }
}

/** §5.3.3 file control parameters: descriptor, identifier, size (EF), life cycle status. */
function fcp(file: Ef | Df): Uint8Array {
  const body = [0x82, 0x01, file.kind === 'df' ? 0x38 : 0x01, 0x83, 0x02, file.fid >> 8, file.fid & 0xff];
  if (file.kind === 'ef') body.push(0x80, 0x02, file.content.length >> 8, file.content.length & 0xff);
  body.push(0x8a, 0x01, 0x05);
  return Uint8Array.from([0x62, body.length, ...body]);
}
