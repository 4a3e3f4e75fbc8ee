/**
 * What SELECT (and STATUS) answer about a file, in the two formats a dual-mode UICC speaks:
 * - ETSI TS 102 221 §11.1.1.3 the FCP template (class '0X'), BER-TLV '62';
 * - 3GPP TS 51.011 §9.2.1 the GSM response parameters (class 'A0'), fixed positions.
 * The layouts follow what sysmocom's cards answer (tag order, '80 01 71' UICC characteristics).
 */
import { accessRuleRecord, fileSize, KEY_REFERENCE, type Access, type Df, type Ef, type UiccFile } from './usim-files.js';
import type { PinStore } from './usim-pins.js';

/** §11.1.1.4.6.1 UICC characteristics: clock stop allowed, no preferred level (b1, b3, b4), supply voltage bits b5–b7. */
const UICC_CHARACTERISTICS = 0x71;
/** §11.1.1.4.9 life cycle status integer: operational, activated. */
const LCSI_ACTIVATED = 0x05;
/** Memory a DF reports as free (§11.1.1.4.6.4; TS 51.011 bytes 3–4). */
const FREE_MEMORY = 0x1000;

function tlv(tag: number, value: readonly number[]): number[] {
  return [tag, value.length, ...value];
}

/** §11.1.1.4.3 file descriptor byte: shareable (b7), DF (b6–b4 = 111) or working EF with its structure (b3–b1). */
function fileDescriptor(file: UiccFile): number[] {
  if (file.kind === 'df') return [0x78, 0x21];
  if (file.structure === 'transparent') return [0x41, 0x21];
  return [0x42, 0x21, file.recordLength >> 8, file.recordLength & 0xff, file.records.length];
}

/** §11.1.1.4.7.3 referenced security attributes: EF ARR of the file's level and the rule's record. */
function securityAttributes(file: UiccFile): number[] {
  const inUsim = (file.kind === 'ef' ? file.parent : file).aid !== null;
  return tlv(0x8b, [inUsim ? 0x6f : 0x2f, 0x06, accessRuleRecord(file)]);
}

/**
 * §11.1.1.4.10 PIN status template DO 'C6' (key references of §9.5.1): PS_DO '90' with one bit per key reference that
 * follows (b8 for the first), set when that PIN is enabled; then the key references ('83').
 */
function pinStatusTemplate(pins: PinStore): number[] {
  const references = pins.references;
  let psDo = 0;
  references.forEach((reference, i) => {
    if (pins.enabled(reference)) psDo |= 0x80 >> i;
  });
  return tlv(0xc6, [...tlv(0x90, [psDo]), ...references.flatMap((r) => tlv(0x83, [r]))]);
}

/** §11.1.1.3.1 (MF, DF, ADF) and §11.1.1.3.2 (EF): the FCP template. */
export function fcp(file: UiccFile, pins: PinStore): Uint8Array {
  const body: number[] = tlv(0x82, fileDescriptor(file));
  if (file.kind === 'df') {
    if (file.aid === null) body.push(...tlv(0x83, [file.fid >> 8, file.fid & 0xff]));
    else body.push(...tlv(0x84, [...file.aid]));
    body.push(...tlv(0xa5, [...tlv(0x80, [UICC_CHARACTERISTICS]), ...tlv(0x83, [0, 0, FREE_MEMORY >> 8, FREE_MEMORY & 0xff])]));
    body.push(...tlv(0x8a, [LCSI_ACTIVATED]), ...securityAttributes(file), ...pinStatusTemplate(pins));
  } else {
    const size = fileSize(file);
    body.push(...tlv(0x83, [file.fid >> 8, file.fid & 0xff]), ...tlv(0x8a, [LCSI_ACTIVATED]), ...securityAttributes(file));
    body.push(...tlv(0x80, [size >> 8, size & 0xff]));
    // §11.1.1.4.8: an empty '88' says the EF has no SFI (absent would mean "the FID's low 5 bits").
    body.push(...tlv(0x88, file.sfi === null ? [] : [file.sfi << 3]));
  }
  return Uint8Array.from(tlv(0x62, body));
}

/** TS 51.011 §9.3 access condition nibbles: ALW 0, CHV1 1, CHV2 2, ADM 4, NEV F. */
const GSM_ACCESS: Readonly<Record<Access, number>> = Object.freeze({ always: 0x0, pin1: 0x1, pin2: 0x2, adm: 0x4, never: 0xf });

/** TS 51.011 §9.2.1 CHV status byte: b8 secret code initialised, b4–b1 false presentations remaining. */
function chvStatus(left: number): number {
  return 0x80 | (left & 0x0f);
}

/**
 * TS 51.011 §9.2.1: the response parameters of a DF (22 bytes) or an EF (15 bytes).
 * DF: bytes 3–4 free memory, 5–6 FID, 7 type (01 MF, 02 DF), 13 length of what follows, 14 file
 * characteristics (b1 clock stop allowed, b5/b6 3 V and 1.8 V technology, b8 CHV1 disabled), 15/16
 * child DFs/EFs, 17 number of secret codes, 19–22 CHV1, UNBLOCK CHV1, CHV2, UNBLOCK CHV2 status.
 * EF: bytes 3–4 size, 5–6 FID, 7 type 04, 9–11 access conditions (READ|UPDATE, INCREASE|RFU,
 * REHABILITATE|INVALIDATE), 12 status (01 not invalidated), 13 length 02, 14 structure (00
 * transparent, 01 linear fixed), 15 record length.
 */
export function gsmResponse(file: UiccFile, pins: PinStore): Uint8Array {
  if (file.kind === 'ef') return gsmEfResponse(file);
  const dir: Df = file;
  const out = new Uint8Array(22);
  out[2] = FREE_MEMORY >> 8;
  out[3] = FREE_MEMORY & 0xff;
  out[4] = dir.fid >> 8;
  out[5] = dir.fid & 0xff;
  out[6] = dir.parent === null ? 0x01 : 0x02;
  out[12] = 22 - 13;
  out[13] = 0x31 | (pins.enabled(KEY_REFERENCE.pin1) ? 0 : 0x80);
  out[14] = dir.children.filter((f) => f.kind === 'df').length;
  out[15] = dir.children.filter((f) => f.kind === 'ef').length;
  out[16] = pins.references.length + 2;
  out[18] = chvStatus(pins.left(KEY_REFERENCE.pin1));
  out[19] = chvStatus(pins.left(KEY_REFERENCE.pin1, true));
  out[20] = chvStatus(pins.left(KEY_REFERENCE.pin2));
  out[21] = chvStatus(pins.left(KEY_REFERENCE.pin2, true));
  return out;
}

function gsmEfResponse(file: Ef): Uint8Array {
  const out = new Uint8Array(15);
  const size = fileSize(file);
  out[2] = size >> 8;
  out[3] = size & 0xff;
  out[4] = file.fid >> 8;
  out[5] = file.fid & 0xff;
  out[6] = 0x04;
  out[8] = (GSM_ACCESS[file.read] << 4) | GSM_ACCESS[file.update];
  out[9] = 0xf0;
  out[10] = (GSM_ACCESS.adm << 4) | GSM_ACCESS.adm;
  out[11] = 0x01;
  out[12] = 2;
  out[13] = file.structure === 'transparent' ? 0x00 : 0x01;
  out[14] = file.structure === 'transparent' ? 0 : file.recordLength;
  return out;
}
