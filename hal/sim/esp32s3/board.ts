/**
 * A virtual ESP32-S3 reader board: the chip (chip.ts) with a TDA8035-class interface chip between
 * its pads and the simulated socket and card line (tda8035.ts), in one virtual time. The pins come
 * from the board's provider (boards/esp32s3-devkitc/host/provider.js `pin`), which the host
 * composition evaluates with this chip's IO classes. The test backdoor is the sim board's: insert,
 * remove, fault, the line record.
 */
import type { VoltageClass } from '../../interfaces/card-contacts.js';
import type { Trace } from '../../interfaces/trace.js';
import { silentTrace } from '../../interfaces/trace.js';
import type { SimCard } from '../card.js';
import { SimSocket } from '../contacts.js';
import { SimLine } from '../line.js';
import { VirtualScheduler } from '../scheduler.js';
import { Esp32s3, type Esp32s3Options } from './chip.js';
import { InterfaceChip, type InterfaceChipPins } from './tda8035.js';

export interface Esp32s3BoardOptions extends Esp32s3Options {
  /** Whether the line record keeps I/O edges (default true; false for long untraced runs). */
  recordIo?: boolean;
  trace?: Trace;
}

/** The parts of the board that exist before the firmware's provider is evaluated. */
export class Esp32s3Board {
  readonly scheduler = new VirtualScheduler();
  readonly line: SimLine;
  readonly socket: SimSocket;
  readonly chip: Esp32s3;
  #interface: InterfaceChip | null = null;

  constructor(options: Esp32s3BoardOptions = {}) {
    this.line = new SimLine(this.scheduler, { recordIo: options.recordIo });
    this.socket = new SimSocket(this.line, Object.freeze({
      classes: Object.freeze(['C', 'B', 'A'] as VoltageClass[]),
      clocksHz: Object.freeze([4_000_000, 5_000_000]),
      clockStop: true,
    }), 0, options.trace ?? silentTrace);
    this.chip = new Esp32s3(this.scheduler, options);
  }

  /** Wire the interface chip to the pads the provider names. */
  wire(pins: InterfaceChipPins): InterfaceChip {
    if (this.#interface) throw new Error('the board is wired already');
    this.#interface = new InterfaceChip(this.scheduler, this.chip.gpio, this.socket, pins);
    return this.#interface;
  }

  get interfaceChip(): InterfaceChip {
    if (!this.#interface) throw new Error('the board is not wired');
    return this.#interface;
  }

  get card(): SimCard | null {
    return this.socket.card;
  }

  insert(card: SimCard): void {
    this.socket.insert(card);
    this.#interface?.presenceChanged();
  }

  remove(): void {
    this.socket.remove();
    this.#interface?.presenceChanged();
  }

  /** A supply fault in the interface chip (overcurrent): it deactivates and reports on OFFN. */
  fault(): void {
    this.#interface?.fault();
  }
}
