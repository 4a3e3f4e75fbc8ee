/**
 * End-to-end CCID checks (CCID Rev 1.1) through the simulated USB device's bus side, on simulated
 * slots: what a host stack does, in the order it does it. No Node APIs: these also run inside XS.
 */
import { BError, Chain } from '../host-driver/ccid-messages.js';
import type { RDR_to_PC } from '../host-driver/typed-messages.js';
import { TestReader, bytes } from '../ccid/harness.js';
import { check, hex, type Scenario } from './scenario.js';

function expect(reply: RDR_to_PC | null, type: string, bSeq: number, bStatus: number, bError: number, what: string): void {
  check(reply !== null, `${what}: no reply`);
  check(reply.type === type, `${what}: expected ${type}, got ${reply.type}`);
  if (reply.type === 'Invalid') return;
  check(reply.bSeq === bSeq, `${what}: bSeq ${reply.bSeq}, expected ${bSeq}`);
  check(reply.bStatus === bStatus, `${what}: bStatus 0x${reply.bStatus.toString(16)}, expected 0x${bStatus.toString(16)}`);
  check(reply.bError === bError, `${what}: bError 0x${reply.bError.toString(16)}, expected 0x${bError.toString(16)}`);
}

export const scenarios: Scenario[] = [
  {
    name: 'CCID §5.3.3 / §6.1 libccid open sequence: GET_DATA_RATES, interrupt, GetSlotStatus, IccPowerOn, XfrBlock, IccPowerOff twice',
    run() {
      const reader = new TestReader();
      const rates = reader.host.control({ bmRequestType: 0xa1, bRequest: 3, wValue: 0, wIndex: 0, wLength: 1024 });
      const configuration = reader.host.control({ bmRequestType: 0x80, bRequest: 6, wValue: 0x0200, wIndex: 0, wLength: 255 }).data;
      check(rates.status === 'ok' && rates.data.length === 4 * configuration[18 + 27], 'GET_DATA_RATES returns bNumDataRatesSupported dwords');
      check(hex(reader.readInterrupt()) === '5003', 'NotifySlotChange at configuration: slot 0 present, changed');
      expect(reader.transact({ type: 'PC_to_RDR_GetSlotStatus', bSlot: 0, bSeq: 0 }), 'RDR_to_PC_SlotStatus', 0, 0x01, 0, 'GetSlotStatus');
      const atr = reader.transact({ type: 'PC_to_RDR_IccPowerOn', bSlot: 0, bSeq: 1, bPowerSelect: 0 });
      expect(atr, 'RDR_to_PC_DataBlock', 1, 0x00, 0, 'IccPowerOn');
      check(atr.type === 'RDR_to_PC_DataBlock' && hex(atr.abData) === '3B808131FE458B', 'the ATR in the DataBlock');
      const response = reader.transact({ type: 'PC_to_RDR_XfrBlock', bSlot: 0, bSeq: 2, bBWI: 0, wLevelParameter: 0, abData: bytes('0084000008') });
      expect(response, 'RDR_to_PC_DataBlock', 2, 0x00, 0, 'XfrBlock');
      check(response.type === 'RDR_to_PC_DataBlock' && hex(response.abData) === '00840000089000', 'the response APDU');
      expect(reader.transact({ type: 'PC_to_RDR_IccPowerOff', bSlot: 0, bSeq: 3 }), 'RDR_to_PC_SlotStatus', 3, 0x01, 0, 'IccPowerOff');
      expect(reader.transact({ type: 'PC_to_RDR_IccPowerOff', bSlot: 0, bSeq: 4 }), 'RDR_to_PC_SlotStatus', 4, 0x01, 0, 'IccPowerOff again');
    },
  },
  {
    name: 'CCID §6.1.4 / §6.2.1 extended APDU level: a 1000-byte APDU chained in, its response chained out',
    run() {
      const reader = new TestReader();
      reader.powerOn();
      const apdu = new Uint8Array(1000);
      for (let i = 0; i < apdu.length; i++) apdu[i] = (i * 7) & 0xff;
      let offset = 0;
      let bSeq = 2;
      let reply: RDR_to_PC | null = null;
      while (offset < apdu.length) {
        const n = Math.min(261, apdu.length - offset);
        const last = offset + n === apdu.length;
        const wLevelParameter = offset === 0 ? Chain.begins : last ? Chain.ends : Chain.continues;
        reply = reader.transact({ type: 'PC_to_RDR_XfrBlock', bSlot: 0, bSeq: bSeq++, bBWI: 0, wLevelParameter, abData: apdu.subarray(offset, offset + n) });
        offset += n;
        if (!last) check(reply.type === 'RDR_to_PC_DataBlock' && reply.bChainParameter === Chain.more, 'each piece is answered 10h');
      }
      let received = 0;
      for (;;) {
        check(reply !== null && reply.type === 'RDR_to_PC_DataBlock' && reply.bStatus === 0, 'response piece');
        if (reply === null || reply.type !== 'RDR_to_PC_DataBlock') return;
        received += reply.abData.length;
        if (reply.bChainParameter === Chain.ends) break;
        check(reply.bChainParameter === Chain.begins || reply.bChainParameter === Chain.continues, `bChainParameter ${reply.bChainParameter}`);
        reply = reader.transact({ type: 'PC_to_RDR_XfrBlock', bSlot: 0, bSeq: bSeq++, bBWI: 0, wLevelParameter: Chain.more, abData: new Uint8Array(0) });
      }
      check(received === 1002, `received ${received} bytes, expected 1002`);
    },
  },
  {
    name: 'CCID §5.3.1 Abort in both orders ends the XfrBlock with CMD_ABORTED; the slot then works',
    run() {
      const reader = new TestReader({ slots: [{ respond: () => ({ response: bytes('9000'), delayNs: 5e9 }) }] });
      reader.powerOn();
      const abort = (bSeq: number): void => {
        const result = reader.host.control({ bmRequestType: 0x21, bRequest: 1, wValue: bSeq << 8, wIndex: 0, wLength: 0 });
        check(result.status === 'ok', 'ABORT request accepted');
      };
      reader.send({ type: 'PC_to_RDR_XfrBlock', bSlot: 0, bSeq: 5, bBWI: 0, wLevelParameter: 0, abData: bytes('00') });
      reader.scheduler.advance(1e6);
      abort(5);
      reader.send({ type: 'PC_to_RDR_Abort', bSlot: 0, bSeq: 5 });
      expect(reader.read(), 'RDR_to_PC_DataBlock', 5, 0x40, BError.CMD_ABORTED, 'aborted XfrBlock');
      expect(reader.read(), 'RDR_to_PC_SlotStatus', 5, 0x00, 0, 'Abort');
      reader.send({ type: 'PC_to_RDR_XfrBlock', bSlot: 0, bSeq: 6, bBWI: 0, wLevelParameter: 0, abData: bytes('00') });
      reader.scheduler.advance(1e6);
      reader.send({ type: 'PC_to_RDR_Abort', bSlot: 0, bSeq: 6 });
      reader.scheduler.advance(1e6);
      abort(6);
      expect(reader.read(), 'RDR_to_PC_DataBlock', 6, 0x40, BError.CMD_ABORTED, 'aborted XfrBlock, bulk half first');
      expect(reader.read(), 'RDR_to_PC_SlotStatus', 6, 0x00, 0, 'Abort, bulk half first');
      expect(reader.transact({ type: 'PC_to_RDR_GetSlotStatus', bSlot: 0, bSeq: 7 }), 'RDR_to_PC_SlotStatus', 7, 0x00, 0, 'slot usable');
    },
  },
  {
    name: 'CCID §6.3.1 removal mid-command: ICC_MUTE with ICC absent at once, NotifySlotChange, then insertion',
    run() {
      const reader = new TestReader({ slots: [{ respond: () => ({ response: bytes('9000'), delayNs: 10e9 }) }] });
      check(hex(reader.readInterrupt()) === '5003', 'present at configuration');
      reader.powerOn();
      reader.send({ type: 'PC_to_RDR_XfrBlock', bSlot: 0, bSeq: 2, bBWI: 0, wLevelParameter: 0, abData: bytes('00') });
      reader.scheduler.advance(1e6);
      reader.slots[0].remove();
      expect(reader.read(1e6), 'RDR_to_PC_DataBlock', 2, 0x42, BError.ICC_MUTE, 'XfrBlock on removal');
      check(hex(reader.readInterrupt()) === '5002', 'NotifySlotChange: absent, changed');
      reader.slots[0].insert();
      check(hex(reader.readInterrupt()) === '5003', 'NotifySlotChange: present, changed');
      expect(reader.powerOn(0, 3), 'RDR_to_PC_DataBlock', 3, 0x00, 0, 'power on after re-insertion');
    },
  },
  {
    name: 'CCID §6.1 / §6.2.6 malformed input: unknown type, bad slot, lying dwLength, truncated header; the reader stays usable',
    run() {
      const reader = new TestReader();
      reader.sendRaw(bytes('FF000000000011000000'));
      expect(reader.read(), 'RDR_to_PC_SlotStatus', 0x11, 0x41, 0, 'unknown bMessageType');
      reader.sendRaw(bytes('65000000000712000000'));
      expect(reader.read(), 'RDR_to_PC_SlotStatus', 0x12, 0x42, 5, 'slot 7 does not exist');
      reader.sendRaw(bytes('6F0A00000000130000000102'));
      expect(reader.read(), 'RDR_to_PC_DataBlock', 0x13, 0x41, 1, 'dwLength 10 with 2 bytes');
      reader.sendRaw(bytes('6500000000'));
      check(reader.read(100e6) === null, 'a fragment shorter than a header is dropped');
      expect(reader.transact({ type: 'PC_to_RDR_GetSlotStatus', bSlot: 0, bSeq: 0x14 }), 'RDR_to_PC_SlotStatus', 0x14, 0x01, 0, 'usable');
    },
  },
];
