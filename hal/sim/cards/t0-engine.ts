/**
 * The card side of T=0 (ISO 7816-3 §10): receive the 5-byte header CLA INS P1 P2 P3, answer with
 * procedure bytes — INS (all remaining data), INS ⊕ FF (one byte), NULL 0x60 (more time) — and end
 * with SW1 SW2. What a command means is the application's business (T0Application); the engine
 * only moves bytes and keeps the procedure-byte rules.
 */
import type { CardIo } from '../card.js';

/** What the card does next for a command. */
export type T0Step =
  /** End the command with SW1 SW2. */
  | { readonly status: number }
  /** Send data to the reader after a procedure byte, then SW1 SW2. */
  | { readonly send: Uint8Array; readonly status: number }
  /** Ask the reader for `receive` data bytes, then continue with what `then` says. */
  | { readonly receive: number; then(data: Uint8Array): T0Step }
  /** Work for `work` etu, sending NULL bytes so the reader's work waiting time does not expire. */
  | { readonly work: number; then(): T0Step };

export interface T0Application {
  /** A command header arrived (§10.3.2). P3 = 0 means 256 for outgoing data; the application decides. */
  command(header: Uint8Array): T0Step;
}

export interface T0EngineOptions {
  /** WI from TC2 (default 10): NULL bytes go out every WT / 2. */
  wi?: number;
  /** Move data one byte per INS ⊕ FF procedure byte instead of all after one INS. */
  byteByByte?: boolean;
}

const NULL_BYTE = 0x60;
const SW_INS_INVALID = 0x6d00;

export class T0CardEngine {
  readonly #app: T0Application;
  readonly #options: T0EngineOptions;
  #io: CardIo | null = null;
  #header: number[] = [];
  #ins = 0;
  /** The data of the step being received: its first #incomingLength bytes (the buffer grows and is kept). */
  #incoming = new Uint8Array(256);
  #incomingLength = 0;
  #expected = 0;
  #then: ((data: Uint8Array) => T0Step) | null = null;
  #busy = false;

  constructor(app: T0Application, options: T0EngineOptions = {}) {
    this.#app = app;
    this.#options = options;
  }

  /** Start (or restart after a reset) on this CardIo, waiting for a header. */
  start(io: CardIo): void {
    this.#io = io;
    this.#header = [];
    this.#incomingLength = 0;
    this.#then = null;
    this.#busy = false;
  }

  /**
   * SimCard.absorbable: the header's characters before its last, the data before the last of an
   * INS step (one at a time after INS ⊕ FF, each of which answers): taken without a reaction.
   */
  absorbable(): number {
    if (!this.#io || this.#busy) return 0;
    if (this.#then) return this.#options.byteByByte ? 0 : Math.max(0, this.#expected - this.#incomingLength - 1);
    return 4 - this.#header.length;
  }

  receive(byte: number): void {
    if (!this.#io || this.#busy) return; // the reader must not send while the card works
    if (this.#then) {
      if (this.#incomingLength === this.#incoming.length) {
        const grown = new Uint8Array(2 * this.#incoming.length);
        grown.set(this.#incoming);
        this.#incoming = grown;
      }
      this.#incoming[this.#incomingLength++] = byte;
      if (this.#incomingLength === this.#expected) {
        const then = this.#then;
        this.#then = null;
        this.#run(then(this.#incoming.slice(0, this.#incomingLength)));
      } else if (this.#options.byteByByte) {
        this.#io.send(this.#ins ^ 0xff);
      }
      return;
    }
    this.#header.push(byte);
    if (this.#header.length < 5) return;
    const header = Uint8Array.from(this.#header);
    this.#header = [];
    this.#ins = header[1];
    // §10.3.2: INS values 6X and 9X are not instructions (they would read as procedure bytes).
    const kind = this.#ins & 0xf0;
    this.#run(kind === 0x60 || kind === 0x90 ? { status: SW_INS_INVALID } : this.#app.command(header));
  }

  #run(step: T0Step): void {
    const io = this.#io;
    if (!io) return;
    if ('work' in step) {
      this.#busy = true;
      this.#work(step.work, step.then);
      return;
    }
    this.#busy = false;
    if ('receive' in step) {
      if (step.receive <= 0) {
        this.#run(step.then(new Uint8Array(0)));
        return;
      }
      this.#incomingLength = 0;
      this.#expected = step.receive;
      this.#then = (data) => step.then(data);
      io.send(this.#options.byteByByte ? this.#ins ^ 0xff : this.#ins);
      return;
    }
    if ('send' in step && step.send.length > 0 && !this.#options.byteByByte && io.sendBytes) {
      // INS, then all the data at once (§10.3.3).
      io.send(this.#ins);
      io.sendBytes(step.send);
    } else if ('send' in step && step.send.length > 0) {
      if (!this.#options.byteByByte) io.send(this.#ins);
      for (const byte of step.send) {
        if (this.#options.byteByByte) io.send(this.#ins ^ 0xff);
        io.send(byte);
      }
    }
    io.send((step.status >> 8) & 0xff);
    io.send(step.status & 0xff);
  }

  #work(etu: number, then: () => T0Step): void {
    const io = this.#io!;
    // WT = WI · 960 · Fi / f is WI · 960 · D etu at the card's rate: a NULL every half of it.
    const interval = (this.#options.wi ?? 10) * 480 * io.D;
    if (etu <= interval) {
      io.after(Math.max(0, etu), () => this.#run(then()));
      return;
    }
    io.after(interval, () => {
      io.send(NULL_BYTE);
      this.#work(etu - interval, then);
    });
  }
}
