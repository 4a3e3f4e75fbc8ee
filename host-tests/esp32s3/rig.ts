/**
 * The card line of a virtual ESP32-S3 board driven directly, as host-tests/sim/helpers.ts drives the
 * sim board's: the device's own drivers (hal/moddable's CardContacts and CardUart, their C compiled
 * to WebAssembly) on the board's socket 0, a probe card whose character engine the test controls,
 * the contacts powered and RST high. Host-only (Node).
 */
import type { CardContacts } from '../../hal/interfaces/card-contacts.js';
import type { CardCharError, CardUart, CardUartOptions } from '../../hal/interfaces/card-uart.js';
import type { Trace } from '../../hal/interfaces/trace.js';
import type { Esp32s3Board, Esp32s3Socket } from '../../hal/sim/esp32s3/board.js';
import type { LineChange } from '../../hal/sim/line.js';
import { loadEsp32s3, prepareEsp32s3 } from '../reader/esp32s3-reader.js';
import { ProbeCard } from '../sim/helpers.js';

export interface LineRig {
  readonly board: Esp32s3Board;
  readonly socket: Esp32s3Socket;
  readonly card: ProbeCard;
  readonly contacts: CardContacts;
  /** What the drivers traced (DRIVER and ERROR lines). */
  readonly traced: string[];
  /** Open the card UART (T=0, 4 repetitions, direct convention unless `options` says otherwise). */
  openUart(options?: Partial<CardUartOptions>): UartProbe;
}

export interface UartProbe {
  readonly uart: CardUart;
  readonly bytes: number[];
  readonly errors: CardCharError[];
}

export interface LineRigOptions {
  interruptLatencyNs?: number;
  /** CLK, one of the board's (4 or 5 MHz). */
  clockHz?: number;
}

export async function lineRig(options: LineRigOptions = {}): Promise<LineRig> {
  await prepareEsp32s3('esp32s3');
  const card = new ProbeCard();
  const { board, firmware, providerSockets, sockets } = loadEsp32s3('esp32s3', { interruptLatencyNs: options.interruptLatencyNs, cards: [card] });
  const traced: string[] = [];
  const trace: Trace = { mask: 0x18, log: (_category, text) => void traced.push(text) };
  const scheduler = new firmware.drivers.Esp32Scheduler();
  const Contacts = firmware.drivers.cardContactsFor(providerSockets[0], scheduler);
  const Uart = firmware.drivers.cardUartFor((providerSockets[0] as { uart: unknown }).uart, trace);
  const contacts = new Contacts({});
  const clockHz = options.clockHz ?? contacts.capabilities.clocksHz[0];
  // Past the detect debounce, then the activation of ISO 7816-3 §6.2.2 (the TDA8035 sequences it).
  board.scheduler.advance(30_000_000);
  contacts.setSupply('A');
  contacts.setClock(clockHz);
  board.scheduler.advance(2_000_000);
  let probe: UartProbe | null = null;
  const rig: LineRig = {
    board, socket: sockets[0], card, contacts, traced,
    openUart(uartOptions = {}) {
      probe?.uart.close();
      const bytes: number[] = [];
      const errors: CardCharError[] = [];
      const uart: CardUart = new Uart({
        clockHz, F: 372, D: 1, convention: 'direct', N: 0, protocol: 0, repetitions: 4,
        onReadable() {
          for (let x = uart.read(); x !== undefined; x = uart.read()) bytes.push(x);
        },
        onError(e) {
          errors.push(e);
        },
        ...uartOptions,
      });
      probe = { uart, bytes, errors };
      return probe;
    },
  };
  rig.openUart();
  contacts.setReset(1);
  board.scheduler.advance(1_000_000);
  return rig;
}

/** The I/O level changes in [fromNs, toNs). */
export function ioEdges(record: readonly LineChange[], fromNs: number, toNs = Infinity): { t: number; v: number }[] {
  return record.filter((c) => c.signal === 'io' && c.timeNs >= fromNs && c.timeNs < toNs).map((c) => ({ t: c.timeNs, v: c.value }));
}
