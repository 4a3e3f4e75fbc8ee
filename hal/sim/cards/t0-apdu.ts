/**
 * APDU → T=0 on the card side (ISO 7816-3 §12.2, ISO 7816-4 §5.1, §7.x):
 * - case 2: P3 is Le (0 = 256); a response of another length gets 6Cxx with the exact length.
 * - case 3 / 4: the data comes in after INS; response data waits for GET RESPONSE behind 61xx
 *   (61 00 when 256 or more remain), chained until all is read; GET RESPONSE with a wrong Le gets 6Cxx.
 * - ENVELOPE (INS C2, interindustry class 0X/1X whatever the enveloped command's class): pieces of a
 *   command APDU (short or extended) are collected; the chain ends with an ENVELOPE whose CLA has no
 *   chaining bit (b5) once the pieces form a complete APDU, or with an empty ENVELOPE. The enveloped
 *   command then runs with its own Ne; its response data comes back through GET RESPONSE, and its
 *   status word ends the last GET RESPONSE (or the ENVELOPE, if it has no data). In a proprietary
 *   class C2 is not ENVELOPE but whatever the application makes of it (as on real cards: 80 C2 is the
 *   UICC's CAT ENVELOPE); this application refuses it after the header, before any data.
 */
import { parseApdu, type CommandApdu } from './apdu.js';
import { appendGrowing } from './buffer.js';
import type { ApduResponse } from './fs-applet.js';
import { INS, SW } from './fs-applet.js';
import type { T0Application, T0Step } from './t0-engine.js';

export interface ApduProcessor {
  process(apdu: CommandApdu): ApduResponse;
  /** A status word refusing the class/instruction right after the header, or null (optional). */
  refuse?(cla: number, ins: number): number | null;
}

const CHAINING = 0x10;
const NO_DATA = new Uint8Array(0);

export class T0ApduAdapter implements T0Application {
  readonly #app: ApduProcessor;
  readonly #outgoing: (ins: number) => boolean;
  #pending: Uint8Array | null = null;
  #pendingOffset = 0;
  #pendingSw: number = SW.OK;
  /** The command collected from ENVELOPEs: its first #envelopeLength bytes (the buffer grows and is kept). */
  #envelope = new Uint8Array(512);
  #envelopeLength = 0;

  /** `outgoing(ins)`: whether P3 is Le (case 2) for this instruction; otherwise P3 is Lc. */
  constructor(app: ApduProcessor, outgoing: (ins: number) => boolean) {
    this.#app = app;
    this.#outgoing = outgoing;
  }

  /** Forget pending response data and a half-collected envelope (reset). */
  reset(): void {
    this.#pending = null;
    this.#envelopeLength = 0;
  }

  command(h: Uint8Array): T0Step {
    const [cla, ins, p1, p2, p3] = h;
    if (ins === INS.GET_RESPONSE) return this.#getResponse(cla, p1, p2, p3);
    // ISO 7816-4 §5.3: response data is available to the command right after, or never.
    this.#pending = null;
    // The first interindustry class values (b8–b6 = 000) are the only ones this card knows.
    if (ins === INS.ENVELOPE && (cla & 0xe0) === 0) {
      return { receive: p3, then: (data) => this.#envelopePiece(cla, data, p3 === 0) };
    }
    // Any other command breaks a chain of ENVELOPEs (ISO 7816-4 command chaining): its pieces are lost.
    this.#envelopeLength = 0;
    const refused = this.#app.refuse?.(cla, ins) ?? null;
    if (refused !== null) return { status: refused };
    if (this.#outgoing(ins)) return this.#outgoingCase(this.#app.process({ cla, ins, p1, p2, data: h.subarray(5), ne: p3 || 256, extended: false }), p3 || 256);
    return {
      receive: p3,
      then: (data) => this.#respond(this.#app.process({ cla, ins, p1, p2, data, ne: 65536, extended: false })),
    };
  }

  #outgoingCase(r: ApduResponse, le: number): T0Step {
    const ok = r.sw === SW.OK || r.sw === SW.END_OF_FILE;
    if (r.data.length === 0 || !ok) return this.#after(r, { status: r.sw });
    // ISO 7816-3 §10.3.4 / ISO 7816-4 §5.1.3: wrong Le → 6Cxx, xx = the length available.
    if (r.data.length !== le) return { status: 0x6c00 | (r.data.length & 0xff) };
    return this.#after(r, { send: r.data, status: r.sw });
  }

  /** Case 3/4 end: data (if any) goes behind 61xx. */
  #respond(r: ApduResponse): T0Step {
    if (r.data.length === 0) return this.#after(r, { status: r.sw });
    this.#pending = r.data;
    this.#pendingOffset = 0;
    this.#pendingSw = r.sw;
    return this.#after(r, { status: this.#available() });
  }

  #after(r: ApduResponse, step: T0Step): T0Step {
    return r.busyEtu ? { work: r.busyEtu, then: () => step } : step;
  }

  #available(): number {
    const left = this.#pending ? this.#pending.length - this.#pendingOffset : 0;
    return 0x6100 | (left >= 256 ? 0 : left);
  }

  /** ISO 7816-4 §11.5.1 GET RESPONSE. */
  #getResponse(cla: number, p1: number, p2: number, p3: number): T0Step {
    if ((cla & 0xe0) !== 0) return { status: SW.CLA_NOT_SUPPORTED };
    if (p1 !== 0 || p2 !== 0) return { status: SW.INCORRECT_P1P2 };
    const pending = this.#pending;
    const left = pending ? pending.length - this.#pendingOffset : 0;
    const le = p3 || 256;
    // Data an enveloped command held back beyond its own Ne is the application's to give out.
    if (!pending || left === 0) return this.#outgoingCase(this.#app.process({ cla, ins: INS.GET_RESPONSE, p1, p2, data: NO_DATA, ne: le, extended: false }), le);
    if (le > left) return { status: 0x6c00 | (left & 0xff) };
    const data = pending.slice(this.#pendingOffset, this.#pendingOffset + le);
    this.#pendingOffset += le;
    const done = this.#pendingOffset === pending.length;
    const status = done ? this.#pendingSw : this.#available();
    if (done) this.#pending = null;
    return { send: data, status };
  }

  #envelopePiece(cla: number, data: Uint8Array, empty: boolean): T0Step {
    this.#envelope = appendGrowing(this.#envelope, this.#envelopeLength, data);
    this.#envelopeLength += data.length;
    if (cla & CHAINING && !empty) return { status: SW.OK };
    const parsed = parseApdu(this.#envelope.slice(0, this.#envelopeLength));
    if ('more' in parsed) {
      if (!empty) return { status: SW.OK };
      this.#envelopeLength = 0;
      return { status: SW.WRONG_LENGTH };
    }
    this.#envelopeLength = 0;
    if ('error' in parsed) return { status: SW.WRONG_LENGTH };
    return this.#respond(this.#app.process(parsed.apdu));
  }
}
