/**
 * The simulated UICC's side of T=0 (ISO/IEC 7816-3 §10, TS 102 221 §7.3): the 5-byte header decides
 * everything before any data moves.
 *
 * Class byte (TS 102 221 §10.1.1, TS 51.011 §9.1):
 *   'A0'                3GPP TS 51.011 command set, channel 0 ('gsm' family);
 *   '0X', '8X'          TS 102 221 command set ('uicc'): b2–b1 the logical channel, b4–b3 secure
 *                       messaging (not supported: 6882); '0X' with b5 set asks for command chaining (6884);
 *   '4X'–'7X', 'CX', 'EX'  channels 4 to 19: this card has four channels (6881);
 *   anything else       6E00.
 * Instruction byte (TS 102 221 §10.1.2 Table 10.5, TS 51.011 §9.2): each command has the class
 * kind it needs ('0X' interindustry or '8X' proprietary) and a direction: incoming commands (case 3,
 * or 4 whose response waits for GET RESPONSE) get their data after the INS procedure byte; outgoing
 * ones (case 2) read P3 as Le, and the card answers exactly P3 bytes or a wrong-length status
 * (6Cxx / 67xx) so that the reader resends the header.
 *
 * Response data of an incoming command waits behind 61xx ('uicc') or 9Fxx ('gsm') for GET
 * RESPONSE on the same channel, and is lost at the next other command (ISO/IEC 7816-4 §5.3.4).
 * GET RESPONSE is taken in class A0 as in class 0X, whichever produced the data, as dual-mode cards
 * do: Osmocom's CCID suite (TC_get_response) reads a 00 A4 answer with A0 C0.
 */
import type { T0Application, T0Step } from './t0-engine.js';
import { CHANNELS, INS, type UiccApplet, type UsimReply } from './usim-applet.js';
import { statusWords, SW, type Family } from './usim-status.js';

type Kind = 'iso' | 'proprietary';
type Direction = 'in' | 'out';

interface Instruction {
  readonly uicc?: Kind;
  readonly gsm: boolean;
  readonly direction: Direction;
}

const INSTRUCTIONS: ReadonlyMap<number, Instruction> = new Map<number, Instruction>([
  [INS.SELECT, { uicc: 'iso', gsm: true, direction: 'in' }],
  [INS.STATUS, { uicc: 'proprietary', gsm: true, direction: 'out' }],
  [INS.READ_BINARY, { uicc: 'iso', gsm: true, direction: 'out' }],
  [INS.UPDATE_BINARY, { uicc: 'iso', gsm: true, direction: 'in' }],
  [INS.READ_RECORD, { uicc: 'iso', gsm: true, direction: 'out' }],
  [INS.UPDATE_RECORD, { uicc: 'iso', gsm: true, direction: 'in' }],
  [INS.VERIFY, { uicc: 'iso', gsm: true, direction: 'in' }],
  [INS.CHANGE, { uicc: 'iso', gsm: true, direction: 'in' }],
  [INS.DISABLE, { uicc: 'iso', gsm: true, direction: 'in' }],
  [INS.ENABLE, { uicc: 'iso', gsm: true, direction: 'in' }],
  [INS.UNBLOCK, { uicc: 'iso', gsm: true, direction: 'in' }],
  [INS.MANAGE_CHANNEL, { uicc: 'iso', gsm: false, direction: 'out' }],
  [INS.GET_RESPONSE, { uicc: 'iso', gsm: true, direction: 'out' }],
  [INS.TERMINAL_PROFILE, { uicc: 'proprietary', gsm: true, direction: 'in' }],
  [INS.TERMINAL_CAPABILITY, { uicc: 'proprietary', gsm: false, direction: 'in' }],
]);

type ClassByte = { family: Family; kind: Kind; channel: number } | { refused: number };

/** The class byte's meaning, or the status word refusing it. */
export function classByte(cla: number): ClassByte {
  if (cla === 0xa0) return { family: 'gsm', kind: 'iso', channel: 0 };
  const high = cla & 0xf0;
  if (high === 0x00 || high === 0x80) {
    if ((cla & 0x0c) !== 0) return { refused: SW.SECURE_MESSAGING_NOT_SUPPORTED };
    return { family: 'uicc', kind: high === 0 ? 'iso' : 'proprietary', channel: cla & 0x03 };
  }
  if (high === 0x10) return { refused: SW.CHAINING_NOT_SUPPORTED };
  if ((cla & 0xc0) === 0x40 || high === 0xc0 || high === 0xe0) return { refused: SW.CHANNEL_NOT_SUPPORTED };
  return { refused: 0x6e00 };
}

const NO_DATA = new Uint8Array(0);

export class UsimT0 implements T0Application {
  readonly #applet: UiccApplet;
  /** Response data held for GET RESPONSE, and the channel it belongs to. */
  #pending: Uint8Array | null = null;
  #pendingChannel = 0;

  constructor(applet: UiccApplet) {
    this.#applet = applet;
  }

  /** A reset drops what waited for GET RESPONSE. */
  reset(): void {
    this.#pending = null;
  }

  command(header: Uint8Array): T0Step {
    const [cla, ins, p1, p2, p3] = header;
    const decoded = classByte(cla);
    if ('refused' in decoded) return this.#status(decoded.refused);
    const { family, kind, channel } = decoded;
    const sw = statusWords(family);
    const instruction = INSTRUCTIONS.get(ins);
    if (instruction === undefined || (family === 'gsm' ? !instruction.gsm : instruction.uicc === undefined)) return this.#status(sw.insNotSupported);
    if (family === 'uicc' && instruction.uicc !== kind) return this.#status(sw.claNotSupported);
    if (channel >= CHANNELS || !this.#applet.channelOpen(channel)) return this.#status(SW.CHANNEL_NOT_SUPPORTED);
    if (ins === INS.GET_RESPONSE) return this.#getResponse(family, channel, p1, p2, p3);
    this.#pending = null;
    const command = { family, channel, ins, p1, p2 };
    if (instruction.direction === 'out') {
      const le = p3 === 0 ? 256 : p3;
      return this.#step(this.#applet.run({ ...command, data: NO_DATA, le }), null);
    }
    return {
      receive: p3,
      then: (data) => this.#step(this.#applet.run({ ...command, data, le: 0 }), { family, channel }),
    };
  }

  /**
   * The reply as T=0 steps: outgoing data after the INS byte; incoming commands' data kept for GET
   * RESPONSE behind 61xx / 9Fxx (when the command succeeded); EEPROM time as NULL bytes first.
   */
  #step(reply: UsimReply, incoming: { family: Family; channel: number } | null): T0Step {
    let step: T0Step;
    const data = reply.data ?? NO_DATA;
    if (data.length > 0 && incoming !== null && reply.sw === 0x9000) {
      this.#pending = data;
      this.#pendingChannel = incoming.channel;
      step = { status: statusWords(incoming.family).dataAvailable(data.length) };
    } else if (data.length > 0 && incoming === null) step = { send: data, status: reply.sw };
    else step = { status: reply.sw };
    return reply.busyEtu ? { work: reply.busyEtu, then: () => step } : step;
  }

  #status(sw: number): T0Step {
    this.#pending = null;
    return { status: sw };
  }

  /**
   * GET RESPONSE (TS 102 221 §10.1.2 Table 10.5, ISO/IEC 7816-4 §7.6.1; TS 51.011 §9.2.18): P1 = P2 = 00; P3 up to what waits. Asking
   * for more gets 6Cxx (uicc) / 67xx (gsm) with the length available; asking for less gets that much,
   * the rest staying behind 61xx (uicc) or being dropped (gsm, where the ME reads what 9Fxx said).
   */
  #getResponse(family: Family, channel: number, p1: number, p2: number, p3: number): T0Step {
    const sw = statusWords(family);
    const pending = this.#pending;
    if (p1 !== 0 || p2 !== 0) return this.#status(sw.badP1P2);
    if (pending === null || channel !== this.#pendingChannel) return this.#status(sw.noData);
    const le = p3 === 0 ? 256 : p3;
    if (le > pending.length) return { status: sw.wrongLe(pending.length) };
    const rest = pending.subarray(le);
    this.#pending = family === 'uicc' && rest.length > 0 ? rest : null;
    return { send: pending.subarray(0, le), status: this.#pending === null ? sw.ok : sw.dataAvailable(rest.length) };
  }
}
