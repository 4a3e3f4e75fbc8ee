/**
 * The file system of the simulated UICC (`usim` card): what a SIM tool expects to find, in the
 * structure of ETSI TS 102 221 §8 (MF, DFs, an ADF per application) with the 2G directories of
 * 3GPP TS 51.011 §10 beside it.
 *
 *   MF 3F00 ─┬─ EF DIR 2F00 (linear fixed, TS 102 221 §13.1)    EF ICCID 2FE2 (§13.2)
 *            ├─ EF PL 2F05 (§13.3)                              EF ARR 2F06 (§13.4)
 *            ├─ DF TELECOM 7F10 ── EF ADN 6F3A, EF FDN 6F3B, EF SMS 6F3C, EF MSISDN 6F40 (TS 51.011 §10.5)
 *            ├─ DF GSM 7F20 ── EF IMSI 6F07, EF Kc 6F20, EF SPN 6F46, EF SST 6F38, EF ACC 6F78,
 *            │                 EF LOCI 6F7E, EF FPLMN 6F7B, EF AD 6FAD, EF PHASE 6FAE (TS 51.011 §10.3)
 *            └─ ADF USIM (AID in EF DIR) ── EF IMSI 6F07, EF AD 6FAD, EF UST 6F38, EF ACC 6F78,
 *                 EF SPN 6F46, EF LOCI 6F7E, EF FPLMN 6F7B, EF LI 6F05, EF MSISDN 6F40,
 *                 EF ARR 6F06, EF Keys 6F08 (3GPP TS 31.102 §4.2)
 *
 * As on real dual-mode cards, DF GSM's IMSI, SPN, ACC, LOCI, FPLMN and AD are the USIM's files seen
 * through another path (one content, two FIDs' homes). Contents are non-volatile: updates last for
 * the life of the card object, across power cycles, like EEPROM.
 */
import { hex } from '../hex.js';

/** Who may do something with a file (TS 102 221 §9.2, TS 51.011 §9.3 access conditions). */
export type Access = 'always' | 'pin1' | 'pin2' | 'adm' | 'never';

interface FileBase {
  readonly fid: number;
  readonly name: string;
  parent: Df | null;
}

export interface Df extends FileBase {
  readonly kind: 'df';
  /** The application identifier of an ADF (its DF name, tag '84' of the FCP), null for the MF and DFs. */
  readonly aid: Uint8Array | null;
  readonly children: (Df | Ef)[];
}

interface EfBase extends FileBase {
  readonly kind: 'ef';
  parent: Df;
  /** Short file identifier (TS 102 221 §11.1.1.4.8), or null when the EF has none. */
  readonly sfi: number | null;
  readonly read: Access;
  readonly update: Access;
}

export interface TransparentEf extends EfBase {
  readonly structure: 'transparent';
  readonly content: Uint8Array;
}

export interface LinearEf extends EfBase {
  readonly structure: 'linear';
  readonly recordLength: number;
  readonly records: readonly Uint8Array[];
}

export type Ef = TransparentEf | LinearEf;
export type UiccFile = Df | Ef;

/**
 * The access rules in EF ARR, one record each (TS 102 221 §9.2.7: a file's FCP names its rule by
 * record number, tag '8B'). A file's (read, update) pair must be one of these.
 */
export const ACCESS_RULES: readonly { readonly read: Access; readonly update: Access }[] = Object.freeze([
  { read: 'always', update: 'adm' },
  { read: 'always', update: 'pin1' },
  { read: 'pin1', update: 'adm' },
  { read: 'pin1', update: 'pin1' },
  { read: 'always', update: 'never' },
  { read: 'pin1', update: 'pin2' },
]);

/** The ARR record (1-based) holding a file's access rule; DFs share the record after the EF rules. */
export function accessRuleRecord(file: UiccFile): number {
  if (file.kind === 'df') return ACCESS_RULES.length + 1;
  const index = ACCESS_RULES.findIndex((r) => r.read === file.read && r.update === file.update);
  if (index < 0) throw new Error(`no access rule for ${file.name}`);
  return index + 1;
}

export function fileSize(file: Ef): number {
  return file.structure === 'transparent' ? file.content.length : file.recordLength * file.records.length;
}

/** The identity a card is personalised with. */
export interface UsimIdentity {
  /** 19 or 20 digits (ITU-T E.118). */
  readonly iccid: string;
  /** 6 to 15 digits (3GPP TS 23.003 §2.2). */
  readonly imsi: string;
}

/**
 * A test identity from a serial number: ITU-T E.118 ICCID 89 (telecommunications) 999 (no country)
 * 01 + 11 serial digits + the Luhn check digit; IMSI with MCC 001 / MNC 01, the test network code of
 * ITU-T E.212, and the serial as MSIN. Different serials give different cards (a SIM bank's slots).
 */
export function testIdentity(serial: number): UsimIdentity {
  const digits = String(Math.floor(Math.abs(serial)) % 1e10).padStart(10, '0');
  const iccid = `8999901${digits}0`;
  return { iccid: iccid + luhn(iccid), imsi: `00101${digits}` };
}

/** ISO/IEC 7812-1 Annex B check digit of a digit string. */
export function luhn(digits: string): string {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 0) d *= 2;
    sum += d > 9 ? d - 9 : d;
  }
  return String((10 - (sum % 10)) % 10);
}

/** TS 102 221 §13.2: digits as BCD, the first digit in the low nibble of each byte, padded with F. */
export function swappedBcd(digits: string, length: number): Uint8Array {
  const out = new Uint8Array(length).fill(0xff);
  for (let i = 0; i < digits.length && i < 2 * length; i++) {
    const d = digits.charCodeAt(i) - 48;
    out[i >> 1] = i % 2 === 0 ? (out[i >> 1] & 0xf0) | d : (out[i >> 1] & 0x0f) | (d << 4);
  }
  return out;
}

/**
 * 3GPP TS 31.102 §4.2.2 EF IMSI: a length byte (digit bytes that follow), then digit 1 in the high
 * nibble of the first byte beside the parity nibble (9 for an odd number of digits, 1 for even),
 * then the other digits, low nibble first, padded with F to 9 bytes.
 */
export function imsiFile(imsi: string): Uint8Array {
  const out = new Uint8Array(9).fill(0xff);
  out[0] = (imsi.length + 2) >> 1;
  const nibbles = [imsi.length % 2 === 1 ? 9 : 1, ...Array.from(imsi, (c) => c.charCodeAt(0) - 48)];
  for (let i = 0; i < nibbles.length; i++) {
    const byte = 1 + (i >> 1);
    out[byte] = i % 2 === 0 ? (out[byte] & 0xf0) | nibbles[i] : (out[byte] & 0x0f) | (nibbles[i] << 4);
  }
  return out;
}

/**
 * The USIM's application identifier (ETSI TS 101 220 Annex E: RID A000000087 = 3GPP, application
 * code 1002 = USIM), completed as sysmocom's programmable cards publish it in EF DIR.
 */
export const USIM_AID = hex('A0000000871002FFFFFFFF8907090000');

/** GSM 03.38 default alphabet text as stored in EF SPN / alpha identifiers (ASCII letters and digits coincide). */
function text(value: string, length: number): Uint8Array {
  const out = new Uint8Array(length).fill(0xff);
  for (let i = 0; i < value.length && i < length; i++) out[i] = value.charCodeAt(i) & 0x7f;
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

function records(count: number, length: number, first: Uint8Array[] = []): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const record = new Uint8Array(length).fill(0xff);
    if (first[i]) record.set(first[i].subarray(0, length));
    out.push(record);
  }
  return out;
}

/**
 * ISO/IEC 7816-4 §9.3 expanded security attributes, one EF ARR record per rule (TS 102 221 §9.2.7):
 * access mode DO '80' (for an EF: b1 read/search, b2 update/erase, b4 deactivate, b5 activate,
 * b6 terminate, b7 delete; for a DF: b1–b3 delete child / create EF / create DF, b4–b7 as for an EF)
 * followed by its security condition: '90 00' always, '97 00' never, or a control reference template
 * 'A4' naming the key reference that must be verified (usage qualifier '95 01 08').
 */
export const KEY_REFERENCE: Readonly<Record<'pin1' | 'pin2' | 'adm', number>> = Object.freeze({ pin1: 0x01, pin2: 0x81, adm: 0x0a });

function condition(access: Access): number[] {
  if (access === 'always') return [0x90, 0x00];
  if (access === 'never') return [0x97, 0x00];
  return [0xa4, 0x06, 0x83, 0x01, KEY_REFERENCE[access], 0x95, 0x01, 0x08];
}

export const ARR_RECORD_LENGTH = 40;

function arrRecords(): Uint8Array[] {
  const rules = ACCESS_RULES.map((rule) => [0x80, 0x01, 0x01, ...condition(rule.read), 0x80, 0x01, 0x02, ...condition(rule.update),
    0x80, 0x01, 0x18, ...condition('adm'), 0x80, 0x01, 0x60, ...condition('never')]);
  // The DFs' rule: creating, deleting, activating and deactivating files is the administrator's.
  rules.push([0x80, 0x01, 0x3f, ...condition('adm'), 0x80, 0x01, 0x40, ...condition('never')]);
  return rules.map((bytes) => Uint8Array.from(bytes.concat(new Array(ARR_RECORD_LENGTH - bytes.length).fill(0xff))));
}

/** The whole tree for one card, freshly personalised. */
export interface UiccTree {
  readonly mf: Df;
  readonly usim: Df;
}

export function buildUiccTree(identity: UsimIdentity): UiccTree {
  const df = (fid: number, name: string, parent: Df | null, aid: Uint8Array | null = null): Df => {
    const dir: Df = { kind: 'df', fid, name, aid, children: [], parent };
    parent?.children.push(dir);
    return dir;
  };
  const transparent = (parent: Df, fid: number, name: string, sfi: number | null, read: Access, update: Access, content: Uint8Array): TransparentEf => {
    const file: TransparentEf = { kind: 'ef', structure: 'transparent', fid, name, sfi, read, update, content, parent };
    parent.children.push(file);
    return file;
  };
  const linear = (parent: Df, fid: number, name: string, sfi: number | null, read: Access, update: Access, recordLength: number, content: Uint8Array[]): LinearEf => {
    const file: LinearEf = { kind: 'ef', structure: 'linear', fid, name, sfi, read, update, recordLength, records: content, parent };
    parent.children.push(file);
    return file;
  };
  /** The same EF (same content object) placed under a second DF, as dual-mode cards link 2G and USIM files. */
  const link = (parent: Df, file: TransparentEf): void => {
    parent.children.push({ ...file, parent, sfi: null });
  };

  const mf = df(0x3f00, 'MF', null);
  // TS 102 221 §13.1: one application template per record: '61' { '4F' AID, '50' label }.
  const dirRecord = concat(Uint8Array.of(0x61, 2 + USIM_AID.length + 2 + 4, 0x4f, USIM_AID.length), USIM_AID, Uint8Array.of(0x50, 4), text('USIM', 4));
  linear(mf, 0x2f00, 'EF.DIR', 0x1e, 'always', 'adm', 32, records(2, 32, [dirRecord]));
  transparent(mf, 0x2fe2, 'EF.ICCID', 0x02, 'always', 'never', swappedBcd(identity.iccid, 10));
  // TS 102 221 §13.3: preferred languages, ISO 639 codes ("en").
  transparent(mf, 0x2f05, 'EF.PL', 0x05, 'always', 'pin1', concat(text('en', 2), new Uint8Array(8).fill(0xff)));
  linear(mf, 0x2f06, 'EF.ARR', 0x06, 'always', 'adm', ARR_RECORD_LENGTH, arrRecords());

  // An ADF is selected by its AID; by FID only as '7FFF', the current application (§8.4.1).
  const usim = df(0x7fff, 'ADF.USIM', mf, USIM_AID);
  const imsi = transparent(usim, 0x6f07, 'EF.IMSI', 0x07, 'pin1', 'adm', imsiFile(identity.imsi));
  // TS 31.102 §4.2.18: UE operation mode normal, no additional information, 2-digit MNC.
  const ad = transparent(usim, 0x6fad, 'EF.AD', 0x03, 'always', 'adm', Uint8Array.of(0x00, 0x00, 0x00, 0x02));
  // TS 31.102 §4.2.8: services 2 (FDN) and 4 (SDN) off; service 1 (local phone book) on.
  transparent(usim, 0x6f38, 'EF.UST', 0x04, 'pin1', 'adm', Uint8Array.of(0x01, 0, 0, 0, 0, 0, 0, 0));
  // TS 31.102 §4.2.15: access class = the last IMSI digit (class n: bit n of the 16-bit field).
  const accessClass = 1 << (identity.imsi.charCodeAt(identity.imsi.length - 1) - 48);
  const acc = transparent(usim, 0x6f78, 'EF.ACC', 0x06, 'pin1', 'adm', Uint8Array.of(accessClass >> 8, accessClass & 0xff));
  // TS 31.102 §4.2.12: display condition, then the name in the GSM default alphabet.
  const spn = transparent(usim, 0x6f46, 'EF.SPN', null, 'always', 'adm', concat(Uint8Array.of(0x01), text('ccid-reader', 16)));
  // TS 31.102 §4.2.17: TMSI unassigned, LAI of the test network 001 01 with LAC FFFE, location update status "not updated".
  const loci = transparent(usim, 0x6f7e, 'EF.LOCI', 0x0b, 'pin1', 'pin1', hex('FFFFFFFF 00F110 FFFE FF 01'));
  const fplmn = transparent(usim, 0x6f7b, 'EF.FPLMN', 0x0d, 'pin1', 'pin1', new Uint8Array(12).fill(0xff));
  transparent(usim, 0x6f05, 'EF.LI', 0x02, 'always', 'pin1', concat(text('en', 2), new Uint8Array(8).fill(0xff)));
  linear(usim, 0x6f40, 'EF.MSISDN', null, 'pin1', 'pin1', 30, records(2, 30));
  linear(usim, 0x6f06, 'EF.ARR', 0x17, 'always', 'adm', ARR_RECORD_LENGTH, arrRecords());
  // TS 31.102 EF Keys: key set identifier 07 (no key), CK and IK unset.
  transparent(usim, 0x6f08, 'EF.Keys', 0x08, 'pin1', 'pin1', concat(Uint8Array.of(0x07), new Uint8Array(32).fill(0xff)));

  const telecom = df(0x7f10, 'DF.TELECOM', mf);
  // TS 51.011 §10.5.1: alpha identifier (16 bytes here), BCD number length, TON/NPI, 10 digit bytes, CCP, EXT.
  const adn1 = concat(text('ccid-reader', 16), hex('05 81 21 43 65 F7 FF FF FF FF FF FF FF FF'));
  linear(telecom, 0x6f3a, 'EF.ADN', null, 'pin1', 'pin1', 30, records(10, 30, [adn1]));
  // §10.5.2: fixed dialling numbers, updated only with CHV2 (PIN2).
  linear(telecom, 0x6f3b, 'EF.FDN', null, 'pin1', 'pin2', 30, records(5, 30));
  // TS 51.011 §10.5.3: status 00 (free), then 175 bytes.
  linear(telecom, 0x6f3c, 'EF.SMS', null, 'pin1', 'pin1', 176, records(3, 176, [Uint8Array.of(0x00), Uint8Array.of(0x00), Uint8Array.of(0x00)]));
  linear(telecom, 0x6f40, 'EF.MSISDN', null, 'pin1', 'pin1', 30, records(2, 30));

  const gsm = df(0x7f20, 'DF.GSM', mf);
  for (const file of [imsi, spn, acc, loci, fplmn, ad]) link(gsm, file);
  // TS 51.011 §10.3.3: Kc unset, ciphering key sequence number 07 (no key).
  transparent(gsm, 0x6f20, 'EF.Kc', null, 'pin1', 'pin1', hex('FFFFFFFFFFFFFFFF 07'));
  // TS 51.011 §10.3.7: SIM service table, services 1–4 allocated and activated (CHV1 disable, ADN, FDN, SMS).
  transparent(gsm, 0x6f38, 'EF.SST', null, 'pin1', 'adm', hex('FF 00 00 00'));
  // TS 51.011 §10.3.19: phase 2 and PROFILE DOWNLOAD required (phase 2+).
  transparent(gsm, 0x6fae, 'EF.PHASE', null, 'always', 'adm', Uint8Array.of(0x03));
  return { mf, usim };
}
