/**
 * An ECHO exchange on a virtual ESP32-S3 board (the device firmware and its native drivers on the
 * WebAssembly board) with a given interrupt latency, measured against the wire minimum
 * (host-tests/bench/echo-throughput.ts). Host-only (Node).
 */
import { findCard } from '../../hal/sim/cards/registry.js';
import { measureEcho, powerOn, type EchoRow } from '../bench/echo-throughput.js';
import { createEsp32s3Reader, prepareEsp32s3 } from '../reader/esp32s3-reader.js';

export async function esp32s3Echo(card: string, interruptLatencyNs: number, size: number): Promise<EchoRow> {
  await prepareEsp32s3('esp32s3');
  const reader = createEsp32s3Reader('esp32s3', { interruptLatencyNs, cards: [findCard(card)!.create(1)] });
  try {
    const rig = { slot: reader.slot, scheduler: reader.board.scheduler, line: reader.board.sim.line };
    powerOn(rig);
    return measureEcho(rig, size);
  } finally {
    reader.close();
  }
}
