/** Shared test fixtures for the simulated board: a probe card and activation shortcuts. */
import type { CardIo, CardSendOptions, SimCard } from '../../hal/sim/card.js';
import { VirtualScheduler } from '../../hal/sim/scheduler.js';
import type { CardUart, CardUartOptions, CardCharError } from '../../hal/interfaces/card-uart.js';
import type { CardContacts } from '../../hal/interfaces/card-contacts.js';
import { createSimBoard, type SimBoard, type SimBoardOptions } from '../../hal/sim/board.js';

/** A card that only records what happens to it; tests drive its CardIo directly. */
export class ProbeCard implements SimCard {
  readonly name = 'probe';
  readonly description = 'test probe';
  io!: CardIo;
  readonly received: { byte: number; parityOk: boolean; timeNs: number }[] = [];
  readonly calls: string[] = [];
  attach(io: CardIo): void {
    this.io = io;
    this.calls.push('attach');
  }
  power(v: string | null): void {
    this.calls.push(`power:${v}`);
  }
  reset(kind: 'cold' | 'warm'): void {
    this.calls.push(`reset:${kind}`);
  }
  resetAsserted(): void {
    this.calls.push('resetAsserted');
  }
  receive(byte: number, parityOk: boolean): void {
    this.received.push({ byte, parityOk, timeNs: this.io.scheduler.now() });
  }
  detach(): void {
    this.calls.push('detach');
  }
}

export interface Rig {
  board: SimBoard;
  contacts: CardContacts;
  uart: CardUart;
  bytes: number[];
  errors: CardCharError[];
}

/** Board with `card` inserted, powered at class C, CLK at the board's first clock, RST high, UART open. */
export function rig(card: SimCard, uart: Partial<CardUartOptions> = {}, board: SimBoardOptions = {}): Rig {
  const b = createSimBoard({ card, ...board });
  const contacts = new b.contacts({});
  b.scheduler.advance(20_000_000);
  contacts.setSupply('C');
  contacts.setClock(b.socket.capabilities.clocksHz[0]);
  b.scheduler.advance(1_000_000);
  const bytes: number[] = [];
  const errors: CardCharError[] = [];
  const u = openUart(b, bytes, errors, uart);
  contacts.setReset(1);
  b.scheduler.advance(1_000);
  return { board: b, contacts, uart: u, bytes, errors };
}

export function openUart(b: SimBoard, bytes: number[], errors: CardCharError[], uart: Partial<CardUartOptions> = {}): CardUart {
  const u: CardUart = new b.uart({
    clockHz: b.socket.capabilities.clocksHz[0], F: 372, D: 1, convention: 'direct', N: 0, protocol: 0, repetitions: 3,
    onReadable() {
      for (let x = u.read(); x !== undefined; x = u.read()) bytes.push(x);
    },
    onError(e) {
      errors.push(e);
    },
    ...uart,
  });
  return u;
}

/** Etu in ns at the default rate and 4 MHz. */
export const ETU = (372 * 1e9) / 4_000_000;

export function ioEdges(board: SimBoard, fromNs = 0): { t: number; v: number }[] {
  return board.line.record.filter((c) => c.signal === 'io' && c.timeNs >= fromNs).map((c) => ({ t: c.timeNs, v: c.value }));
}

export function close(a: number, b: number, eps = 1e-6): boolean {
  return Math.abs(a - b) <= eps * Math.max(1, Math.abs(a), Math.abs(b));
}

/** Write bytes from the reader and run until the line is quiet; returns the bytes received meanwhile. */
export function exchange(r: Rig, bytes: ArrayLike<number>, limitNs = Infinity): number[] {
  r.bytes.length = 0;
  for (let i = 0; i < bytes.length; i++) r.uart.write(bytes[i]);
  r.board.scheduler.runUntilIdle(limitNs === Infinity ? Infinity : r.board.scheduler.now() + limitNs);
  return [...r.bytes];
}

/** Bytes to hex, for readable assertions. */
export function hx(bytes: ArrayLike<number>): string {
  return Array.from(bytes, (b) => (b < 16 ? '0' : '') + b.toString(16).toUpperCase()).join('');
}

/** A CardIo without a line: sends are recorded with their time, timers run on a virtual clock (1 etu = 1 µs). */
export class FakeIo implements CardIo {
  readonly scheduler = new VirtualScheduler();
  readonly clockHz = 4_000_000;
  readonly voltage = 'A' as const;
  F = 372;
  D = 1;
  convention = 'direct' as const;
  readonly sent: { byte: number; t: number; options?: CardSendOptions }[] = [];
  setRate(F: number, D: number) {
    this.F = F;
    this.D = D;
  }
  setConvention() {}
  setProtocol() {}
  send(byte: number, options?: CardSendOptions) {
    this.sent.push({ byte, t: this.scheduler.now(), options });
  }
  after(etu: number, cb: () => void) {
    return this.scheduler.at(this.scheduler.now() + etu * 1000, cb);
  }
  afterCycles(cycles: number, cb: () => void) {
    return this.scheduler.at(this.scheduler.now() + cycles * 250, cb);
  }
  cancel(h: number) {
    this.scheduler.cancel(h);
  }
  silence() {}
  take(): string {
    this.scheduler.runUntilIdle();
    const s = hx(this.sent.map((x) => x.byte));
    this.sent.length = 0;
    return s;
  }
}
