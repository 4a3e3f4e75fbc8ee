/**
 * The XS side of the XS bench: the whole simulated reader (sim board and card, ISO 7816-3 slot, CCID
 * class, simulated USB device) and the host CCID driver, in one script. Node asks for APDUs to be
 * run through the full path, one request at a time, and reads XS's meter for each. No Node API.
 */
import { findCard } from '../../hal/sim/cards/registry.js';
import { createSimReader, type SimReader } from '../reader/reader.js';
import { CcidHost, type TransmitReply } from '../host-driver/ccid-host.js';
import { drive } from '../host-driver/drive.js';
import { hex as bytes, toHex as hex } from '../../hal/sim/hex.js';

const COMMAND_LIMIT_NS = 600e9;
const SETTLE_NS = 50e6;

interface Session {
  reader: SimReader;
  host: CcidHost;
}

let session: Session | null = null;


/** A fresh reader with the card inserted and powered (IccPowerOn through CCID). */
export function setup(args: { card: string; seed: number }): { atr: string; protocol: number | null } {
  session?.reader.close();
  session = null;
  const builtIn = findCard(args.card);
  if (!builtIn) throw new Error(`no built-in card ${args.card}`);
  const reader = createSimReader({ seed: args.seed });
  const host = new CcidHost({ usb: reader.usb.host });
  const openError = host.open();
  if (openError !== null) throw new Error(openError);
  reader.board.sim.insert(builtIn.create(args.seed));
  reader.board.scheduler.advance(SETTLE_NS);
  const power = drive<{ error: string | null; atr: Uint8Array | null }>(reader.board.scheduler, (done) => host.powerOn(done), COMMAND_LIMIT_NS);
  if (power.error !== null || power.atr === null) throw new Error(`IccPowerOn failed: ${power.error}`);
  session = { reader, host };
  return { atr: hex(power.atr), protocol: reader.slot.attributes.protocol };
}

/**
 * Send `apdu` `count` times through CCID; every response must be `expect` (hex, or its last 4 hex
 * digits when `expect` is a status word). The line's recording (a simulator test facility, not the
 * reader) is cleared so it does not count as reader memory. `collect` runs the GC at the end, so the
 * meter's heap count is the live heap.
 */
export function run(args: { apdu: string; count: number; expect: string; collect: boolean }): { virtualNs: number; response: string } {
  if (session === null) throw new Error('setup first');
  const { reader, host } = session;
  const scheduler = reader.board.scheduler;
  const apdu = bytes(args.apdu);
  const started = scheduler.now();
  let response = '';
  for (let i = 0; i < args.count; i++) {
    const r = drive<TransmitReply>(scheduler, (done) => host.transmit(apdu, done), COMMAND_LIMIT_NS);
    if (r.error !== null || r.response === null) throw new Error(`APDU ${i + 1} failed: ${r.error}`);
    response = hex(r.response);
    const ok = args.expect.length === 4 ? response.endsWith(args.expect) : response === args.expect;
    if (!ok) throw new Error(`APDU ${i + 1}: response ${response}, expected ${args.expect}`);
  }
  reader.board.sim.line.clear();
  if (args.collect) (globalThis as { gc?: () => void }).gc?.();
  return { virtualNs: scheduler.now() - started, response };
}

/** A request that does nothing: its meter is the cost of the request itself. */
export function noop(args: { collect: boolean }): null {
  if (args.collect) (globalThis as { gc?: () => void }).gc?.();
  return null;
}
