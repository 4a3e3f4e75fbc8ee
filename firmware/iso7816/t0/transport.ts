/**
 * The T=0 transport, ISO/IEC 7816-3 §10 (character protocol) with the APDU → TPDU mapping of §12.2:
 * one command APDU becomes one or more command TPDUs (CLA INS P1 P2 P3 [data]), each run on the line
 * by tpdu.ts and paced by the card's procedure bytes; this file decides which TPDU comes next from
 * SW1 SW2. Work waiting time and character repetition are the card UART's (deadlines in etu,
 * `repetitions`).
 *
 * Extended APDUs (the case table of ISO/IEC 7816-4:1995 Annex A, which §12.2 carries on):
 * - 2E with Ne ≤ 256, 3E and 4E with Nc ≤ 255: the short TPDU (P3 = Ne mod 256, or Lc), then 61xx →
 *   GET RESPONSE until Ne bytes have come.
 * - 3E and 4E with Nc > 255: the whole APDU in ENVELOPEs, then GET RESPONSE.
 * - 2E with Ne > 256: a short header can only ask for 256 bytes (P3 = 00), and a card cannot tell
 *   that from a short Le = 256, so it ends after 256 bytes with 9000 (Annex A case 2E.2c). The whole
 *   APDU goes in an ENVELOPE instead, so the card sees Ne and announces the rest with 61xx. A card
 *   that refuses ENVELOPE (6Dxx, 6Exx) has run nothing: the Annex A mapping follows (P3 = 00, then
 *   61xx → GET RESPONSE, case 2E.2d).
 */
import type { CardCharError, CardUart } from '../../../hal/interfaces/card-uart.js';
import type { Scheduler, TimerHandle } from '../../../hal/interfaces/scheduler.js';
import { silentTrace, TraceCategory } from '../../../hal/common/trace.js';
import type { Trace } from '../../../hal/interfaces/trace.js';
import { parseApdu, type CommandApdu } from '../apdu.js';
import type { SlotError, TransmitResult } from '../../../hal/interfaces/slot.js';
import { T0TpduEngine, type Direction } from './tpdu.js';
import type { Transport } from '../transport.js';

/** ISO/IEC 7816-4:2005 §7.6.1 GET RESPONSE and §7.6.2 ENVELOPE instruction bytes. */
const INS_GET_RESPONSE = 0xc0;
const INS_ENVELOPE = 0xc2;
/**
 * ISO/IEC 7816-4 §5.4.1 class byte: b8 = 1 is a proprietary class. In an interindustry class b5 means
 * "not the last command of a chain"; b7 = 1 marks the further values (logical channel in b4–b1, SM in
 * b6), otherwise the channel is in b2–b1 and SM in b4–b3.
 */
const CLA_PROPRIETARY = 0x80;
const CLA_CHAINING = 0x10;
const CLA_FURTHER = 0x40;
/** ISO/IEC 7816-4 status bytes 6D00 (instruction not supported) and 6E00 (class not supported). */
const SW1_INS_NOT_SUPPORTED = 0x6d;
const SW1_CLA_NOT_SUPPORTED = 0x6e;
/** CCID bClassGetResponse / bClassEnvelope value meaning "echo the command's class". */
export const ECHO_CLASS = 0xff;
/** Short TPDUs carry at most 255 command bytes and 256 response bytes (P3 = 00). */
const MAX_SHORT_NC = 255;
const MAX_SHORT_NE = 256;
/** Extended Ne (65 536) plus SW1 SW2. */
const DEFAULT_MAX_RESPONSE = 65_538;

export interface T0TransportOptions {
  /** The open UART (protocol 0, F/D in force); the session forwards its callbacks. */
  uart: CardUart;
  /** Used only to deliver results that arise inside a call (busy, malformed, abort) from the loop. */
  scheduler: Scheduler;
  trace?: Trace;
  /** Work waiting time in etu of the rate in force (timing.workWaitingEtu, §10.2). */
  waitingEtu: number;
  /** CCID bClassGetResponse: class byte of GET RESPONSE; ECHO_CLASS (default) repeats the command's. */
  classGetResponse?: number;
  /** CCID bClassEnvelope: class byte of ENVELOPE; ECHO_CLASS (default) repeats the command's. */
  classEnvelope?: number;
  /** Largest response kept (data + SW1 SW2); default 65 538. */
  maxResponseLength?: number;
}

/** Which TPDU of the APDU is on the line. */
type TpduKind = 'command' | 'envelope' | 'get-response';

/**
 * The class of an ENVELOPE that echoes the command's class (CCID bClassEnvelope FF). ENVELOPE is an
 * interindustry command: it goes to the command's logical channel, without the secure messaging
 * indication (SM protects the enveloped bytes, not the ENVELOPE) and without the chaining bit (set
 * per piece). A proprietary class has no bits ISO defines to carry over, and on real cards a
 * proprietary C2 is another command (ETSI TS 102 221 CAT ENVELOPE 80 C2, GSM 11.14 A0 C2): such a
 * command is enveloped on the basic channel, class 00.
 */
function envelopeClass(cla: number): number {
  if (cla & CLA_PROPRIETARY) return 0x00;
  return cla & CLA_FURTHER ? cla & 0x4f : cla & 0x03;
}

const CHAR_ERRORS: Readonly<Record<CardCharError, SlotError>> = Object.freeze({
  parity: 'XFR_PARITY_ERROR',
  framing: 'XFR_PARITY_ERROR',
  overrun: 'XFR_OVERRUN',
  // §10.2: no character within WT.
  timeout: 'ICC_MUTE',
});

export class T0Transport implements Transport {
  readonly #uart: CardUart;
  readonly #scheduler: Scheduler;
  readonly #trace: Trace;
  readonly #waitingEtu: number;
  readonly #tpdu: T0TpduEngine;
  #classGetResponse: number;
  #classEnvelope: number;

  #apdu: Uint8Array | null = null;
  #command: CommandApdu | null = null;
  #done: ((result: TransmitResult) => void) | null = null;
  /** Results waiting to be delivered from the scheduler's loop (see #later). */
  readonly #pending: TimerHandle[] = [];

  #kind: TpduKind = 'command';
  #direction: Direction = 'none';
  #resentFor6C = false;
  #envelopeOffset = 0;
  /** Class of the command or ENVELOPE whose response GET RESPONSE fetches, for the echoed class. */
  #responseClass = 0;
  /** TPDU exchange level: the header and data go out as given; SW1 SW2 end the exchange, no mapping. */
  #raw = false;

  constructor(options: T0TransportOptions) {
    this.#uart = options.uart;
    this.#scheduler = options.scheduler;
    this.#trace = options.trace ?? silentTrace;
    this.#waitingEtu = options.waitingEtu;
    this.#classGetResponse = options.classGetResponse ?? ECHO_CLASS;
    this.#classEnvelope = options.classEnvelope ?? ECHO_CLASS;
    this.#tpdu = new T0TpduEngine(options.uart, this.#trace, options.maxResponseLength ?? DEFAULT_MAX_RESPONSE, {
      status: (sw1, sw2) => this.#statusWords(sw1, sw2),
      failed: (error) => this.#finish(error, null),
    });
  }

  transmitApdu(apdu: Uint8Array, done: (result: TransmitResult) => void, onWaiting?: (multiplier: number) => void): void {
    if (this.#tpdu.phase !== 'idle') return this.#later(done, 'CMD_SLOT_BUSY');
    const parsed = parseApdu(apdu);
    if (parsed.kind === 'malformed') {
      // Nothing reached the card: the command is refused as a whole (no TPDU mapping exists for it).
      this.#log(TraceCategory.ERROR, `T=0: malformed APDU (${parsed.fault}), not sent`, apdu);
      return this.#later(done, 'BAD_APDU_LENGTH');
    }
    this.#begin(apdu, parsed, false, 1, done, onWaiting);
    if (parsed.nc > MAX_SHORT_NC || (parsed.nc === 0 && parsed.ne > MAX_SHORT_NE)) {
      // Cases 3E/4E with Nc > 255 and 2E with Ne > 256: the whole APDU in ENVELOPEs (see the top).
      this.#envelopeOffset = 0;
      this.#startEnvelope();
    } else {
      this.#startCommand(parsed);
    }
  }

  /**
   * The TPDU exchange level (CCID): a header CLA INS P1 P2 P3, and P3 data bytes when there are any,
   * sent as given; without data P3 is the length expected back (00: 256). The card's SW1 SW2 end it
   * whatever they say (61xx and 6Cxx are the host's business). WT is multiplied by `waitMultiplier`.
   */
  transmitTpdu(tpdu: Uint8Array, waitMultiplier: number, done: (result: TransmitResult) => void, onWaiting?: (multiplier: number) => void): void {
    if (this.#tpdu.phase !== 'idle') return this.#later(done, 'CMD_SLOT_BUSY');
    if (tpdu.length < 5 || (tpdu.length > 5 && tpdu.length !== 5 + tpdu[4])) {
      this.#log(TraceCategory.ERROR, 'T=0: malformed TPDU, not sent', tpdu);
      return this.#later(done, 'BAD_APDU_LENGTH');
    }
    const p3 = tpdu[4];
    this.#begin(tpdu, null, true, waitMultiplier, done, onWaiting);
    this.#kind = 'command';
    this.#tpdu.header.set(tpdu.subarray(0, 4));
    if (tpdu.length > 5) this.#send('out', p3, 5);
    else this.#send('in', p3 === 0 ? MAX_SHORT_NE : p3, 0);
  }

  /** CCID T0APDU: class bytes of the GET RESPONSE and ENVELOPE commands (ECHO_CLASS: the command's). */
  setClassBytes(getResponse: number, envelope: number): void {
    this.#classGetResponse = getResponse;
    this.#classEnvelope = envelope;
  }

  handleReadable(): void {
    if (this.#tpdu.phase !== 'idle') this.#tpdu.handleReadable();
    // Characters outside a TPDU (a card that goes on after SW2).
    for (let byte = this.#uart.read(); byte !== undefined; byte = this.#uart.read()) {
      this.#log(TraceCategory.ERROR, `T=0: unexpected byte ${byte} from the card, dropped`);
    }
  }

  handleWaiting(): void {
    if (this.#tpdu.phase !== 'idle') this.#tpdu.handleWaiting();
  }

  handleError(error: CardCharError): void {
    const phase = this.#tpdu.phase;
    if (phase === 'idle') {
      this.#log(TraceCategory.ERROR, `T=0: ${error} while idle`);
      return;
    }
    this.#log(TraceCategory.ERROR, `T=0: ${error} in phase ${phase}`);
    this.#finish(CHAR_ERRORS[error], null);
  }

  abort(): void {
    if (this.#tpdu.phase === 'idle') return;
    const done = this.#done!;
    this.#reset();
    this.#later(done, 'CMD_ABORTED');
  }

  close(): void {
    for (let i = 0; i < this.#pending.length; i++) this.#scheduler.cancel(this.#pending[i]);
    this.#pending.length = 0;
    this.#tpdu.reset();
    this.#done = null;
    this.#apdu = null;
    this.#command = null;
  }

  #begin(bytes: Uint8Array, command: CommandApdu | null, raw: boolean, waitMultiplier: number, done: (result: TransmitResult) => void, onWaiting: ((multiplier: number) => void) | undefined): void {
    this.#apdu = bytes;
    this.#command = command;
    this.#raw = raw;
    this.#done = done;
    this.#resentFor6C = false;
    this.#uart.flush();
    // §10.2: every character from the card starts within WT of the previous character on the line.
    this.#tpdu.begin(this.#waitingEtu * (waitMultiplier >= 1 ? waitMultiplier : 1), onWaiting);
  }

  /** The next TPDU: the header's CLA INS P1 P2 are set; its data moves `direction`, from the APDU at `offset` when out. */
  #send(direction: Direction, count: number, offset: number): void {
    this.#direction = direction;
    this.#tpdu.start(direction, count, this.#apdu!, offset);
  }

  /** §12.2.1–12.2.3: the command itself as a short TPDU (case 1, 2 style or 3 style). */
  #startCommand(command: CommandApdu): void {
    const apdu = this.#apdu!;
    this.#kind = 'command';
    this.#responseClass = apdu[0];
    this.#tpdu.header.set(apdu.subarray(0, 4));
    if (command.nc > 0) {
      this.#send('out', command.nc, command.dataOffset);
    } else if (command.ne > 0) {
      // Case 2: P3 = Ne, 00 meaning 256; beyond 256 the rest comes through GET RESPONSE (61xx).
      this.#send('in', Math.min(command.ne, MAX_SHORT_NE), 0);
    } else {
      this.#send('none', 0, 0);
    }
  }

  /**
   * ENVELOPE carrying the next ≤ 255 bytes of the whole command APDU. With an interindustry class
   * every ENVELOPE but the last is marked as chained, so the card knows where the enveloped command
   * ends even before parsing it; a proprietary class the host chose with bClassEnvelope goes out as
   * given.
   */
  #startEnvelope(): void {
    const apdu = this.#apdu!;
    const header = this.#tpdu.header;
    const chunk = Math.min(MAX_SHORT_NC, apdu.length - this.#envelopeOffset);
    const cla = this.#classEnvelope === ECHO_CLASS ? envelopeClass(apdu[0]) : this.#classEnvelope;
    const last = this.#envelopeOffset + chunk === apdu.length;
    this.#kind = 'envelope';
    this.#responseClass = cla;
    header[0] = last || (cla & CLA_PROPRIETARY) !== 0 ? cla : cla | CLA_CHAINING;
    header[1] = INS_ENVELOPE;
    header[2] = 0;
    header[3] = 0;
    const offset = this.#envelopeOffset;
    this.#envelopeOffset += chunk;
    this.#send('out', chunk, offset);
  }

  /**
   * §12.2.3: GET RESPONSE for `count` (1…256) of the bytes the card announced with 61xx. The echoed
   * class is that of the TPDU the card answered: the command's (a GSM SIM knows only A0 C0), or the
   * ENVELOPE's when the command went enveloped.
   */
  #startGetResponse(count: number): void {
    const header = this.#tpdu.header;
    this.#kind = 'get-response';
    header[0] = this.#classGetResponse === ECHO_CLASS ? this.#responseClass : this.#classGetResponse;
    header[1] = INS_GET_RESPONSE;
    header[2] = 0;
    header[3] = 0;
    this.#send('in', count, 0);
  }

  /** §12.2: what SW1 SW2 mean for the APDU: next ENVELOPE, 6Cxx resend, 61xx GET RESPONSE, or the end. */
  #statusWords(sw1: number, sw2: number): void {
    if (this.#raw) return this.#complete(sw1, sw2);
    const command = this.#command!;
    if (this.#kind === 'envelope' && this.#envelopeOffset < this.#apdu!.length && sw1 === 0x90 && sw2 === 0x00) {
      this.#startEnvelope();
      return;
    }
    if (this.#kind === 'envelope' && command.nc === 0 && (sw1 === SW1_INS_NOT_SUPPORTED || sw1 === SW1_CLA_NOT_SUPPORTED)) {
      // Case 2E.2 and a card without ENVELOPE: nothing ran, so the Annex A mapping follows (P3 = 00).
      this.#startCommand(command);
      return;
    }
    if (sw1 === 0x6c && this.#direction === 'in' && !this.#resentFor6C) {
      // §12.2.2 case 2S.3: wrong length; the same header again with P3 = SW2, once.
      this.#resentFor6C = true;
      this.#tpdu.dropTpduData();
      this.#send('in', sw2 === 0 ? MAX_SHORT_NE : sw2, 0);
      return;
    }
    const received = this.#tpdu.responseLength;
    if (sw1 === 0x61 && received < command.ne) {
      // §12.2.3 case 4S.3 (and 2E): SW2 bytes are available (00: 256); fetch up to what Ne still allows.
      this.#resentFor6C = false;
      this.#startGetResponse(Math.min(sw2 === 0 ? MAX_SHORT_NE : sw2, command.ne - received));
      return;
    }
    this.#complete(sw1, sw2);
  }

  #complete(sw1: number, sw2: number): void {
    const response = this.#tpdu.finalResponse(sw1, sw2);
    if (response === null) this.#finish('XFR_OVERRUN', null);
    else this.#finish(null, response);
  }

  #finish(error: SlotError | null, response: Uint8Array | null): void {
    const done = this.#done!;
    this.#reset();
    done({ error, response });
  }

  #reset(): void {
    this.#uart.flush();
    this.#tpdu.reset();
    this.#done = null;
    this.#apdu = null;
    this.#command = null;
  }

  /** Deliver a result that arose inside a call from the scheduler's loop (never re-entrantly). */
  #later(done: (result: TransmitResult) => void, error: SlotError): void {
    const handle = this.#scheduler.at(this.#scheduler.now(), () => {
      this.#pending.splice(this.#pending.indexOf(handle), 1);
      done({ error, response: null });
    });
    this.#pending.push(handle);
  }

  #log(category: TraceCategory, text: string, bytes?: Uint8Array): void {
    if (this.#trace.mask & category) this.#trace.log(category, text, bytes);
  }
}
