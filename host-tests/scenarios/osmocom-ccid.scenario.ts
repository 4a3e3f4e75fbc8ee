/**
 * The cases of Osmocom's TTCN-3 CCID suite (osmo-ttcn3-hacks, ccid/CCID_Tests.ttcn) that need a card,
 * replayed against the multi-slot simulated reader with a `usim` card in every slot, every slot
 * driven at once as the suite's per-slot components do (its default mp_use_slot_count is 8). The
 * expected answers are the suite's own: TC_manage_channel wants 62 00, TC_read_binary 10 bytes and
 * 90 00 after SELECT EF ICCID, TC_get_response a class 00 SELECT answered 61xx and read by GET
 * RESPONSE in class A0, TC_truncated 67 00 / 6D 00 / 68 81 or a failed command. No Node APIs: these
 * run in XS too.
 */
import { CommandStatusCode as CommandStatus } from '../host-driver/ccid-messages.js';
import { bytes } from '../ccid/harness.js';
import { commandStatus, readerRig, runSlots, type Reply, type Step } from '../slots/reader-rig.js';
import { check, hex, type Scenario } from './scenario.js';

const SLOTS = 8;
const USIM_ATR = '3B9F96801FC78031A073BE21136743200718000001A5';

function dataOf(reply: Reply): string {
  return reply.type === 'RDR_to_PC_DataBlock' ? hex(reply.abData) : `(${reply.type})`;
}

function ok(reply: Reply, what: string): void {
  check(commandStatus(reply) === CommandStatus.ok, `slot ${reply.bSlot} ${what}: failed, bError 0x${reply.bError.toString(16)}`);
}

const powerOn: Step = {
  command: { type: 'PC_to_RDR_IccPowerOn', bPowerSelect: 0 },
  check: (reply) => {
    ok(reply, 'IccPowerOn');
    check(dataOf(reply) === USIM_ATR, `slot ${reply.bSlot}: ATR ${dataOf(reply)}`);
  },
};

/** An XfrBlock whose answer `expect` judges (a string: the exact response APDU). */
function xfr(apdu: string, expect: string | ((response: string, reply: Reply) => void)): Step {
  return {
    command: { type: 'PC_to_RDR_XfrBlock', bBWI: 0, wLevelParameter: 0, abData: bytes(apdu) },
    check: (reply) => {
      if (typeof expect === 'function') return expect(dataOf(reply), reply);
      ok(reply, apdu);
      check(dataOf(reply) === expect, `slot ${reply.bSlot} ${apdu}: ${dataOf(reply)}, expected ${expect}`);
    },
  };
}

/** Every slot runs the same steps, built per slot (a step may depend on an earlier answer). */
function everySlot(steps: (slot: number) => Step[]): Step[][] {
  return Array.from({ length: SLOTS }, (_, slot) => steps(slot));
}

/** TC_get_response: 61xx from a class 00 SELECT, then GET RESPONSE in class A0 for exactly xx bytes. */
function getResponse(): Step[] {
  let length = -1;
  return [
    xfr('00a40004023f00', (response, reply) => {
      ok(reply, 'SELECT MF');
      check(response.startsWith('61'), `slot ${reply.bSlot}: SW1 ${response.slice(0, 2)}, expected 61`);
      length = parseInt(response.slice(2, 4), 16);
    }),
    {
      get command() {
        return { type: 'PC_to_RDR_XfrBlock' as const, bBWI: 0, wLevelParameter: 0, abData: bytes(`a0c00000${length.toString(16).padStart(2, '0')}`) };
      },
      check: (reply: Reply) => {
        ok(reply, 'GET RESPONSE');
        check(dataOf(reply).length === 2 * (length + 2) && dataOf(reply).endsWith('9000'), `slot ${reply.bSlot}: ${dataOf(reply)}`);
      },
    },
  ];
}

/** TC_truncated: APDUs of 4, 3, 2, 1 and 0 bytes; each fails, or gets 67 00, 67 00, 67 00, 6D 00, 68 81. */
function truncated(): Step[] {
  const expected = ['6700', '6700', '6700', '6D00', '6881'];
  return [4, 3, 2, 1, 0].map((n, i) => xfr('00a40004'.slice(0, 2 * n), (response, reply) => {
    if (commandStatus(reply) === CommandStatus.failed) return;
    check(response === expected[i], `slot ${reply.bSlot}, ${n} bytes: ${response}, expected ${expected[i]} or a failed command`);
  }));
}

export const scenarios: Scenario[] = [
  {
    name: 'Osmocom CCID suite TC_power_on_warm, 8 slots at once: IccPowerOn, then 20 more (warm resets), every one answered with the usim ATR',
    run() {
      const r = readerRig(new Array(SLOTS).fill('usim'));
      runSlots(r, everySlot(() => new Array(21).fill(powerOn)));
    },
  },
  {
    name: 'Osmocom CCID suite TC_manage_channel, TC_read_binary, TC_get_response, TC_truncated, 8 slots at once (extended APDU level)',
    run() {
      const r = readerRig(new Array(SLOTS).fill('usim'));
      runSlots(r, everySlot(() => [
        powerOn,
        xfr('0070800100', '6200'),
        xfr('00A4000C022FE2', '9000'),
        xfr('00B000000A', (response, reply) => {
          ok(reply, 'READ BINARY');
          check(response.length === 24 && response.endsWith('9000'), `slot ${reply.bSlot}: EF ICCID ${response}`);
        }),
        ...getResponse(),
        ...truncated(),
      ]));
    },
  },
  {
    name: 'Osmocom CCID suite TC_read_binary, TC_get_response, TC_truncated at the TPDU level, 2 slots at once',
    run() {
      const r = readerRig(['usim', 'usim'], 'tpdu');
      runSlots(r, [0, 1].map(() => [
        powerOn,
        // At the TPDU level the host negotiates: PPS for TA1 = 96 (Fi 512, Di 32), then SetParameters.
        xfr('FF1096' + '79', 'FF109679'),
        {
          command: { type: 'PC_to_RDR_SetParameters', bProtocolNum: 0, abProtocolData: Uint8Array.of(0x96, 0x00, 0x00, 0x0a, 0x00) },
          check: (reply: Reply) => ok(reply, 'SetParameters'),
        },
        xfr('00A4000C022FE2', '9000'),
        xfr('00B000000A', (response, reply) => check(response.length === 24 && response.endsWith('9000'), `slot ${reply.bSlot}: ${response}`)),
        ...getResponse(),
        ...truncated(),
      ]));
    },
  },
  {
    name: 'Osmocom CCID suite TC_select_mf, 8 slots at once: SetParameters T=0 Fi 512 Di 32, then SELECT MF 100 times; its bWaitingIntegerT0 0 is refused (bError 13)',
    run() {
      const r = readerRig(new Array(SLOTS).fill('usim'));
      // The suite's ts_ProtoDataT0 leaves bWaitingIntegerT0 at 0, which ISO/IEC 7816-3 (TC2: WI 00 is
      // RFU) does not allow: the reader refuses it with the offset of that field, 10 + 3, and keeps
      // what is in force; TC_select_mf expects the command to succeed, so that case fails on the
      // reader, whatever the card. With the WI a host derives from this ATR (no TC2: 10) it succeeds.
      const parameters = (wi: number, judge: (reply: Reply) => void): Step => ({
        command: { type: 'PC_to_RDR_SetParameters', bProtocolNum: 0, abProtocolData: Uint8Array.of(0x96, 0x00, 0x00, wi, 0x00) },
        check: (reply) => {
          check(reply.type === 'RDR_to_PC_Parameters', `slot ${reply.bSlot}: ${reply.type}`);
          judge(reply);
        },
      });
      const refused = parameters(0, (reply) => check(commandStatus(reply) === CommandStatus.failed && reply.bError === 13, `slot ${reply.bSlot}: WI 0 → bError ${reply.bError}`));
      const accepted = parameters(10, (reply) => ok(reply, 'SetParameters WI 10'));
      runSlots(r, everySlot(() => [powerOn, refused, accepted, ...new Array(100).fill(xfr('00a40004023f00', '612B'))]));
    },
  },
  {
    name: 'Osmocom CCID suite TC_set_params, TC_reset_params, TC_set_params_nochange with a T=0 card: guard time and WI kept, defaults restored',
    run() {
      const r = readerRig(['usim', 'usim']);
      let current = '';
      const parameters = (type: 'PC_to_RDR_GetParameters' | 'PC_to_RDR_ResetParameters', judge: (data: string) => void): Step => ({
        command: { type },
        check: (reply) => {
          check(reply.type === 'RDR_to_PC_Parameters' && commandStatus(reply) === CommandStatus.ok, `slot ${reply.bSlot} ${type}`);
          if (reply.type === 'RDR_to_PC_Parameters') judge(hex(reply.abProtocolData));
        },
      });
      const set = (data: () => string, judge: (data: string) => void): Step => ({
        get command() {
          return { type: 'PC_to_RDR_SetParameters' as const, bProtocolNum: 0, abProtocolData: bytes(data()) };
        },
        check: (reply: Reply) => {
          check(reply.type === 'RDR_to_PC_Parameters' && commandStatus(reply) === CommandStatus.ok, `slot ${reply.bSlot} SetParameters: bError 0x${reply.bError.toString(16)}`);
          if (reply.type === 'RDR_to_PC_Parameters') judge(hex(reply.abProtocolData));
        },
      });
      runSlots(r, [0, 1].map(() => [
        powerOn,
        parameters('PC_to_RDR_GetParameters', (data) => { current = data; }),
        // TC_set_params_nochange: the same parameters back, unchanged.
        set(() => current, (data) => check(data === current, `unchanged: ${data} vs ${current}`)),
        // TC_set_params: bGuardTimeT0 23, bWaitingIntegerT0 42.
        set(() => current.slice(0, 4) + '172A' + current.slice(8), (data) => check(data.slice(4, 8) === '172A', `guard time and WI: ${data}`)),
        parameters('PC_to_RDR_GetParameters', (data) => check(data.slice(4, 8) === '172A', `kept: ${data}`)),
        // TC_reset_params: neither 23 nor 42 any more.
        parameters('PC_to_RDR_ResetParameters', (data) => check(data.slice(4, 6) !== '17' && data.slice(6, 8) !== '2A', `reset: ${data}`)),
      ]));
    },
  },
];
