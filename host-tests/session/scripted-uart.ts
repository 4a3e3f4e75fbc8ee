/**
 * A CardUart double for testing a transport alone: the test plays the card byte by byte and sees
 * every byte the reader sends, with its virtual time, and every deadline armed. The block level
 * (T=1 blocks, T=0 TPDUs) is the simulated board's own (hal/sim/block-transfer.ts), so the card's
 * bytes are framed and its procedure bytes obeyed exactly as on the simulated line, minus the line:
 * the reader's characters are out at once, callbacks are the test's to forward.
 */
import type { BlockEdc, BlockEnd, CardUart, Convention } from '../../hal/interfaces/card-uart.js';
import { BlockTransfer } from '../../hal/sim/block-transfer.js';
import type { Scheduler } from '../../hal/interfaces/scheduler.js';

export class ScriptedUart implements CardUart {
  readonly writes: { time: number; byte: number }[] = [];
  readonly deadlines: [number, number][] = [];
  /** Transfers handed over: T=1 blocks (`addEdc`) or T=0 TPDUs. */
  readonly transfers: { kind: 'block' | 'tpdu'; length: number; addEdc: boolean }[] = [];
  readonly convention: Convention = 'direct';
  /** Card bytes outside any transfer (byte level). */
  rx: number[] = [];
  writable = 300;
  /** T=0 NULL from the card (CardUartOptions.onWaiting). */
  onWaiting: () => void = () => {};
  readonly #scheduler: Scheduler;
  readonly #transfer: BlockTransfer;

  constructor(scheduler: Scheduler, edc: BlockEdc = 'lrc') {
    this.#scheduler = scheduler;
    this.#transfer = new BlockTransfer({
      send: (byte) => this.write(byte),
      sending: false,
      deadlines: (first, next) => this.setDeadlines(first, next),
      ended: () => {},
      waiting: () => this.onWaiting(),
    }, edc);
  }

  read(): number | undefined {
    return this.rx.shift();
  }
  write(byte: number): void {
    if (this.writable <= 0) throw new Error('ScriptedUart: transmit buffer full');
    this.writes.push({ time: this.#scheduler.now(), byte });
  }
  setDeadlines(first: number, next: number): void {
    this.deadlines.push([first, next]);
  }
  writeBlock(block: Uint8Array, length: number, addEdc: boolean, waitEtu: number, characterEtu: number): void {
    this.transfers.push({ kind: 'block', length, addEdc });
    this.#transfer.writeBlock(block, length, addEdc, waitEtu, characterEtu);
  }
  writeTpdu(command: Uint8Array, length: number, expected: number, waitEtu: number): void {
    this.transfers.push({ kind: 'tpdu', length, addEdc: false });
    this.#transfer.writeTpdu(command, length, expected, waitEtu);
  }
  readBlock(into: Uint8Array, offset: number): number {
    return this.#transfer.readBlock(into, offset);
  }
  get blockEnd(): BlockEnd {
    return this.#transfer.end;
  }
  flush(): void {
    this.rx.length = 0;
    this.#transfer.abandon();
  }
  close(): void {}

  /** The card sends these bytes: each goes to the transfer in progress, or to `rx`. */
  card(bytes: Iterable<number>): void {
    for (const byte of bytes) if (!this.#transfer.receive(byte)) this.rx.push(byte);
  }
  /** A character error or deadline, as the UART would report it before calling onError. */
  interrupted(timeout: boolean): void {
    this.#transfer.interrupted(timeout);
  }
  /** Bytes written since `from`. */
  sentSince(from = 0): number[] {
    return this.writes.slice(from).map((w) => w.byte);
  }
}
