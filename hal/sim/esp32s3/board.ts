/**
 * A virtual ESP32-S3 reader board: the chip (chip.ts) and, per card socket, a TDA8035-class
 * interface chip between its pads and a simulated socket and card line (tda8035.ts), all in one
 * virtual time. The pins come from the board's provider (the sockets of
 * boards/esp32s3-devkitc…/host/provider.js), which the host composition evaluates with this chip's
 * IO classes before it wires the board. Each socket has the sim board's test backdoor: insert,
 * remove, fault, the line record.
 */
import type { VoltageClass } from '../../interfaces/card-contacts.js';
import type { Trace } from '../../interfaces/trace.js';
import { silentTrace } from '../../common/trace.js';
import type { SimCard } from '../card.js';
import { SimSocket } from '../contacts.js';
import { SimLine } from '../line.js';
import { VirtualScheduler } from '../scheduler.js';
import { Esp32s3, type Esp32s3Options } from './chip.js';
import { InterfaceChip, type InterfaceChipPins } from './tda8035.js';

export interface Esp32s3BoardOptions extends Esp32s3Options {
  /** Whether the line record keeps I/O edges (default true; false for long untraced runs). */
  recordIo?: boolean;
  /** Whether the lines keep a record and character events at all (default true; `serve` keeps nothing). */
  recording?: boolean;
  trace?: Trace;
}

/** One card socket of the board and its backdoor. */
export class Esp32s3Socket {
  readonly line: SimLine;
  readonly socket: SimSocket;
  readonly interfaceChip: InterfaceChip;

  constructor(chip: Esp32s3, pins: InterfaceChipPins, options: Esp32s3BoardOptions) {
    this.line = new SimLine(chip.scheduler, { recordIo: options.recordIo, recording: options.recording });
    // The socket's own debounce is unused: the firmware debounces the detect pad (card-contacts.ts).
    this.socket = new SimSocket(this.line, Object.freeze({
      classes: Object.freeze(['C', 'B', 'A'] as VoltageClass[]),
      clocksHz: Object.freeze([4_000_000, 5_000_000]),
      clockStop: true,
    }), 0, options.trace ?? silentTrace);
    this.interfaceChip = new InterfaceChip(chip.scheduler, chip.gpio, this.socket, pins);
  }

  get card(): SimCard | null {
    return this.socket.card;
  }

  /** The backdoor under the name the sim board's sockets give it (`reader.board.sockets[k].sim`). */
  get sim(): this {
    return this;
  }

  insert(card: SimCard): void {
    this.socket.insert(card);
    this.interfaceChip.presenceChanged();
  }

  remove(): void {
    this.socket.remove();
    this.interfaceChip.presenceChanged();
  }

  /** A supply fault in the interface chip (overcurrent): it deactivates and reports on OFFN. */
  fault(): void {
    this.interfaceChip.fault();
  }
}

export class Esp32s3Board {
  readonly scheduler = new VirtualScheduler();
  readonly chip: Esp32s3;
  readonly #options: Esp32s3BoardOptions;
  #sockets: readonly Esp32s3Socket[] = [];

  constructor(options: Esp32s3BoardOptions = {}) {
    this.#options = options;
    this.chip = new Esp32s3(this.scheduler, options);
  }

  /** Wire an interface chip and a socket to the pads of each of the provider's sockets, in slot order. */
  wire(sockets: readonly InterfaceChipPins[]): readonly Esp32s3Socket[] {
    if (this.#sockets.length > 0) throw new Error('the board is wired already');
    this.#sockets = Object.freeze(sockets.map((pins) => new Esp32s3Socket(this.chip, pins, this.#options)));
    return this.#sockets;
  }

  get sockets(): readonly Esp32s3Socket[] {
    return this.#sockets;
  }
}
