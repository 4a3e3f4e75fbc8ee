/**
 * A two-slot simulated reader (`serve --slots 2`, a usim card in slot 0, a T=1 card in slot 1) on
 * Debian's pcscd + libccid: two readers are listed; two threads exchange APDUs with both cards at the
 * same time and each gets its own answers (libccid treats the slots as thread-safe because
 * bMaxCCIDBusySlots = bMaxSlotIndex + 1, and the USB capture shows slot 1's command sent while slot
 * 0's is still pending); and the usim card is read the way pySim reads a SIM: SELECT by FID in class
 * A0 (9Fxx → GET RESPONSE) and in class 00 (61xx, FCP), READ BINARY, ICCID and IMSI decoded from BCD
 * in Python (not by this project's code).
 */
import test from 'ava';
import { testIdentity } from '../../hal/sim/cards/usim-files.js';
import { interopTimeout, READER_NAME, startPcsc, type PcscEnv } from './pcscd.js';
import { tsharkFields } from './tshark.js';

const SEED = 11;
let env: PcscEnv;

test.before(async (t) => {
  interopTimeout(t);
  env = await startPcsc({ pcap: true, serveArgs: ['--slots', '2', '--card', 'usim', '--card', 't1', '--seed', String(SEED)] });
});

test.after.always(async (t) => {
  interopTimeout(t);
  await env?.close();
});

async function python(script: string): Promise<string> {
  const result = await env.python(script, 120_000);
  if (result.code !== 0) throw new Error(`python failed (${result.code}):\n${result.stdout}${result.stderr}\n${env.logs().slice(-6000)}`);
  return result.stdout;
}

test.serial('pcscd lists one reader per slot: "CCID Reader Sim 00 00" and "… 00 01", each with its card\'s ATR', async (t) => {
  interopTimeout(t);
  const out = await python(`
from smartcard.System import readers
for r in readers():
    c = r.createConnection()
    c.connect()
    print(str(r) + '|' + bytes(c.getATR()).hex().upper())
    c.disconnect()
`);
  const lines = out.trim().split('\n');
  t.is(lines.length, 2, out);
  t.regex(lines[0], new RegExp(`^${READER_NAME} .*00 00\\|3B9F96801FC78031A073BE21136743200718000001A5$`));
  t.regex(lines[1], new RegExp(`^${READER_NAME} .*00 01\\|3BF81300008131FE15597562696B657934D4$`));
  t.regex(await env.control('status'), /^ok slot=0 card=usim /);
});

test.serial('two threads, one per slot, exchange APDUs at the same time: every answer is right, and the exchanges overlap', async (t) => {
  interopTimeout(t);
  const out = await python(`
import threading, time
from smartcard.System import readers
from smartcard.CardConnection import CardConnection
rs = readers()
results = {}
def run(index, apdus, n):
    c = rs[index].createConnection()
    c.connect(CardConnection.T0_protocol | CardConnection.T1_protocol)
    spans, answers = [], []
    for i in range(n):
        for apdu in apdus:
            start = time.monotonic()
            data, sw1, sw2 = c.transmit(list(bytes.fromhex(apdu)))
            spans.append((start, time.monotonic()))
            answers.append((bytes(data) + bytes([sw1, sw2])).hex().upper())
    results[index] = (spans, answers)
# Slot 0 (usim, T=0): update EF LOCI (EEPROM time) and read it back; slot 1 (T=1): GET CHALLENGE.
usim = ['00A4040C07A0000000871002', '00A4000C026F7E', '00D600000B112233445566778899AABB', '00B000000B']
threads = [threading.Thread(target=run, args=(0, usim, 15)), threading.Thread(target=run, args=(1, ['0084000010'], 60))]
for th in threads: th.start()
for th in threads: th.join()
a, b = results[0][0], results[1][0]
overlaps = sum(1 for (s0, e0) in a for (s1, e1) in b if s0 < e1 and s1 < e0)
print('overlaps', overlaps)
print('usim', ' '.join(sorted(set(results[0][1]))))
print('t1', len(results[1][1]), all(len(x) == 36 and x.endswith('9000') for x in results[1][1]), len(set(results[1][1])))
`);
  const lines = Object.fromEntries(out.trim().split('\n').map((line) => [line.split(' ')[0], line.split(' ').slice(1).join(' ')]));
  t.is(lines.usim, '112233445566778899AABB9000 9000', out);
  t.is(lines.t1, '60 True 60', 'every GET CHALLENGE answered with 16 fresh bytes and 90 00');
  t.true(Number(lines.overlaps) > 0, `slot 0 and slot 1 exchanges overlapped in time (${lines.overlaps} pairs)`);

  // The USB capture: an XfrBlock for one slot leaves while the other slot's XfrBlock is unanswered.
  const rows = await tsharkFields(env.pcap, 'usbccid.bMessageType == 0x6f || usbccid.bMessageType == 0x80',
    ['frame.number', 'usbccid.bMessageType', 'usbccid.bSlot', 'usbccid.bStatus']);
  const pending = new Set<string>();
  let concurrent = 0;
  for (const [, type, slot, status] of rows) {
    if (type === '0x6f') {
      if (pending.size > 0 && !pending.has(slot)) concurrent++;
      pending.add(slot);
    } else if ((Number(status) >> 6) !== 2) pending.delete(slot);
  }
  t.true(concurrent > 0, `XfrBlocks sent to one slot while the other slot's was pending: ${concurrent}`);
  t.log(`${lines.overlaps} overlapping exchange pairs; ${concurrent} of ${rows.filter((r) => r[1] === '0x6f').length} XfrBlocks sent while the other slot's was pending`);
});

test.serial('pySim-style reads of the usim through pcscd: ICCID and IMSI in class A0 (9Fxx) and class 00 (61xx, FCP), decoded in Python', async (t) => {
  interopTimeout(t);
  const out = await python(`
from smartcard.System import readers
c = readers()[0].createConnection()
c.connect()
def tx(apdu):
    data, sw1, sw2 = c.transmit(list(bytes.fromhex(apdu)))
    return bytes(data), '%02X%02X' % (sw1, sw2)
def send(apdu):
    # As pySim's transport: 9Fxx (TS 51.011) and 61xx (ISO 7816-4) fetch the rest with GET RESPONSE in
    # the command's class; 6Cxx repeats the command with the right Le.
    data, sw = tx(apdu)
    while sw[:2] in ('9F', '61'):
        more, sw = tx(apdu[:2] + 'C00000' + sw[2:])
        data += more
    if sw[:2] == '6C':
        data, sw = tx(apdu[:8] + sw[2:])
    return data, sw
def swap_bcd(data):
    digits = ''.join('%x%x' % (b & 0x0f, b >> 4) for b in data)
    return digits.split('f')[0]
def luhn_ok(digits):
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0
def imsi(data):
    return swap_bcd(data[1:1 + data[0]])[1:]
def tlv(data):
    out, i = {}, 0
    while i < len(data):
        tag, length = data[i], data[i + 1]
        out[tag] = data[i + 2:i + 2 + length]
        i += 2 + length
    return out
# Class A0, TS 51.011: EF ICCID's size from bytes 3-4 of the GSM response, then the IMSI under DF GSM.
send('A0A40000023F00')
gsm, sw = send('A0A40000022FE2')
size = (gsm[2] << 8) | gsm[3]
iccid_gsm, sw1 = send('A0B00000%02X' % size)
send('A0A40000027F20')
send('A0A40000026F07')
imsi_gsm, sw2 = send('A0B0000009')
# Class 00, TS 102 221: FCP (tag 62, file size tag 80), EF DIR's AID, then ADF USIM's EF IMSI.
mf, sw3 = send('00A40004023F00')
fcp, sw3 = send('00A40004022FE2')
size = int.from_bytes(tlv(tlv(fcp)[0x62])[0x80], 'big')
iccid_uicc, sw4 = send('00B00000%02X' % size)
send('00A40004022F00')
record, sw5 = send('00B2010420')
aid = tlv(tlv(record)[0x61])[0x4F]
send('00A4040C%02X%s' % (len(aid), aid.hex()))
send('00A4000C026F07')
imsi_uicc, sw6 = send('00B0000009')
print(swap_bcd(iccid_gsm), luhn_ok(swap_bcd(iccid_gsm)), imsi(imsi_gsm), swap_bcd(iccid_uicc), imsi(imsi_uicc), aid.hex().upper(), sw1, sw2, sw4, sw5, sw6)
`);
  const identity = testIdentity(SEED);
  t.is(out.trim(), [identity.iccid, 'True', identity.imsi, identity.iccid, identity.imsi, 'A0000000871002FFFFFFFF8907090000', '9000', '9000', '9000', '9000', '9000'].join(' '));
});
