/**
 * Records what crosses the contacts at the APDU level, as an ISO 7816 capture: each ATR a slot reads
 * and each APDU exchange (command, then response). Wraps a Slot before it is given to the CCID class;
 * everything else (properties the class sets, optional members) goes to the slot itself. TPDUs are
 * not recorded: Wireshark's iso7816 dissector reads ATRs and whole APDUs only. No Node APIs.
 */
import type { Scheduler } from '../../hal/interfaces/scheduler.js';
import type { Slot } from '../../hal/interfaces/slot.js';
import type { Iso7816PcapWriter } from '../../hal/sim/pcap.js';

export function recordSlotApdus(slot: Slot, writer: Iso7816PcapWriter, scheduler: Scheduler): Slot {
  const powerOn: Slot['powerOn'] = (voltage, done, options) =>
    slot.powerOn(voltage, (result) => {
      if (result.atr !== null) writer.atr(result.atr, scheduler.now());
      done(result);
    }, options);
  const transmitApdu: Slot['transmitApdu'] = (apdu, done, onWaiting) => {
    writer.command(apdu, scheduler.now());
    slot.transmitApdu(apdu, (result) => {
      if (result.response !== null) writer.response(result.response, scheduler.now());
      done(result);
    }, onWaiting);
  };
  return new Proxy(slot, {
    get(target, property) {
      if (property === 'powerOn') return powerOn;
      if (property === 'transmitApdu') return transmitApdu;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
    set(target, property, value) {
      return Reflect.set(target, property, value, target);
    },
  });
}
