/**
 * The commands of the simulated UICC on whole commands (header and data, as T=0 delivers them), in
 * both command sets a dual-mode card answers: ETSI TS 102 221 §11 (class '0X' / '8X') and
 * 3GPP TS 51.011 §9.2 (class 'A0'). Each command is written once; the family decides the status
 * words (usim-status.ts), the SELECT response format (usim-fcp.ts) and a few parameter rules.
 *
 * Logical channels (TS 102 221 §11.1.17, ISO/IEC 7816-4 §5.1.1 class byte): the basic channel 0 and three more,
 * as the ATR's card capabilities announce (third software function byte '13': 4 channels, assigned
 * by the card). Each channel has its own current DF, EF, record pointer and application; a PIN
 * verification holds on every channel (§11.1.9.1.1).
 */
import type { Df, Ef, UiccFile, UsimIdentity } from './usim-files.js';
import { buildUiccTree, fileSize, KEY_REFERENCE, type Access, type UiccTree } from './usim-files.js';
import { fcp, gsmResponse } from './usim-fcp.js';
import { PIN_LENGTH, PinStore, type PinOutcome } from './usim-pins.js';
import { GSM_STATUS, statusWords, SW, UICC_STATUS, type Family, type StatusWords } from './usim-status.js';

/** One command as the card received it. */
export interface UsimCommand {
  readonly family: Family;
  readonly channel: number;
  readonly ins: number;
  readonly p1: number;
  readonly p2: number;
  /** Command data (incoming commands), empty otherwise. */
  readonly data: Uint8Array;
  /** Outgoing commands: the response length asked for (P3, 0 meaning 256); 0 for incoming ones. */
  readonly le: number;
}

export interface UsimReply {
  readonly sw: number;
  readonly data?: Uint8Array;
  /** Etu the card works before answering (EEPROM writes); a T=0 card sends NULL bytes meanwhile. */
  readonly busyEtu?: number;
}

export const INS = Object.freeze({
  SELECT: 0xa4, STATUS: 0xf2, READ_BINARY: 0xb0, UPDATE_BINARY: 0xd6, READ_RECORD: 0xb2, UPDATE_RECORD: 0xdc,
  VERIFY: 0x20, CHANGE: 0x24, DISABLE: 0x26, ENABLE: 0x28, UNBLOCK: 0x2c, MANAGE_CHANNEL: 0x70,
  GET_RESPONSE: 0xc0, TERMINAL_PROFILE: 0x10, TERMINAL_CAPABILITY: 0xaa,
});

export const CHANNELS = 4;

/** EEPROM write time: a fixed part and a part per byte written (etu). */
const WRITE_BASE_ETU = 2000;
const WRITE_PER_BYTE_ETU = 16;

interface Channel {
  open: boolean;
  df: Df;
  ef: Ef | null;
  /** Current record number, 0 when none. */
  record: number;
  /** The application selected on this channel, null when none ('7FFF' names it, §8.4.1). */
  app: Df | null;
}

type Mode = 'next' | 'previous' | 'absolute';
const RECORD_MODES: Readonly<Record<number, Mode>> = Object.freeze({ 2: 'next', 3: 'previous', 4: 'absolute' });

export class UiccApplet {
  readonly pins = new PinStore();
  readonly tree: UiccTree;
  readonly #channels: Channel[] = [];

  constructor(identity: UsimIdentity) {
    this.tree = buildUiccTree(identity);
    for (let i = 0; i < CHANNELS; i++) this.#channels.push({ open: i === 0, df: this.tree.mf, ef: null, record: 0, app: null });
  }

  /** Reset: only the basic channel, the MF selected (TS 102 221 §8.4), no application, no verification. */
  reset(): void {
    this.#channels.forEach((ch, i) => Object.assign(ch, { open: i === 0, df: this.tree.mf, ef: null, record: 0, app: null }));
    this.pins.reset();
  }

  channelOpen(channel: number): boolean {
    return this.#channels[channel]?.open ?? false;
  }

  /** What the channel has selected (for tests and traces). */
  selection(channel: number): { df: string; ef: string | null; app: string | null } {
    const ch = this.#channels[channel];
    return { df: ch.df.name, ef: ch.ef?.name ?? null, app: ch.app?.name ?? null };
  }

  run(cmd: UsimCommand): UsimReply {
    const sw = statusWords(cmd.family);
    switch (cmd.ins) {
      case INS.SELECT: return cmd.family === 'gsm' ? this.#selectGsm(cmd, sw) : this.#select(cmd, sw);
      case INS.STATUS: return this.#status(cmd, sw);
      case INS.READ_BINARY: return this.#readBinary(cmd, sw);
      case INS.UPDATE_BINARY: return this.#updateBinary(cmd, sw);
      case INS.READ_RECORD: return this.#readRecord(cmd, sw);
      case INS.UPDATE_RECORD: return this.#updateRecord(cmd, sw);
      case INS.VERIFY: case INS.CHANGE: case INS.DISABLE: case INS.ENABLE: case INS.UNBLOCK:
        return cmd.family === 'gsm' ? this.#chv(cmd) : this.#pin(cmd);
      case INS.MANAGE_CHANNEL: return this.#manageChannel(cmd, sw);
      case INS.TERMINAL_PROFILE: case INS.TERMINAL_CAPABILITY:
        // TS 102 221 §11.2.1 / §11.1.19: taken note of; this card has no proactive command to announce.
        return { sw: sw.ok };
      default: return { sw: sw.insNotSupported };
    }
  }

  // ---- selection (TS 102 221 §8.4 / §11.1.1; TS 51.011 §6.5 / §9.2.1) ----

  /** TS 51.011 §9.2.1: by file ID only, P1 = P2 = 00, P3 = 02; the GSM response follows 9Fxx. */
  #selectGsm(cmd: UsimCommand, sw: StatusWords): UsimReply {
    if (cmd.p1 !== 0 || cmd.p2 !== 0) return { sw: sw.badP1P2 };
    if (cmd.data.length !== 2) return { sw: sw.wrongLength(2) };
    const file = this.#byFid(this.#channels[cmd.channel], (cmd.data[0] << 8) | cmd.data[1], false);
    if (file === null) return { sw: sw.fileNotFound };
    this.#enter(this.#channels[cmd.channel], file);
    return { sw: sw.ok, data: gsmResponse(file, this.pins) };
  }

  /**
   * TS 102 221 §11.1.1.2: P1 00 by FID, 01 child DF, 03 parent DF, 04 by DF name (AID, right-
   * truncation allowed), 08 path from the MF, 09 path from the current DF. P2 b4–b3: 01 return the
   * FCP, 11 nothing; b2–b1: 00 first occurrence, 10 next (AID only); b7 = 1 ends the application
   * session (AID only).
   */
  #select(cmd: UsimCommand, sw: StatusWords): UsimReply {
    const { p1, p2, data } = cmd;
    const ch = this.#channels[cmd.channel];
    const answer = p2 & 0x0c;
    const byAid = p1 === 0x04;
    if ((answer !== 0x04 && answer !== 0x0c) || (p2 & 0xb0) !== 0 || (!byAid && (p2 & 0x43) !== 0) || (p2 & 0x01) !== 0) {
      return { sw: sw.badP1P2 };
    }
    let file: UiccFile | null;
    switch (p1) {
      case 0x00:
      case 0x01:
        if (data.length !== 2) return { sw: sw.wrongLength(2) };
        file = this.#byFid(ch, (data[0] << 8) | data[1], true);
        if (p1 === 0x01 && (file === null || file.kind !== 'df' || file.parent !== ch.df)) file = null;
        break;
      case 0x03:
        if (data.length !== 0) return { sw: sw.wrongLength(0) };
        file = ch.df.parent;
        break;
      case 0x04: {
        if (data.length < 1 || data.length > 16) return { sw: sw.wrongLength(0) };
        const aid = this.tree.usim.aid!;
        const matches = data.length <= aid.length && data.every((b, i) => aid[i] === b);
        // One application: a "next occurrence" after it finds nothing.
        file = matches && (p2 & 0x02) === 0 ? this.tree.usim : null;
        if (file !== null && (p2 & 0x40) !== 0) {
          // §11.1.1.2: termination of the application session; the MF becomes current.
          if (ch.app !== file) return { sw: sw.fileNotFound };
          Object.assign(ch, { df: this.tree.mf, ef: null, record: 0, app: null });
          return { sw: sw.ok };
        }
        break;
      }
      case 0x08:
      case 0x09:
        if (data.length === 0 || data.length % 2 !== 0) return { sw: sw.wrongLength(0) };
        file = this.#byPath(ch, p1 === 0x08 ? this.tree.mf : ch.df, data);
        break;
      default:
        return { sw: sw.badP1P2 };
    }
    if (file === null) return { sw: sw.fileNotFound };
    this.#enter(ch, file);
    return answer === 0x04 ? { sw: sw.ok, data: fcp(file, this.pins) } : { sw: sw.ok };
  }

  /**
   * §8.4.1 selection by FID: the MF, the current application ('7FFF', UICC only), the current DF,
   * its parent, its children, and the DFs beside it (children of its parent). An ADF is not
   * selectable by a FID of its own.
   */
  #byFid(ch: Channel, fid: number, uicc: boolean): UiccFile | null {
    const mf = this.tree.mf;
    if (fid === mf.fid) return mf;
    if (fid === 0x7fff) return uicc ? ch.app : null;
    const here = ch.df;
    const named = (f: UiccFile): boolean => f.fid === fid && !(f.kind === 'df' && f.aid !== null);
    if (named(here)) return here;
    const child = here.children.find(named);
    if (child) return child;
    const parent = here.parent;
    if (parent === null) return null;
    if (named(parent)) return parent;
    return parent.children.find((f) => f.kind === 'df' && named(f)) ?? null;
  }

  /** ISO/IEC 7816-4 §5.3.1: a path of FIDs, each a child of the one before ('7FFF' first: the current application). */
  #byPath(ch: Channel, start: Df, path: Uint8Array): UiccFile | null {
    let file: UiccFile = start;
    for (let i = 0; i < path.length; i += 2) {
      const fid = (path[i] << 8) | path[i + 1];
      if (file.kind !== 'df') return null;
      if (i === 0 && fid === 0x7fff) {
        if (ch.app === null) return null;
        file = ch.app;
        continue;
      }
      const next: UiccFile | undefined = file.children.find((f) => f.fid === fid && !(f.kind === 'df' && f.aid !== null));
      if (next === undefined) return null;
      file = next;
    }
    return file;
  }

  #enter(ch: Channel, file: UiccFile): void {
    ch.record = 0;
    if (file.kind === 'ef') {
      ch.df = file.parent;
      ch.ef = file;
      return;
    }
    ch.df = file;
    ch.ef = null;
    if (file.aid !== null) ch.app = file;
  }

  /** TS 102 221 §11.1.2 STATUS (P2 00 FCP of the current DF, 01 its DF name, 0C nothing); TS 51.011 §9.2.2. */
  #status(cmd: UsimCommand, sw: StatusWords): UsimReply {
    const ch = this.#channels[cmd.channel];
    if (cmd.family === 'gsm') {
      if (cmd.p1 !== 0 || cmd.p2 !== 0) return { sw: sw.badP1P2 };
      const response = gsmResponse(ch.df, this.pins);
      // The ME may read less than the whole response, never more.
      if (cmd.le > response.length) return { sw: sw.wrongLe(response.length) };
      return { sw: sw.ok, data: response.subarray(0, cmd.le) };
    }
    if (cmd.p1 > 0x02) return { sw: sw.badP1P2 };
    let data: Uint8Array;
    if (cmd.p2 === 0x0c) return { sw: sw.ok };
    if (cmd.p2 === 0x00) data = fcp(ch.df, this.pins);
    else if (cmd.p2 === 0x01) {
      if (ch.app === null) return { sw: SW.REFERENCED_DATA_NOT_FOUND };
      data = Uint8Array.from([0x84, ch.app.aid!.length, ...ch.app.aid!]);
    } else return { sw: sw.badP1P2 };
    return cmd.le === data.length ? { sw: sw.ok, data } : { sw: sw.wrongLe(data.length) };
  }

  // ---- EF access (TS 102 221 §11.1.3–§11.1.6; TS 51.011 §9.2.3–§9.2.6) ----

  #allowed(access: Access): boolean {
    if (access === 'always') return true;
    if (access === 'never') return false;
    return this.pins.satisfied(KEY_REFERENCE[access]);
  }

  /**
   * The EF a command works on: the current one, or (UICC) the one a short file identifier names in
   * the current DF, which then becomes current (§11.1.3.2, P1 b8). Returns a status word on failure.
   */
  #target(cmd: UsimCommand, ch: Channel, sw: StatusWords, sfi: number, structure: Ef['structure'], access: 'read' | 'update'): Ef | number {
    let ef = ch.ef;
    if (sfi !== 0) {
      ef = ch.df.children.find((f): f is Ef => f.kind === 'ef' && f.sfi === sfi) ?? null;
      if (ef === null) return sw.fileNotFound;
      if (ch.ef !== ef) ch.record = 0;
      ch.ef = ef;
    }
    if (ef === null) return sw.noEf;
    if (ef.structure !== structure) return sw.wrongStructure;
    if (!this.#allowed(ef[access])) return sw.security;
    return ef;
  }

  /** READ / UPDATE BINARY addressing: P1 b8 = 1 names an SFI (UICC), otherwise P1-P2 is a 15-bit offset. */
  #binaryTarget(cmd: UsimCommand, sw: StatusWords, access: 'read' | 'update'): { ef: Ef & { structure: 'transparent' }; offset: number } | number {
    const ch = this.#channels[cmd.channel];
    const bySfi = cmd.family === 'uicc' && (cmd.p1 & 0x80) !== 0;
    if (bySfi && (cmd.p1 & 0x60) !== 0) return sw.badP1P2;
    const ef = this.#target(cmd, ch, sw, bySfi ? cmd.p1 & 0x1f : 0, 'transparent', access);
    if (typeof ef === 'number') return ef;
    const offset = bySfi ? cmd.p2 : (cmd.p1 << 8) | cmd.p2;
    if (offset >= fileSize(ef)) return sw.outOfRange;
    return { ef: ef as Ef & { structure: 'transparent' }, offset };
  }

  #readBinary(cmd: UsimCommand, sw: StatusWords): UsimReply {
    const target = this.#binaryTarget(cmd, sw, 'read');
    if (typeof target === 'number') return { sw: target };
    const available = target.ef.content.length - target.offset;
    if (cmd.le > available) return { sw: sw.wrongLe(available) };
    return { sw: sw.ok, data: target.ef.content.slice(target.offset, target.offset + cmd.le) };
  }

  #updateBinary(cmd: UsimCommand, sw: StatusWords): UsimReply {
    const target = this.#binaryTarget(cmd, sw, 'update');
    if (typeof target === 'number') return { sw: target };
    const available = target.ef.content.length - target.offset;
    if (cmd.data.length === 0 || cmd.data.length > available) return { sw: sw.wrongLength(available) };
    target.ef.content.set(cmd.data, target.offset);
    return { sw: sw.ok, busyEtu: WRITE_BASE_ETU + WRITE_PER_BYTE_ETU * cmd.data.length };
  }

  /**
   * READ / UPDATE RECORD on a linear fixed EF: P2 b3–b1 010 next, 011 previous, 100 absolute (P1 the
   * record, 00 the current one); UICC P2 b8–b4 an SFI. Next and previous move the record pointer;
   * absolute leaves it (TS 51.011 §9.2.5). Nothing moves when the command fails.
   */
  #record(cmd: UsimCommand, sw: StatusWords, access: 'read' | 'update'): { ef: Ef & { structure: 'linear' }; number: number; mode: Mode; ch: Channel } | number {
    const ch = this.#channels[cmd.channel];
    const mode = RECORD_MODES[cmd.family === 'uicc' ? cmd.p2 & 0x07 : cmd.p2];
    const sfi = cmd.family === 'uicc' ? cmd.p2 >> 3 : 0;
    if (mode === undefined || sfi === 0x1f) return sw.badP1P2;
    const ef = this.#target(cmd, ch, sw, sfi, 'linear', access);
    if (typeof ef === 'number') return ef;
    const count = (ef as Ef & { structure: 'linear' }).records.length;
    let number: number;
    if (mode === 'absolute') number = cmd.p1 === 0 ? ch.record : cmd.p1;
    else if (mode === 'next') number = ch.record + 1;
    else number = ch.record === 0 ? count : ch.record - 1;
    if (number < 1 || number > count) return sw.recordNotFound;
    return { ef: ef as Ef & { structure: 'linear' }, number, mode, ch };
  }

  #readRecord(cmd: UsimCommand, sw: StatusWords): UsimReply {
    const r = this.#record(cmd, sw, 'read');
    if (typeof r === 'number') return { sw: r };
    if (cmd.le !== r.ef.recordLength) return { sw: sw.wrongLe(r.ef.recordLength) };
    if (r.mode !== 'absolute') r.ch.record = r.number;
    return { sw: sw.ok, data: r.ef.records[r.number - 1].slice() };
  }

  #updateRecord(cmd: UsimCommand, sw: StatusWords): UsimReply {
    const r = this.#record(cmd, sw, 'update');
    if (typeof r === 'number') return { sw: r };
    if (cmd.data.length !== r.ef.recordLength) return { sw: sw.wrongLength(r.ef.recordLength) };
    if (r.mode !== 'absolute') r.ch.record = r.number;
    r.ef.records[r.number - 1].set(cmd.data);
    return { sw: sw.ok, busyEtu: WRITE_BASE_ETU + WRITE_PER_BYTE_ETU * cmd.data.length };
  }

  // ---- secret codes ----

  /**
   * TS 102 221 §11.1.9–§11.1.13: P1 00, P2 the key reference; data 8 bytes per value. VERIFY and
   * UNBLOCK without data ask for the retry counter ('63CX', or '9000' when no verification is needed).
   */
  #pin(cmd: UsimCommand): UsimReply {
    const { ins, p1, p2, data } = cmd;
    if (p1 !== 0 || p2 === 0) return { sw: UICC_STATUS.badP1P2 };
    if (!this.pins.knows(p2)) return { sw: SW.REFERENCED_DATA_NOT_FOUND };
    const one = data.length === PIN_LENGTH;
    const two = data.length === 2 * PIN_LENGTH;
    const first = data.subarray(0, PIN_LENGTH);
    const second = data.subarray(PIN_LENGTH);
    let outcome: PinOutcome;
    if (ins === INS.VERIFY && (one || data.length === 0)) outcome = this.pins.verify(p2, one ? first : null);
    else if (ins === INS.CHANGE && two) outcome = this.pins.change(p2, first, second);
    else if ((ins === INS.DISABLE || ins === INS.ENABLE) && one) outcome = this.pins.setEnabled(p2, ins === INS.ENABLE, first);
    else if (ins === INS.UNBLOCK && (two || data.length === 0)) outcome = this.pins.unblock(p2, two ? first : null, two ? second : null);
    else return { sw: UICC_STATUS.wrongLength(0) };
    switch (outcome.kind) {
      case 'ok': return { sw: UICC_STATUS.ok };
      case 'wrong': case 'remaining': return { sw: SW.RETRIES_LEFT | outcome.left };
      case 'blocked': return { sw: SW.BLOCKED };
      case 'contradiction': return { sw: SW.CONDITIONS_NOT_SATISFIED };
    }
  }

  /**
   * TS 51.011 §9.2.9–§9.2.13 (CHV commands): P2 01 CHV1 / 02 CHV2 (UNBLOCK CHV: 00 CHV1, 02 CHV2),
   * P3 08 or 10; DISABLE and ENABLE CHV apply to CHV1 only.
   */
  #chv(cmd: UsimCommand): UsimReply {
    const { ins, p1, p2, data } = cmd;
    const unblock = ins === INS.UNBLOCK;
    const reference = p2 === (unblock ? 0x00 : 0x01) ? KEY_REFERENCE.pin1 : p2 === 0x02 ? KEY_REFERENCE.pin2 : -1;
    const chv1Only = ins === INS.DISABLE || ins === INS.ENABLE;
    if (p1 !== 0 || reference < 0 || (chv1Only && reference !== KEY_REFERENCE.pin1)) return { sw: GSM_STATUS.badP1P2 };
    const length = ins === INS.CHANGE || unblock ? 2 * PIN_LENGTH : PIN_LENGTH;
    if (data.length !== length) return { sw: GSM_STATUS.wrongLength(length) };
    const first = data.subarray(0, PIN_LENGTH);
    const second = data.subarray(PIN_LENGTH);
    let outcome: PinOutcome;
    if (ins === INS.VERIFY) outcome = this.pins.verify(reference, first);
    else if (ins === INS.CHANGE) outcome = this.pins.change(reference, first, second);
    else if (chv1Only) outcome = this.pins.setEnabled(reference, ins === INS.ENABLE, first);
    else outcome = this.pins.unblock(reference, first, second);
    switch (outcome.kind) {
      case 'ok': return { sw: GSM_STATUS.ok };
      case 'wrong': return { sw: outcome.left > 0 ? SW.GSM_CHV_WRONG : SW.GSM_CHV_BLOCKED };
      case 'blocked': return { sw: SW.GSM_CHV_BLOCKED };
      case 'contradiction': case 'remaining': return { sw: SW.GSM_CHV_CONTRADICTION };
    }
  }

  // ---- logical channels (TS 102 221 §11.1.17) ----

  /**
   * P1 00 opens (P2 00: the card picks the channel and returns its number, Le 1; P2 01–03: that
   * channel), P1 80 closes channel P2. Closing a channel that is not open is a warning, '6200', as the
   * Java Card runtime answers (MANAGE CHANNEL CLOSE: "a warning if channel R is not open") and as
   * Osmocom's CCID conformance suite expects of a UICC (TC_manage_channel, 00 70 80 01 00 → 62 00).
   * A channel opened from the basic channel starts at the MF; from another channel, where it stands.
   */
  #manageChannel(cmd: UsimCommand, sw: StatusWords): UsimReply {
    const { p1, p2 } = cmd;
    if (p1 === 0x80) {
      if (p2 === 0 || p2 > 19) return { sw: sw.badP1P2 };
      const target = this.#channels[p2];
      if (target === undefined || !target.open) return { sw: SW.WARNING_UNCHANGED };
      target.open = false;
      return { sw: sw.ok };
    }
    if (p1 !== 0x00 || p2 > 19) return { sw: sw.badP1P2 };
    if (p2 >= CHANNELS) return { sw: SW.CHANNEL_NOT_SUPPORTED };
    let number = p2;
    if (number === 0) {
      if (cmd.le !== 1) return { sw: sw.wrongLe(1) };
      number = this.#channels.findIndex((ch) => !ch.open);
      if (number < 0) return { sw: SW.FUNCTION_NOT_SUPPORTED };
    } else if (this.#channels[number].open) return { sw: SW.CONDITIONS_NOT_SATISFIED };
    const origin = this.#channels[cmd.channel];
    const fromBasic = cmd.channel === 0;
    Object.assign(this.#channels[number], {
      open: true, df: fromBasic ? this.tree.mf : origin.df, ef: null, record: 0, app: fromBasic ? null : origin.app,
    });
    return p2 === 0 ? { sw: sw.ok, data: Uint8Array.of(number) } : { sw: sw.ok };
  }
}
