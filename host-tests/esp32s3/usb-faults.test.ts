/**
 * Bad input from the bus never corrupts the reader on the virtual ESP32-S3 board (firmware/main.ts on
 * usb-device.c and the TinyUSB model): a bus reset in the middle of a long transfer (USB 2.0 §9.1.1:
 * the device returns to the Default state; the host enumerates again), and a host that halts and
 * clears the bulk endpoints (USB 2.0 §9.4.5, §9.4.1: what libusb_clear_halt sends after a stall).
 * Each is a transport error on the host's side, and the reader answers the next commands right.
 */
import test from 'ava';
import { findCard } from '../../hal/sim/cards/registry.js';
import { CcidHost, type PowerOnReply, type SlotStatusReply, type TransmitReply } from '../host-driver/ccid-host.js';
import { drive } from '../host-driver/drive.js';
import { encodeCommand, PC_to_RDR } from '../host-driver/ccid-messages.js';
import { createEsp32s3Reader, prepareEsp32s3 } from '../reader/esp32s3-reader.js';

const LIMIT_NS = 60e9;
const SELECT_MF = Uint8Array.of(0x00, 0xa4, 0x00, 0x0c, 0x02, 0x3f, 0x00);
/** The card's proprietary ECHO (CLA 80, INS EE) of 4096 bytes: seconds of transfers both ways. */
const ECHO = Uint8Array.from([0x80, 0xee, 0x00, 0x00, 0x00, 0x10, 0x00, ...Array.from({ length: 4096 }, (_, i) => i & 0xff), 0x10, 0x00]);

// Longer than ava's 10 s: the first use builds the board's C to WebAssembly.
test.before(async (t) => {
  t.timeout(180_000);
  await prepareEsp32s3('esp32s3');
});

async function poweredReader(card: string) {
  const reader = createEsp32s3Reader('esp32s3', { cards: [findCard(card)!.create(1)] });
  const scheduler = reader.board.scheduler;
  scheduler.runUntil(50e6); // past the detect debounce
  const host = new CcidHost({ usb: reader.usb.host });
  if (host.open() !== null) throw new Error('no enumeration');
  const power = drive<PowerOnReply>(scheduler, (done) => host.powerOn(done), LIMIT_NS);
  if (power.error !== null) throw new Error(`power on: ${power.error}`);
  return { reader, scheduler, host };
}

test('USB 2.0 §9.1.1 a bus reset in the middle of a 4 KB exchange: the host sees the transport fail, enumerates again, and the reader answers right', async (t) => {
  const { reader, scheduler, host } = await poweredReader('t1');
  let first: TransmitReply | null = null;
  host.transmit(ECHO, (reply) => (first = reply));
  scheduler.runUntil(scheduler.now() + 300e6);
  t.is(first, null, 'the exchange is in progress');
  t.true(reader.usb.configured);
  reader.usb.host.reset();
  scheduler.runUntil(scheduler.now() + 10e6);
  t.truthy(first, 'the pending transfers ended');
  t.not(first!.error, null, `a transport error, not an answer: ${first!.error}`);
  t.false(reader.usb.configured, 'back in the Default state');

  // A new host session: enumeration, then commands with fresh sequence numbers.
  const again = new CcidHost({ usb: reader.usb.host });
  t.is(again.open(), null);
  const status = drive<SlotStatusReply>(scheduler, (done) => again.getSlotStatus(done), LIMIT_NS);
  t.is(status.error, null, 'GetSlotStatus is answered with its own bSeq (no stale answer of the old command)');
  const select = drive<TransmitReply>(scheduler, (done) => again.transmit(SELECT_MF, done), LIMIT_NS);
  t.deepEqual([select.error, select.response], [null, Uint8Array.of(0x90, 0x00)]);
  const data = Uint8Array.from({ length: 255 }, (_, i) => (i * 3) & 0xff);
  const echo = drive<TransmitReply>(scheduler, (done) => again.transmit(Uint8Array.from([0x80, 0xee, 0x00, 0x00, 0xff, ...data, 0x00]), done), LIMIT_NS);
  t.is(echo.error, null);
  t.deepEqual(echo.response, Uint8Array.from([...data, 0x90, 0x00]));
  reader.close();
});

/** A standard request to an endpoint: SET_FEATURE (3) or CLEAR_FEATURE (1) of ENDPOINT_HALT (0). */
function endpointHalt(request: 1 | 3, endpoint: number) {
  return { bmRequestType: 0x02, bRequest: request, wValue: 0, wIndex: endpoint, wLength: 0 };
}

test('USB 2.0 §9.4.5 the host halts and clears bulk OUT and bulk IN between commands: the reader keeps answering', async (t) => {
  const { reader, scheduler, host } = await poweredReader('t0-fs');
  const usb = reader.usb.host;
  const config = reader.usb.descriptors.configuration;
  // The bulk endpoints from the configuration descriptor (CCID §5.2: one bulk OUT, one bulk IN).
  const bulk: number[] = [];
  for (let at = 0; at + 1 < config.length && config[at] > 0; at += config[at]) {
    if (config[at + 1] === 5 && (config[at + 3] & 3) === 2) bulk.push(config[at + 2]);
  }
  t.is(bulk.length, 2);
  for (const endpoint of bulk) {
    t.is(usb.control(endpointHalt(3, endpoint)).status, 'ok', `SET_FEATURE(HALT) 0x${endpoint.toString(16)}`);
    t.is(usb.control(endpointHalt(1, endpoint)).status, 'ok', `CLEAR_FEATURE(HALT) 0x${endpoint.toString(16)}`);
    const select = drive<TransmitReply>(scheduler, (done) => host.transmit(SELECT_MF, done), LIMIT_NS);
    t.deepEqual([select.error, select.response], [null, Uint8Array.of(0x90, 0x00)], `after the halt of 0x${endpoint.toString(16)}`);
  }
  reader.close();
});

test('USB 2.0 §9.4.5 bulk IN halted while an answer waits on it: the answer is gone with the halt, and after the clear the reader answers the next commands', async (t) => {
  const { reader, scheduler } = await poweredReader('t0-fs');
  const usb = reader.usb.host;
  const config = reader.usb.descriptors.configuration;
  let bulkIn = 0;
  for (let at = 0; at + 1 < config.length && config[at] > 0; at += config[at]) {
    if (config[at + 1] === 5 && (config[at + 3] & 3) === 2 && (config[at + 2] & 0x80)) bulkIn = config[at + 2];
  }
  // A command whose answer the host does not read yet: the reader arms it on bulk IN and waits.
  usb.bulkOut(encodeCommand(PC_to_RDR.XfrBlock, 0, 0x40, [0, 0, 0], SELECT_MF));
  const tinyusb = reader.board.esp32s3.chip.usb;
  const limit = scheduler.now() + 1e9;
  while (!tinyusb.edptBusy(bulkIn) && scheduler.now() < limit) scheduler.runUntil(scheduler.nextTime!);
  t.true(tinyusb.edptBusy(bulkIn), 'the answer is armed');
  t.is(usb.control(endpointHalt(3, bulkIn)).status, 'ok');
  t.is(usb.control(endpointHalt(1, bulkIn)).status, 'ok');
  // The answer was dropped with the halt (the controller drops an armed transfer); nothing else comes.
  const heard: Uint8Array[] = [];
  const pending = usb.bulkIn(271, (status, message) => void (status === 'ok' && heard.push(message.slice())));
  scheduler.runUntil(scheduler.now() + 100e6);
  t.deepEqual(heard, []);
  usb.cancel(pending);
  // The next commands are answered, each once, with its own bSeq.
  const host = new CcidHost({ usb });
  host.open();
  const status = drive<SlotStatusReply>(scheduler, (done) => host.getSlotStatus(done), LIMIT_NS);
  t.is(status.error, null);
  const select = drive<TransmitReply>(scheduler, (done) => host.transmit(SELECT_MF, done), LIMIT_NS);
  t.deepEqual([select.error, select.response], [null, Uint8Array.of(0x90, 0x00)]);
  reader.close();
});
