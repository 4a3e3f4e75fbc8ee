/**
 * The multi-slot reader end to end: the host's reader composition with several sockets (firmware
 * CCID class and ISO 7816-3 sessions on the simulated board, simulated cards), driven through the
 * simulated USB device's bus side the way a host does. CCID Rev 1.1: every slot works in parallel
 * (§5.1 bMaxCCIDBusySlots), one command at a time per slot (§6.1), NotifySlotChange reports each
 * slot (§6.3.1). No Node APIs: these also run inside XS.
 */
import { BError, CommandStatusCode as CommandStatus, IccStatusCode as IccStatus } from '../host-driver/ccid-messages.js';
import { bytes } from '../ccid/harness.js';
import { luhnValid, swappedDigits } from '../sim/usim-rig.js';
import { card, commandStatus, readerRig as rig, replies, type ReaderRig as Rig, type Reply } from '../slots/reader-rig.js';
import { check, hex, type Scenario } from './scenario.js';

function powerOnAll(r: Rig, slots: number[]): void {
  slots.forEach((bSlot) => r.host.send({ type: 'PC_to_RDR_IccPowerOn', bSlot, bSeq: 1, bPowerSelect: 0 }));
  for (const reply of replies(r, slots.length)) {
    check(reply.type === 'RDR_to_PC_DataBlock' && commandStatus(reply) === CommandStatus.ok, `IccPowerOn slot ${reply.bSlot}: bStatus 0x${reply.bStatus.toString(16)} bError 0x${reply.bError.toString(16)}`);
  }
}

function xfr(r: Rig, bSlot: number, bSeq: number, apdu: string): void {
  r.host.send({ type: 'PC_to_RDR_XfrBlock', bSlot, bSeq, bBWI: 0, wLevelParameter: 0, abData: bytes(apdu) });
}

function dataOf(reply: Reply): string {
  return reply.type === 'RDR_to_PC_DataBlock' ? hex(reply.abData) : `(${reply.type})`;
}

/** The slot's answer to one APDU, alone on the reader. */
function transact(r: Rig, bSlot: number, bSeq: number, apdu: string): string {
  xfr(r, bSlot, bSeq, apdu);
  const [reply] = replies(r, 1);
  check(reply.bSlot === bSlot && reply.bSeq === bSeq, `answer to slot ${bSlot} bSeq ${bSeq}: got slot ${reply.bSlot} bSeq ${reply.bSeq}`);
  check(commandStatus(reply) === CommandStatus.ok, `slot ${bSlot} ${apdu}: bError 0x${reply.bError.toString(16)}`);
  return dataOf(reply);
}

/** NotifySlotChange bitmap as (present, changed) per slot. */
function notify(r: Rig): string {
  const raw = r.host.readInterrupt(1e9);
  check(raw !== null && raw[0] === 0x50, `NotifySlotChange expected, got ${hex(raw)}`);
  return hex(raw);
}

export const scenarios: Scenario[] = [
  {
    name: 'CCID §5.1 bMaxCCIDBusySlots: a usim and a T=1 card answer APDUs sent to both slots at once, neither busy, faster than in turn',
    run() {
      const r = rig(['usim', 't1']);
      check(r.reader.ccid.description.descriptors.configuration[9 + 9 + 53] === 2, 'bMaxCCIDBusySlots 2');
      powerOnAll(r, [0, 1]);
      const scheduler = r.reader.board.scheduler;
      // Alone: how long each takes.
      let start = scheduler.now();
      check(transact(r, 0, 2, '00A4000C022FE2') === '9000', 'SELECT EF ICCID');
      const iccid = transact(r, 0, 3, '00B000000A');
      const usimNs = scheduler.now() - start;
      start = scheduler.now();
      const challenge = transact(r, 1, 2, '0084000008');
      const t1Ns = scheduler.now() - start;
      check(challenge.length === 20 && challenge.endsWith('9000'), `T=1 GET CHALLENGE: ${challenge}`);
      // Together: both slots get their command before either answers.
      start = scheduler.now();
      xfr(r, 0, 4, '00B000000A');
      xfr(r, 1, 3, '0084000008');
      const both = replies(r, 2);
      const togetherNs = scheduler.now() - start;
      for (const reply of both) {
        check(commandStatus(reply) === CommandStatus.ok, `slot ${reply.bSlot}: failed with bError 0x${reply.bError.toString(16)} (no CMD_SLOT_BUSY across slots)`);
      }
      const slot0 = both.find((b) => b.bSlot === 0)!;
      const slot1 = both.find((b) => b.bSlot === 1)!;
      check(slot0.bSeq === 4 && dataOf(slot0) === iccid, `slot 0: the ICCID again, ${dataOf(slot0)}`);
      check(slot1.bSeq === 3 && dataOf(slot1).length === 20 && dataOf(slot1).endsWith('9000'), `slot 1: ${dataOf(slot1)}`);
      check(togetherNs < usimNs + t1Ns, `in parallel ${togetherNs} ns, in turn ${usimNs + t1Ns} ns`);
    },
  },
  {
    name: 'CCID §6.1 one command per slot: a second command to the busy slot gets CMD_SLOT_BUSY, the other slot\'s command is untouched',
    run() {
      const r = rig(['usim', 'usim']);
      powerOnAll(r, [0, 1]);
      xfr(r, 0, 5, '00A4000402' + '3F00');
      xfr(r, 1, 5, '00A4000402' + '3F00');
      xfr(r, 0, 6, '00A4000402' + '3F00');
      const all = replies(r, 3);
      const busy = all.filter((b) => commandStatus(b) === CommandStatus.failed);
      check(busy.length === 1 && busy[0].bSlot === 0 && busy[0].bSeq === 6 && busy[0].bError === BError.CMD_SLOT_BUSY, `one CMD_SLOT_BUSY for slot 0 bSeq 6: ${all.map((b) => `${b.bSlot}/${b.bSeq}/${b.bError}`).join(' ')}`);
      const answers = all.filter((b) => commandStatus(b) === CommandStatus.ok).map((b) => `${b.bSlot}/${b.bSeq}:${dataOf(b)}`).sort();
      check(answers.join(' ') === '0/5:612B 1/5:612B', `both SELECTs answered 61 2B: ${answers.join(' ')}`);
    },
  },
  {
    name: 'CCID §6.3.1 NotifySlotChange: two bits per slot, only the slot that changed is marked changed',
    run() {
      const r = rig(['usim', null, 't1', null]);
      // At configuration: slots 0 and 2 present and changed (bits 0–1 and 4–5 of the first byte).
      check(notify(r) === '5033', 'slots 0 and 2 present and changed: 50 33');
      r.reader.board.sockets[2].sim.remove();
      check(notify(r) === '5021', 'slot 2 removed: 50 21');
      r.reader.board.sockets[3].sim.insert(card('t0-fs', 1));
      check(notify(r) === '50C1', 'slot 3 inserted: 50 C1');
      const status = r.host.transact({ type: 'PC_to_RDR_GetSlotStatus', bSlot: 3, bSeq: 1 });
      check((status.bStatus & 3) === IccStatus.inactive, 'slot 3: a card, not powered');
    },
  },
  {
    name: 'CCID §6.1.4 removal in one slot: its command ends ICC_MUTE with the card absent, the other slot\'s command is answered as usual',
    run() {
      const r = rig(['usim', 'usim']);
      powerOnAll(r, [0, 1]);
      const scheduler = r.reader.board.scheduler;
      // UPDATE BINARY makes the card work (EEPROM time): remove slot 1's card meanwhile.
      check(transact(r, 0, 2, '00A4000C022FE2') === '9000', 'slot 0: SELECT EF ICCID');
      check(transact(r, 1, 2, '00A4040C07A0000000871002') === '9000' && transact(r, 1, 3, '00A4000C026F7E') === '9000', 'slot 1: SELECT EF LOCI');
      xfr(r, 0, 3, '00B000000A');
      xfr(r, 1, 4, '00D600000B' + '11223344556677889900AA');
      scheduler.advance(2e6);
      r.reader.board.sockets[1].sim.remove();
      const both = replies(r, 2);
      const slot0 = both.find((b) => b.bSlot === 0)!;
      const slot1 = both.find((b) => b.bSlot === 1)!;
      check(commandStatus(slot0) === CommandStatus.ok && dataOf(slot0).length === 24, `slot 0 answered: ${dataOf(slot0)}`);
      check(commandStatus(slot1) === CommandStatus.failed && slot1.bError === BError.ICC_MUTE && (slot1.bStatus & 3) === IccStatus.absent, `slot 1: ICC_MUTE, absent (bStatus 0x${slot1.bStatus.toString(16)})`);
      check(transact(r, 0, 4, '00B0000002') === dataOf(slot0).slice(0, 4) + '9000', 'slot 0 still works');
    },
  },
  {
    name: 'SIM bank: 8 usim cards read their ICCIDs in parallel, each its own Luhn-valid number; a slot beyond the eighth is bError 5',
    run() {
      const slots = [0, 1, 2, 3, 4, 5, 6, 7];
      const r = rig(slots.map(() => 'usim'));
      powerOnAll(r, slots);
      slots.forEach((s) => xfr(r, s, 2, '00A4000C022FE2'));
      check(replies(r, 8).every((b) => dataOf(b) === '9000'), 'every SELECT EF ICCID answered 9000');
      slots.forEach((s) => xfr(r, s, 3, '00B000000A'));
      const iccids = new Map<number, string>();
      for (const reply of replies(r, 8)) iccids.set(reply.bSlot, swappedDigits(dataOf(reply).slice(0, 20)));
      const distinct = new Set(iccids.values());
      check(distinct.size === 8, `8 different ICCIDs: ${[...iccids.values()].join(' ')}`);
      for (const [s, iccid] of iccids) check(iccid.length === 19 && luhnValid(iccid), `slot ${s}: ${iccid}`);
      const none = r.host.transact({ type: 'PC_to_RDR_GetSlotStatus', bSlot: 8, bSeq: 9 });
      check(commandStatus(none) === CommandStatus.failed && none.bError === 5, 'bSlot 8: bError 5 (offset of bSlot)');
    },
  },
];
