// Black-box checks of T=1 (ISO/IEC 7816-3 §11) through `ccid-reader sim --json` with the scripted
// cards of cards.ts (scripts/t1-*.json). Block bytes (LRC, CRC, TCK) come from iso.ts.
import test from 'ava';
import { T1_BWI2_BWT_ETU, T1_BWT_ETU, scenarios } from './cards.js';
import { checkApdu, checkScriptCompleted, durationUs } from './check.js';

const ETU_US = (372 / 1 / 4_000_000) * 1e6; // 93 µs
const { t1Exchanges, t1Errors, t1Mute, t1Crc, t1BadTck, t1Recovery, t1IfsRetry, t1MissingTck } = scenarios;

test('ISO 7816-3 §8.2.5 + §11.4: ATR offering T=1 with a valid TCK → protocol 1; first block S(IFS request) IFSD 254 (00 C1 01 FE 3E)', async (t) => {
  const r = await checkScriptCompleted(t, t1Exchanges); // step 1 is the S(IFS request)
  t.is(r.atr, '3B808131FE458B');
  t.is(r.protocol, 1);
});
test('ISO 7816-3 §11.6.2 T=1: I(0) carries the APDU, the card\'s I(0) carries the response', (t) => checkApdu(t, t1Exchanges, 0).then(() => {}));
test('ISO 7816-3 §11.6.2.3 T=1 chaining from the card: M bit, reader acknowledges each link with R(N(R))', (t) => checkApdu(t, t1Exchanges, 1).then(() => {}));
test('ISO 7816-3 §11.6.2.2 T=1: card S(IFS request) IFSC 32 → reader S(IFS response) with the same INF', (t) => checkApdu(t, t1Exchanges, 2).then(() => {}));
test('ISO 7816-3 §11.6.2.3 + §11.4.2 T=1 chaining from the reader: blocks no longer than the new IFSC 32', (t) => checkApdu(t, t1Exchanges, 3).then(() => {}));

test('ISO 7816-3 §11.4.2 T=1: a TPDU of exactly IFSC bytes goes in one I-block; IFSC + 1 bytes are chained', async (t) => {
  await checkApdu(t, t1Exchanges, 4);
  await checkApdu(t, t1Exchanges, 5);
});

test('ISO 7816-3 §11.6.2.2 T=1: card S(WTX request) → S(WTX response) with the same INF; the next BWT is extended', async (t) => {
  const r = await checkApdu(t, t1Errors, 0);
  t.true(durationUs(r, 0) >= 20000 * ETU_US, `duration ${durationUs(r, 0)} µs`);
});
test('ISO 7816-3 §11.6.3.2 rule 7.1 T=1: bad LRC from the card → R-block with the EDC error bit, repeated block delivered intact',
  (t) => checkApdu(t, t1Errors, 1).then(() => {}));
test('ISO 7816-3 §11.6.3 T=1: card R-block naming the reader\'s last I-block → that I-block is retransmitted',
  (t) => checkApdu(t, t1Errors, 2).then(() => {}));
// §11.3.2.2 keeps ee = 01 for EDC and parity errors: a BWT timeout is "other error", ee = 10.
test('ISO 7816-3 §11.6.3.2 rule 7.1 T=1: no block within BWT → R-block (other error), then the card\'s block is delivered', async (t) => {
  const r = await checkApdu(t, t1Errors, 3);
  t.true(durationUs(r, 3) >= T1_BWT_ETU * ETU_US, `duration ${durationUs(r, 3)} µs < BWT`);
});
test('ISO 7816-3 §11.6 T=1: every transmission of the reader matched the script (t1-exchanges, t1-errors)', async (t) => {
  await checkScriptCompleted(t, t1Exchanges);
  await checkScriptCompleted(t, t1Errors);
});

test('ISO 7816-3 §11.6.3.2 rules 7.1/7.2/7.4 + rule 6 T=1: mute card → 3 R-blocks, 3 S(RESYNCH request), then an error and no data', async (t) => {
  const r = await checkApdu(t, t1Mute, 0);
  await checkScriptCompleted(t, t1Mute);
  // 7 transmissions each followed by a full BWT of silence; BWT from TB3 (BWI 2), not the default BWI 4.
  t.true(durationUs(r, 0) >= 7 * T1_BWI2_BWT_ETU * ETU_US, `duration ${durationUs(r, 0)} µs`);
  t.true(durationUs(r, 0) <= 7 * (T1_BWI2_BWT_ETU + 200) * ETU_US * 1.1, `duration ${durationUs(r, 0)} µs: BWI from TB3 not used`);
});

test('ISO 7816-3 §11.4.4 T=1: TC3 = 01 selects CRC: S(IFS), I-blocks and chaining with 2-byte CRC', async (t) => {
  const r = await checkApdu(t, t1Crc, 0);
  t.is(r.protocol, 1);
  await checkApdu(t, t1Crc, 1);
});
test('ISO 7816-3 §11.4.4 + §11.6.3.2 rule 7.1 T=1: bad CRC → R-block with the EDC error bit, then the block intact', async (t) => {
  await checkApdu(t, t1Crc, 2);
  await checkScriptCompleted(t, t1Crc);
});

test('ISO 7816-3 §8.3 TC1 = FF (N = 255) T=1: the reader\'s characters keep the minimum delay (11 etu; ≤ 12 accepted)', async (t) => {
  const r = await checkApdu(t, t1Crc, 3);
  // Reader block: 3 + 205 + 2 CRC = 210 characters; card block 3 + 2 + 2 = 7 characters; BGT 22 etu.
  const etu = durationUs(r, 3) / ETU_US;
  t.true(etu <= (217 * 12 + 22 + 50) * 1.02, `${etu} etu: N = 255 taken as extra guard time?`);
});

test('ISO 7816-3 §8.2.5: T=1 ATR with a wrong TCK is rejected: no protocol, the APDU fails', async (t) => {
  const r = await checkApdu(t, t1BadTck, 0);
  t.is(r.atr, null, 'no ATR accepted');
  t.is(r.protocol, null);
  t.is(r.script?.failedStep ?? null, null, 'the card never received a block');
});

// Rule 7.2: after an R-block the reader resends that R-block unchanged (ee = 00), not a new one with
// the EDC bit (rule 7.1 is for an invalid block after an I-block); libccid's proto-t1.c does the same.
// Both ask for the block with the same N(S), so either recovers; the script expects rule 7.2.
test('ISO 7816-3 §11.6.3.2 rule 7.2 T=1: bad LRC on a chained block after the reader\'s R-block → that R-block resent, chain delivered intact',
  (t) => checkApdu(t, t1Recovery, 0).then(() => {}));
test('ISO 7816-3 §11.6.3 T=1 chaining from the reader (260-byte TPDU, IFSC 254): card R-block with error → same link retransmitted',
  (t) => checkApdu(t, t1Recovery, 1).then(() => {}));
test('ISO 7816-3 §11 + §11.6.3.2 rule 7.1 T=1: a parity error inside a block → R-block with ee = 01, block repeated and delivered intact',
  (t) => checkApdu(t, t1Recovery, 2).then(() => {}));
test('ISO 7816-3 §11.6.3.2 rule 7.1 T=1: card I-block with the wrong N(S) → R-block naming the expected N(S)', async (t) => {
  await checkApdu(t, t1Recovery, 3);
  await checkScriptCompleted(t, t1Recovery);
});
test('ISO 7816-3 §11.6.3.2 rule 7.3 T=1: S(IFS response) with a different INF → S(IFS request) resent', async (t) => {
  await checkApdu(t, t1IfsRetry, 0);
  await checkScriptCompleted(t, t1IfsRetry);
});
test('ISO 7816-3 §8.2.5: T=1 offered but TCK absent → the ATR is incomplete: no protocol, the APDU fails', async (t) => {
  const r = await checkApdu(t, t1MissingTck, 0);
  t.is(r.atr, null, 'no ATR accepted');
  t.is(r.protocol, null);
});
// Rule 6.3: S(RESYNCH) puts N(S), N(R), IFSC and IFSD back to their initial values, so the reader
// announces IFSD 254 again with S(IFS request) before it sends the APDU again as I(0) (libccid
// resends the I-block at once and keeps IFSD 32; both conform).
test('ISO 7816-3 §11.6.3.2 rule 6 T=1: answered S(RESYNCH) → N(S) back to 0, the APDU is sent again and delivered; the next APDU continues', async (t) => {
  await checkApdu(t, t1Recovery, 4);
  await checkApdu(t, t1Recovery, 5);
  await checkScriptCompleted(t, t1Recovery);
});
