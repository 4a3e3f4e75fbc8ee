/**
 * The `usim` card, command by command, at the T=0 level (TPDUs on the card's own CardIo): ETSI
 * TS 102 221 (class 00/80), 3GPP TS 51.011 (class A0), 3GPP TS 31.102 (the USIM's files). Expected
 * bytes are written from the specifications' tables by hand; identities are decoded by this file's
 * own BCD and Luhn code (usim-rig.ts), not the card's.
 */
import test from 'ava';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { decodeAtr } from '../../firmware/iso7816/atr/decode.js';
import { ATR_SYSMO_USIM_SJS1 } from '../../hal/sim/cards/usim.js';
import { requirePackages, SMARTCARD_LIST } from '../setup/debian-packages.js';
import { decodeImsi, luhnValid, swappedDigits, tlvs, usimRig } from './usim-rig.js';

const USIM_AID = 'A0000000871002FFFFFFFF8907090000';
const PIN1 = '31323334FFFFFFFF';
const PIN2 = '35363738FFFFFFFF';
const PUK2 = '3837363534333231';
const WRONG = '30303030FFFFFFFF';

/** SELECT by FID in class 00 with the FCP, then GET RESPONSE: the FCP hex. */
function fcpOf(rig: ReturnType<typeof usimRig>, fid: string): string {
  const sw = rig.tpdu('00A4000402', fid);
  if (!sw.startsWith('61')) throw new Error(`SELECT ${fid}: ${sw}`);
  const out = rig.tpdu(`00C00000${sw.slice(2)}`);
  if (!out.endsWith('9000')) throw new Error(`GET RESPONSE: ${out}`);
  return out.slice(0, -4);
}

test('usim ATR: the sysmoUSIM-SJS1 entry of pcsc-tools\' smartcard_list.txt, T=0, TA1 96, classes A B C, 4 logical channels', (t) => {
  const rig = usimRig();
  t.is(rig.atr, ATR_SYSMO_USIM_SJS1.replace(/ /g, ''));
  requirePackages('pcsc-tools');
  const list = readFileSync(SMARTCARD_LIST, 'utf8');
  const at = list.indexOf(`\n${ATR_SYSMO_USIM_SJS1}\n`);
  t.true(at >= 0, 'the ATR is listed');
  t.regex(list.slice(at, at + 200), /sysmoUSIM-SJS1/);
  const atr = decodeAtr(Uint8Array.from(Buffer.from(rig.atr, 'hex')));
  t.deepEqual(atr.errors, []);
  t.deepEqual(atr.protocols, [0]);
  t.is(atr.fi, 512);
  t.is(atr.di, 32);
  t.deepEqual(atr.classes, ['A', 'B', 'C']);
  // ISO/IEC 7816-4 §8.1.1.2.7 card capabilities '73' third byte 13: channels assigned by the card, 3 + 1 of them.
  t.regex(rig.atr, /73BE2113/);
});

test('TS 102 221 §11.1.1.3.1 SELECT MF with P2 04: 61xx, then the FCP template by GET RESPONSE', (t) => {
  const rig = usimRig();
  t.is(rig.tpdu('00A4000402', '3F00'), '612B');
  // 82 DF, 83 3F00, A5 {80 UICC characteristics 71, 83 free memory}, 8A operational, 8B EF ARR 2F06
  // record 7, C6 {90 PS_DO 60: PIN1 disabled, PIN2 and ADM1 enabled; 83 01, 81, 0A} — the tag order
  // of a sysmoUSIM's MF FCP.
  t.is(rig.tpdu('00C000002B'), '62298202782183023F00A5098001718304000010008A01058B032F0607C60C90016083010183018183010A9000');
});

test('TS 102 221 §11.1.1.3.2 SELECT EF ICCID: descriptor 41 (transparent), size 10, SFI 02, ARR record 5 (read ALW, update NEV)', (t) => {
  const rig = usimRig();
  t.is(fcpOf(rig, '2FE2'), '621782024121' + '83022FE2' + '8A0105' + '8B032F0605' + '8002000A' + '880110');
  t.is(fcpOf(rig, '2F00'), '621A' + '82054221002002' + '83022F00' + '8A0105' + '8B032F0601' + '80020040' + '8801F0');
});

test('TS 102 221 §11.1.1 SELECT ADF USIM by a right-truncated AID: its FCP names the AID (84) and EF ARR 6F06', (t) => {
  const rig = usimRig();
  t.is(rig.tpdu('00A4040407', 'A0000000871002'), '6139');
  const fcp = rig.tpdu('00C0000039').slice(0, -4);
  const top = tlvs(fcp);
  t.is(top[0][0], '62');
  const inner = tlvs(top[0][1]);
  t.deepEqual(inner.map(([tag]) => tag), ['82', '84', 'A5', '8A', '8B', 'C6']);
  t.deepEqual(inner[1], ['84', USIM_AID]);
  t.deepEqual(inner[4], ['8B', '6F0607']);
  t.deepEqual(rig.card.applet.selection(0), { df: 'ADF.USIM', ef: null, app: 'ADF.USIM' });
});

test('TS 102 221 §8.4.1 file selection: 7FFF, parent, siblings, paths; not found 6A82, wrong Lc 6700, P1/P2 6A86', (t) => {
  const rig = usimRig();
  t.is(rig.tpdu('00A4000C02', '7FFF'), '6A82', 'no application selected yet');
  t.is(rig.tpdu('00A4040C10', USIM_AID), '9000');
  t.is(rig.tpdu('00A4000C02', '3F00'), '9000');
  t.is(rig.tpdu('00A4000C02', '7FFF'), '9000', '7FFF: the current application');
  t.is(rig.tpdu('00A4000C02', '6F07'), '9000');
  t.deepEqual(rig.card.applet.selection(0), { df: 'ADF.USIM', ef: 'EF.IMSI', app: 'ADF.USIM' });
  t.is(rig.tpdu('00A4030C00'), '9000', 'P1 03: the parent DF');
  t.deepEqual(rig.card.applet.selection(0).df, 'MF');
  t.is(rig.tpdu('00A4010C02', '7F20'), '9000', 'P1 01: a child DF');
  t.is(rig.tpdu('00A4000C02', '7F10'), '9000', 'a DF beside the current one');
  t.is(rig.tpdu('00A4080C04', '7F206F07'), '9000', 'P1 08: path from the MF');
  t.deepEqual(rig.card.applet.selection(0), { df: 'DF.GSM', ef: 'EF.IMSI', app: 'ADF.USIM' });
  t.is(rig.tpdu('00A4080C04', '7FFF6F38'), '9000', 'a path through the current application');
  t.is(rig.tpdu('00A4090C02', '6F07'), '9000', 'P1 09: path from the current DF');
  t.is(rig.tpdu('00A4000C02', '6F3A'), '6A82', 'an EF of another DF');
  t.is(rig.tpdu('00A4010C02', '6F07'), '6A82', 'P1 01 names a DF only');
  t.is(rig.tpdu('00A4000400'), '6700', 'no FID');
  t.is(rig.tpdu('00A4000403', '3F0000'), '6700');
  t.is(rig.tpdu('00A4000002', '3F00'), '6A86', 'P2 00 (FCI) is not a UICC response option');
  t.is(rig.tpdu('00A4050402', '3F00'), '6A86');
  t.is(rig.tpdu('00A4040C05', 'A000000088'), '6A82', 'another RID');
  t.is(rig.tpdu('00A4040E07', 'A0000000871002'), '6A82', 'P2 b2: the next occurrence, none');
});

test('TS 102 221 §11.1.1.2 SELECT by AID with P2 b7: the application session ends, the MF is current', (t) => {
  const rig = usimRig();
  t.is(rig.tpdu('00A4044C10', USIM_AID), '6A82', 'not the current application');
  t.is(rig.tpdu('00A4040C10', USIM_AID), '9000');
  t.is(rig.tpdu('00A4044C10', USIM_AID), '9000');
  t.deepEqual(rig.card.applet.selection(0), { df: 'MF', ef: null, app: null });
});

test('TS 51.011 §9.2.1 SELECT in class A0: 9F16 for a DF, 9F0F for an EF, the GSM response by A0 C0', (t) => {
  const rig = usimRig();
  t.is(rig.tpdu('A0A4000002', '3F00'), '9F16');
  const mf = rig.tpdu('A0C0000016');
  // RFU, free memory 1000, FID 3F00, type 01 MF, RFU, 09 bytes follow: characteristics B1 (clock stop,
  // 3 V and 1.8 V, CHV1 disabled), 3 DFs, 4 EFs, 5 codes, RFU, CHV1 83, UNBLOCK CHV1 8A, CHV2 83, UNBLOCK CHV2 8A.
  t.is(mf, '000010003F0001000000000009B103040500838A838A9000');
  t.is(rig.tpdu('A0A4000002', '7F20'), '9F16');
  t.is(rig.tpdu('A0A4000002', '6F07'), '9F0F');
  // Size 0009, FID 6F07, EF, access READ CHV1 / UPDATE ADM (14), INCREASE NEV, REHABILITATE/INVALIDATE ADM, valid, transparent.
  t.is(rig.tpdu('A0C000000F'), '000000096F07040014F044010200009000');
  t.is(rig.tpdu('A0A4000002', '6F3A'), '9404', 'an EF of another DF: file ID not found');
  t.is(rig.tpdu('A0A4000001', '3F'), '6702', 'P3 must be 02, and 67 02 says so');
  t.is(rig.tpdu('A0A4000402', '3F00'), '6B00');
  t.is(rig.tpdu('A0A4000002', '7FFF'), '9404', 'the ADF has no FID in the GSM view');
});

test('TS 102 221 / ISO 7816-4 §7.6.1 GET RESPONSE: in part behind 61xx, too much → 6Cxx, nothing pending → 6985, lost at the next command', (t) => {
  const rig = usimRig();
  t.is(rig.tpdu('00A4000402', '3F00'), '612B');
  const part = rig.tpdu('00C0000010');
  t.is(part, '62298202782183023F00A50980017183' + '611B');
  t.is(rig.tpdu('00C0000030'), '6C1B');
  t.is(rig.tpdu('00C000001B'), '04000010008A01058B032F0607C60C90016083010183018183010A9000');
  t.is(rig.tpdu('00C0000010'), '6985');
  t.is(rig.tpdu('00A4000402', '3F00'), '612B');
  t.is(rig.tpdu('80F2000C00'), '9000');
  t.is(rig.tpdu('00C000002B'), '6985', 'another command came in between');
  t.is(rig.tpdu('00C001002B'), '6A86');
});

test('Osmocom CCID suite TC_get_response: a class 00 SELECT answered 61xx is read by GET RESPONSE in class A0', (t) => {
  const rig = usimRig();
  const sw = rig.tpdu('00A4000402', '3F00');
  t.is(sw.slice(0, 2), '61');
  const length = parseInt(sw.slice(2), 16);
  t.is(rig.tpdu(`A0C00000${sw.slice(2)}`).length, 2 * (length + 2));
  // And the other way round: a GSM answer read in class 00. Nothing pending: class A0 says 6F00.
  t.is(rig.tpdu('A0A4000002', '3F00'), '9F16');
  t.true(rig.tpdu('00C0000016').endsWith('9000'));
  t.is(rig.tpdu('A0C0000016'), '6F00');
  t.is(rig.tpdu('A0A4000002', '3F00'), '9F16');
  t.is(rig.tpdu('A0C0000020'), '6716', 'more than 9F said: 67 with the length');
});

test('TS 102 221 §11.1.3 READ BINARY: EF ICCID decodes to a Luhn-valid E.118 number; SFI addressing; offset, Le and structure errors', (t) => {
  const rig = usimRig({ serial: 4711 });
  t.is(rig.tpdu('00A4000C02', '2FE2'), '9000');
  const iccid = rig.tpdu('00B000000A');
  t.true(iccid.endsWith('9000'));
  const digits = swappedDigits(iccid.slice(0, 20));
  t.is(digits.length, 19);
  t.true(digits.startsWith('89'), 'MII 89: telecommunications');
  t.true(luhnValid(digits));
  t.is(digits, rig.card.identity.iccid);
  t.is(rig.tpdu('00B0000500'), '6C05', 'Le 256 from offset 5: 5 bytes are there');
  t.is(rig.tpdu('00B0000505'), iccid.slice(10, 20) + '9000');
  t.is(rig.tpdu('00B0000A01'), '6B00', 'offset beyond the file');
  t.is(rig.tpdu('00A4000C02', '3F00'), '9000');
  t.is(rig.tpdu('00B0000001'), '6986', 'no EF selected');
  t.is(rig.tpdu('00B082000A'), iccid, 'SFI 02 of the MF: EF ICCID, which becomes current');
  t.is(rig.tpdu('00B09E0001'), '6981', 'SFI 1E is EF DIR, a linear fixed EF');
  t.is(rig.tpdu('00B0910001'), '6A82', 'no EF with SFI 11 in the MF');
  t.is(rig.tpdu('00A4000C02', '2F00'), '9000');
  t.is(rig.tpdu('00B0000001'), '6981', 'READ BINARY on a linear fixed EF');
});

test('TS 31.102 §4.2.2 EF IMSI under ADF USIM and DF GSM: one file, decoded to the card\'s IMSI (MCC 001 MNC 01)', (t) => {
  const rig = usimRig({ serial: 42 });
  t.is(rig.tpdu('00A4040C07', 'A0000000871002'), '9000');
  t.is(rig.tpdu('00A4000C02', '6F07'), '9000');
  const usimImsi = rig.tpdu('00B0000009');
  t.is(decodeImsi(usimImsi.slice(0, 18)), '001010000000042');
  t.is(rig.tpdu('A0A4000002', '3F00'), '9F16');
  t.is(rig.tpdu('A0A4000002', '7F20'), '9F16');
  t.is(rig.tpdu('A0A4000002', '6F07'), '9F0F');
  t.is(rig.tpdu('A0B0000009'), usimImsi);
  t.is(rig.tpdu('A0B000000A'), '6709', 'TS 51.011 §9.4.6: 67 with the right length');
  t.is(rig.tpdu('A0B0000A01'), '9402', 'out of range');
});

test('TS 102 221 §11.1.4 UPDATE BINARY: written, read back, kept across a power cycle; NEV and PIN conditions refuse (6982 / 9804)', (t) => {
  const rig = usimRig();
  t.is(rig.tpdu('00A4040C07', 'A0000000871002'), '9000');
  t.is(rig.tpdu('00A4000C02', '6F7E'), '9000');
  t.is(rig.tpdu('00D600000B', '11223344 00F110 1234 FF 00'.replace(/ /g, '')), '9000');
  t.is(rig.tpdu('00D6000A02', 'AAAA'), '6700', 'beyond the end');
  t.is(rig.tpdu('00D6000B01', 'AA'), '6B00');
  rig.powerCycle();
  t.is(rig.tpdu('A0A4000002', '7F20'), '9F16');
  t.is(rig.tpdu('A0A4000002', '6F7E'), '9F0F');
  t.is(rig.tpdu('A0B000000B'), '1122334400F1101234FF009000', 'DF GSM\'s EF LOCI is the USIM\'s');
  t.is(rig.tpdu('A0A4000002', '3F00'), '9F16');
  t.is(rig.tpdu('A0A4000002', '2FE2'), '9F0F');
  t.is(rig.tpdu('A0D6000001', '00'), '9804', 'EF ICCID is never updated');
  t.is(rig.tpdu('00D6000001', '00'), '6982');
});

test('TS 102 221 §11.1.5 READ RECORD: absolute leaves the record pointer, next and previous move it; 6A83 / 6Cxx / 6981', (t) => {
  const rig = usimRig();
  t.is(rig.tpdu('00A4000C02', '2F00'), '9000');
  const first = rig.tpdu('00B2010420');
  // TS 102 221 §13.1: application template 61 { 4F AID, 50 label "USIM" }, padded with FF.
  t.is(first.slice(0, 40), `61184F10${USIM_AID}`);
  t.deepEqual(tlvs(first.slice(4, 52)).map(([tag]) => tag), ['4F', '50']);
  t.is(rig.tpdu('00B2000420'), '6A83', 'no current record after an absolute read');
  t.is(rig.tpdu('00B2000220'), first, 'next from nothing: record 1');
  t.is(rig.tpdu('00B2000220').slice(0, 4), 'FFFF', 'next: record 2');
  t.is(rig.tpdu('00B2000220'), '6A83', 'no record 3');
  t.is(rig.tpdu('00B2000420').slice(0, 4), 'FFFF', 'the pointer stayed on record 2');
  t.is(rig.tpdu('00B2000320'), first, 'previous: record 1');
  t.is(rig.tpdu('00B2000200'), '6C20', 'Le must be the record length');
  t.is(rig.tpdu('00B2000420'), first, 'a refused "next" did not move the pointer');
  t.is(rig.tpdu('00B2090420'), '6A83', 'record 9 of 2');
  t.is(rig.tpdu('00B201F420'), first, 'P2 b8–b4: SFI 1E (EF DIR) from the MF');
  t.is(rig.tpdu('00A4000C02', '2FE2'), '9000');
  t.is(rig.tpdu('00B2010420'), '6981', 'a transparent EF');
  t.is(rig.tpdu('00B2010720'), '6A86', 'mode 111 is RFU');
});

test('TS 51.011 §9.2.5 / §9.2.6 READ and UPDATE RECORD in class A0: 94 02 out of range, 67 XX with the record length', (t) => {
  const rig = usimRig();
  t.is(rig.tpdu('A0A4000002', '7F10'), '9F16');
  t.is(rig.tpdu('A0A4000002', '6F3A'), '9F0F');
  const adn1 = rig.tpdu('A0B201041E');
  t.is(adn1.slice(0, 22), Buffer.from('ccid-reader').toString('hex').toUpperCase());
  t.is(rig.tpdu('A0B20B041E'), '9402');
  t.is(rig.tpdu('A0B2010410'), '671E');
  const entry = Buffer.from('Test').toString('hex').toUpperCase().padEnd(32, 'F') + '0581214365F7FFFFFFFFFFFFFFFF';
  t.is(rig.tpdu('A0DC02041E', entry), '9000');
  t.is(rig.tpdu('A0DC02040A', entry.slice(0, 20)), '671E');
  t.is(rig.tpdu('A0B202041E'), entry + '9000');
  t.is(rig.tpdu('A0B200021E'), adn1, 'next from nothing: record 1');
  t.is(rig.tpdu('A0DC00031E', entry), '9402', 'previous from record 1: none');
  t.is(rig.tpdu('00B202041E'), entry + '9000', 'the same record through class 00');
});

test('TS 102 221 §11.1.9 VERIFY PIN: 63C2, 63C1, then blocked (63C0, 6983); the correct PIN restores 3 tries; Lc empty is a query', (t) => {
  const rig = usimRig();
  t.is(rig.tpdu('0020008100'), '63C3', 'not verified yet: 3 tries');
  t.is(rig.tpdu('0020008108', WRONG), '63C2');
  t.is(rig.tpdu('0020008108', WRONG), '63C1');
  t.is(rig.tpdu('0020008108', PIN2), '9000');
  t.is(rig.tpdu('0020008100'), '9000', 'verified');
  t.is(rig.tpdu('0020008108', WRONG), '63C2', 'the counter was back at 3');
  rig.powerCycle();
  t.is(rig.tpdu('0020008100'), '63C2', 'counters are non-volatile, verification is not');
  t.is(rig.tpdu('0020008108', WRONG), '63C1');
  t.is(rig.tpdu('0020008108', WRONG), '63C0');
  t.is(rig.tpdu('0020008108', PIN2), '6983', 'blocked, even with the right PIN');
  t.is(rig.tpdu('0020008100'), '6983');
  t.is(rig.tpdu('0020000108', PIN1), '6985', 'PIN1 is disabled');
  t.is(rig.tpdu('0020000100'), '9000', 'a disabled PIN needs no verification');
  t.is(rig.tpdu('0020000508', PIN1), '6A88', 'no such key reference');
  t.is(rig.tpdu('0020000008', PIN1), '6A86');
  t.is(rig.tpdu('0020008104', '31323334'), '6700');
});

test('TS 102 221 §11.1.13 UNBLOCK PIN: 10 tries, a new PIN, enabled and verified; a blocked UNBLOCK PIN answers 6983', (t) => {
  const rig = usimRig();
  for (const expected of ['63C2', '63C1', '63C0']) t.is(rig.tpdu('0020008108', WRONG), expected);
  t.is(rig.tpdu('002C008100'), '63CA', 'UNBLOCK PIN tries left');
  t.is(rig.tpdu('002C008110', WRONG + PIN1), '63C9');
  t.is(rig.tpdu('002C008110', PUK2 + PIN1), '9000');
  t.is(rig.tpdu('0020008100'), '9000', 'verified by the unblocking');
  rig.powerCycle();
  t.is(rig.tpdu('0020008108', PIN2), '63C2', 'the old PIN2 is gone');
  t.is(rig.tpdu('0020008108', PIN1), '9000', 'the new one works');
  for (let left = 9; left >= 0; left--) t.is(rig.tpdu('002C008110', WRONG + PIN1), `63C${left.toString(16).toUpperCase()}`);
  t.is(rig.tpdu('002C008110', PUK2 + PIN1), '6983');
  t.is(rig.tpdu('002C000A10', WRONG + PIN1), '6985', 'ADM1 has no UNBLOCK PIN');
  t.is(rig.tpdu('002C008108', PUK2), '6700');
});

test('TS 102 221 §11.1.10 CHANGE PIN: the old PIN is checked like VERIFY; the new one replaces it', (t) => {
  const rig = usimRig();
  t.is(rig.tpdu('0024008110', WRONG + PIN1), '63C2');
  t.is(rig.tpdu('0024008110', PIN2 + PIN1), '9000');
  t.is(rig.tpdu('0020008108', PIN2), '63C2');
  t.is(rig.tpdu('0020008108', PIN1), '9000');
  t.is(rig.tpdu('0024000110', PIN1 + PIN2), '6985', 'PIN1 is disabled');
});

test('TS 102 221 §11.1.11 / §11.1.12 ENABLE and DISABLE PIN: PIN1 then guards EF IMSI (6982 until VERIFY); the PS_DO follows', (t) => {
  const rig = usimRig();
  t.is(rig.tpdu('0026000108', PIN1), '6985', 'already disabled');
  t.is(rig.tpdu('0028000108', WRONG), '63C2');
  t.is(rig.tpdu('0028000108', PIN1), '9000');
  t.is(tlvs(tlvs(fcpOf(rig, '3F00'))[0][1]).find(([tag]) => tag === 'C6')?.[1].slice(0, 6), '9001E0', 'PS_DO: PIN1 enabled too');
  rig.powerCycle();
  t.is(rig.tpdu('00A4040C07', 'A0000000871002'), '9000');
  t.is(rig.tpdu('00A4000C02', '6F07'), '9000');
  t.is(rig.tpdu('00B0000009'), '6982');
  t.is(rig.tpdu('A0B0000009'), '9804', 'class A0 on the same EF: 98 04');
  t.is(rig.tpdu('0020000108', PIN1), '9000');
  t.true(rig.tpdu('00B0000009').endsWith('9000'));
  t.is(rig.tpdu('0028008108', PIN2), '6985', 'PIN2 cannot be disabled or enabled');
  t.is(rig.tpdu('0026000108', PIN1), '9000');
  t.is(rig.tpdu('A0A4000002', '3F00'), '9F16');
  t.is(rig.tpdu('A0C0000016').slice(26, 28), 'B1', 'TS 51.011 file characteristics b8: CHV1 disabled');
});

test('TS 102 221 §9.2.7 access rules: updating EF FDN needs PIN2, reading it PIN1 (disabled: always)', (t) => {
  const rig = usimRig();
  t.is(rig.tpdu('00A4080C04', '7F106F3B'), '9000');
  const record = 'FF'.repeat(30);
  t.is(rig.tpdu('00B201041E'), record + '9000');
  t.is(rig.tpdu('00DC01041E', record), '6982');
  t.is(rig.tpdu('0020008108', PIN2), '9000');
  t.is(rig.tpdu('00DC01041E', record), '9000');
});

test('TS 51.011 §9.2.9–§9.2.13 CHV commands: 98 04, then 98 40 (blocked); 98 08 for CHV1 disabled; 67 08 for P3', (t) => {
  const rig = usimRig();
  t.is(rig.tpdu('A020000208', WRONG), '9804');
  t.is(rig.tpdu('A020000208', WRONG), '9804');
  t.is(rig.tpdu('A020000208', WRONG), '9840');
  t.is(rig.tpdu('A020000208', PIN2), '9840');
  t.is(rig.tpdu('A02C000210', PUK2 + PIN2), '9000', 'UNBLOCK CHV2 (P2 02)');
  t.is(rig.tpdu('A020000208', PIN2), '9000');
  t.is(rig.tpdu('A020000108', PIN1), '9808', 'CHV1 disabled');
  t.is(rig.tpdu('A028000108', PIN1), '9000', 'ENABLE CHV1');
  t.is(rig.tpdu('A020000108', PIN1), '9000');
  t.is(rig.tpdu('A024000110', PIN1 + PIN2), '9000', 'CHANGE CHV1');
  t.is(rig.tpdu('A02C000010', '3132333435363738' + PIN1), '9000', 'UNBLOCK CHV1 is P2 00');
  t.is(rig.tpdu('A026000208', PIN2), '6B00', 'DISABLE applies to CHV1 only');
  t.is(rig.tpdu('A020000204', '35363738'), '6708');
  t.is(rig.tpdu('A020000308', PIN2), '6B00');
});

test('TS 102 221 §11.1.2 STATUS: the current DF\'s FCP, the application\'s DF name, or nothing; class A0 gives the GSM response', (t) => {
  const rig = usimRig();
  t.is(rig.tpdu('80F200002B'), '62298202782183023F00A5098001718304000010008A01058B032F0607C60C90016083010183018183010A9000');
  t.is(rig.tpdu('80F2010100'), '6A88', 'no application selected');
  t.is(rig.tpdu('00A4040C10', USIM_AID), '9000');
  t.is(rig.tpdu('00A4000C02', '6F07'), '9000');
  t.is(rig.tpdu('80F2000112'), `8410${USIM_AID}9000`);
  t.is(rig.tpdu('80F2000000'), '6C39', 'the FCP of the ADF, not of the EF');
  t.is(rig.tpdu('80F2000C00'), '9000');
  t.is(rig.tpdu('80F2030000'), '6A86');
  t.is(rig.tpdu('00F2000000'), '6E00', 'STATUS is a class 8X command');
  t.is(rig.tpdu('A0F2000016').slice(8, 14), '7FFF02');
  t.is(rig.tpdu('A0F2000020'), '6716');
  t.is(rig.tpdu('A0F2000010').length, 2 * (16 + 2), 'the ME may read less');
});

test('TS 102 221 §11.1.17 MANAGE CHANNEL: open 1–3 (card-assigned, Le 1), per-channel selection, close, 6200 for a closed one', (t) => {
  const rig = usimRig();
  t.is(rig.tpdu('0070000001'), '019000');
  t.is(rig.tpdu('0070000000'), '6C01', 'Le must be 1');
  t.is(rig.tpdu('01A4040C07', 'A0000000871002'), '9000', 'CLA 01: channel 1');
  t.is(rig.tpdu('01A4000C02', '6F07'), '9000');
  t.deepEqual(rig.card.applet.selection(1), { df: 'ADF.USIM', ef: 'EF.IMSI', app: 'ADF.USIM' });
  t.deepEqual(rig.card.applet.selection(0), { df: 'MF', ef: null, app: null }, 'channel 0 untouched');
  t.is(rig.tpdu('0170000001'), '029000', 'opened from channel 1: inherits its DF and application');
  t.deepEqual(rig.card.applet.selection(2), { df: 'ADF.USIM', ef: null, app: 'ADF.USIM' });
  t.is(rig.tpdu('0070000300'), '9000', 'P2 03: open channel 3 by number');
  t.is(rig.tpdu('0070000001'), '6A81', 'no channel left');
  t.is(rig.tpdu('0070000300'), '6985', 'already open');
  t.is(rig.tpdu('0070800200'), '9000');
  t.is(rig.tpdu('02B0000001'), '6881', 'a closed channel');
  t.is(rig.tpdu('0070800200'), '6200', 'closing a closed channel: a warning');
  t.is(rig.tpdu('0070800000'), '6A86', 'the basic channel cannot be closed');
  t.is(rig.tpdu('0070000500'), '6881', 'this card has channels 0–3');
  t.is(rig.tpdu('41B0000001'), '6881', 'class 4X: channels 4–19');
  t.is(rig.tpdu('A070000001'), '6D00', 'no MANAGE CHANNEL in TS 51.011');
  rig.powerCycle();
  t.false(rig.card.applet.channelOpen(1), 'a reset closes every channel but the basic one');
});

test('TS 102 221 §11.1.9: a PIN verified on one channel holds on every channel', (t) => {
  const rig = usimRig();
  t.is(rig.tpdu('0070000001'), '019000');
  t.is(rig.tpdu('0120008108', PIN2), '9000');
  t.is(rig.tpdu('0020008100'), '9000');
});

test('Osmocom CCID suite card cases: TC_manage_channel, TC_read_binary, TC_select_mf and the T=0 answers of TC_truncated', (t) => {
  const rig = usimRig();
  t.is(rig.tpdu('0070800100'), '6200');
  t.is(rig.tpdu('00A4000C02', '2FE2'), '9000');
  t.regex(rig.tpdu('00B000000A'), /^[0-9A-F]{20}9000$/);
  for (let i = 0; i < 20; i++) t.is(rig.tpdu('00A4000402', '3F00'), '612B');
  // A 4-byte APDU reaches a T=0 card as the header with P3 = 00: SELECT without data.
  t.is(rig.tpdu('00A4000400'), '6700');
});

test('TS 102 221 §10.1 malformed headers: unknown INS 6D00, 6X/9X INS 6D00, CLA errors 6E00 / 6881 / 6882 / 6884', (t) => {
  const rig = usimRig();
  t.is(rig.tpdu('0012000000'), '6D00');
  t.is(rig.tpdu('0060000000'), '6D00', 'INS 6X would read as a procedure byte');
  t.is(rig.tpdu('0090000000'), '6D00');
  t.is(rig.tpdu('9000000000'), '6E00');
  t.is(rig.tpdu('B0B0000001'), '6E00');
  t.is(rig.tpdu('80A4000402', '3F00'), '6E00', 'SELECT is not a proprietary-class command');
  t.is(rig.tpdu('0CB0000001'), '6882', 'secure messaging');
  t.is(rig.tpdu('10A4000402', '3F00'), '6884', 'command chaining');
  t.is(rig.tpdu('C0F2000000'), '6881');
  t.is(rig.tpdu('A012000000'), '6D00');
  t.is(rig.tpdu('8010000003', '010203'), '9000', 'TERMINAL PROFILE is taken');
  t.is(rig.tpdu('00A4000402', '3F00'), '612B', 'and the card still answers');
});

test('ISO/IEC 7816-3 §9.1, §9.2: right after the ATR a leading FF is PPSS; a request with a wrong PCK gets no answer, and a reset brings the card back', (t) => {
  const rig = usimRig();
  // PPSS FF, PPS0 19 (PPS1 follows), PPS1 EE, PCK 04: the PCK should be 08.
  t.is(rig.tpdu('FF19EE04C0'), '', 'the card stays silent');
  t.is(rig.tpdu('00A4000402', '3F00'), '', 'and stays silent until a reset');
  rig.powerCycle();
  t.is(rig.tpdu('00A4000402', '3F00'), '612B');
});

test('usim never answers outside its status words and keeps working, whatever header it gets (property)', (t) => {
  const rig = usimRig();
  // The first byte after the ATR may start a PPS (§9.1): a header with CLA FF there is a PPS request,
  // which the test above covers. One ordinary command first, so every header below is a T=0 command,
  // CLA FF included (§10.3.2: FF is invalid as CLA).
  t.is(rig.tpdu('00A4000402', '3F00'), '612B');
  t.is(rig.tpdu('FF19EE04C0'), '6E00', 'CLA FF once the protocol runs: class not supported');
  fc.assert(fc.property(fc.uint8Array({ minLength: 5, maxLength: 5 }), fc.uint8Array({ maxLength: 32 }), (header, payload) => {
    const hex = Buffer.from(header).toString('hex');
    const out = rig.tpdu(hex, Buffer.from(payload.subarray(0, header[4])).toString('hex').padEnd(2 * header[4], '0'));
    const sw = out.slice(-4);
    return /^(9000|9F..|61..|6C..|67..|6[2-9AB]..|6D00|6E00|6F00|9[48]..)$/.test(sw);
  }), { numRuns: 400 });
  rig.powerCycle();
  t.is(rig.tpdu('00A4000402', '3F00'), '612B');
});
