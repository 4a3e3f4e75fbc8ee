/**
 * The virtual ESP32-S3 board as a board of host-tests/session/rig.ts (useRigBoard): the scenarios
 * written for the sim board run on the device's own drivers — hal/moddable's CardContacts and
 * CardUart (their C compiled to WebAssembly), its scheduler over the board's virtual time — behind a
 * TDA8035 on socket 0. A rig's `classes` and `clocksHz` narrow the provider's, as a board variant
 * with fewer would (clocks: 4 MHz alone unless asked, as on the sim board). Host-only (Node).
 */
import type { VoltageClass } from '../../hal/interfaces/card-contacts.js';
import type { RigBoardFactory } from '../session/rig.js';
import { loadEsp32s3, prepareEsp32s3 } from '../reader/esp32s3-reader.js';

interface ProviderSocket {
  readonly classes: readonly VoltageClass[];
  readonly clock: { readonly hz: readonly number[] };
  readonly uart: unknown;
}

export async function esp32s3RigBoard(options: { interruptLatencyNs?: number } = {}): Promise<RigBoardFactory> {
  await prepareEsp32s3('esp32s3');
  return (card, narrow) => {
    const { board, firmware, providerSockets, sockets } = loadEsp32s3('esp32s3', { cards: [card], interruptLatencyNs: options.interruptLatencyNs });
    const provided = providerSockets[0] as ProviderSocket;
    const socket = {
      ...provided,
      classes: narrow.classes ?? provided.classes,
      // The sim board's default is 4 MHz alone, and the scenarios' rates assume it: so here too.
      clock: { ...provided.clock, hz: narrow.clocksHz ?? [4_000_000] },
    };
    const sessionScheduler = new firmware.drivers.Esp32Scheduler();
    const s = sockets[0];
    return {
      scheduler: board.scheduler,
      // card-uart.ts rounds deadlines up to whole etu (≤ 93 µs at Fd, 4 MHz); the alarm's interrupt and
      // the XS task's switch add their latencies (board defaults: 2 and 20 µs).
      lateDeadlineNs: 93_000 + 2 * board.chip.intc.latencyNs + board.chip.xsTask.latencyNs,
      // card-uart.c sends a T=0 character after deciding, 1.5 etu past the previous one's echo: two
      // interrupt latencies and the timer's 1 µs steps later than the guard time alone.
      lateCharacterNs: 2 * board.chip.intc.latencyNs + 2_000,
      sessionScheduler,
      line: s.line,
      contacts: firmware.drivers.cardContactsFor(socket, sessionScheduler),
      uart: firmware.drivers.cardUartFor(provided.uart),
      insert: (c) => s.insert(c),
      remove: () => s.remove(),
      fault: () => s.fault(),
    };
  };
}
