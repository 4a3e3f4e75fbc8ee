/**
 * Simulator cost bench: how much host CPU the simulated line costs per microsecond of virtual time,
 * and how many scheduler events it schedules per character on the line, for ~4 KB through the whole
 * reader stack (session → protocol → simulated UART ↔ line ↔ card):
 * - t0: the `t0-fs` card at Fd/Dd (T=0), 8 ECHO APDUs of 255 bytes (case 4: data out, GET RESPONSE in);
 * - t1: the `t1` card at the rate PPS negotiates (Fi 372, Di 4), one 4096-byte extended ECHO APDU;
 * - line: the line alone, 4096 characters from the reader's UART to a card that only counts them
 *   (T=1 character mode at Di 4), so the firmware's and the card's own costs do not hide the line's.
 *
 * cpuNsPerVirtualUs: process CPU time (user + system) over virtual time, for the exchange alone; the
 * median of several rounds, as the machine is shared.
 * eventsPerChar: scheduler `at()` calls during the exchange over the characters the line carried.
 *
 * `npx tsx host-tests/bench/sim-bench.ts` prints the table.
 */
import { createSimBoard } from '../../hal/sim/board.js';
import type { CardIo, SimCard } from '../../hal/sim/card.js';
import { findCard } from '../../hal/sim/cards/registry.js';
import { createCardSlot } from '../../firmware/iso7816/session/session.js';
import type { PowerOnResult, TransmitResult } from '../../hal/interfaces/slot.js';
import { echoApdu as echo } from '../sim/echo-apdu.js';

export interface SimBenchRow {
  name: string;
  cpuNsPerVirtualUs: number;
  eventsPerChar: number;
}

function cpuNs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) * 1000;
}

async function run(name: string, card: string, apdus: Uint8Array[], protocol: 0 | 1, rounds: number): Promise<SimBenchRow> {
  const costs: number[] = [];
  let events = 0;
  let chars = 0;
  for (let round = 0; round < rounds; round++) {
    const board = createSimBoard({ card: findCard(card)!.create(1) });
    const scheduler = board.scheduler;
    const slot = createCardSlot({ contacts: board.contacts, uart: board.uart, scheduler });
    const until = <T>(get: () => T | null): T => {
      let value = get();
      while (value === null) {
        const next = scheduler.nextTime;
        if (next === undefined) throw new Error(`${name}: the simulation went idle`);
        scheduler.runUntil(next);
        value = get();
      }
      return value;
    };
    scheduler.runUntil(20e6);
    let power: PowerOnResult | null = null;
    slot.powerOn('auto', (r) => (power = r));
    const p = until(() => power);
    if (p.error !== null || slot.attributes.protocol !== protocol) throw new Error(`${name}: power-on failed (${p.error})`);
    scheduler.runUntil(scheduler.now() + 1e6);
    // Count scheduled events by wrapping this board's scheduler instance (not its class).
    let scheduled = 0;
    const at = scheduler.at.bind(scheduler);
    scheduler.at = (time, callback) => {
      scheduled++;
      return at(time, callback);
    };
    const firstChar = board.line.events.length;
    const startNs = scheduler.now();
    const startCpu = cpuNs();
    for (const apdu of apdus) {
      let result: TransmitResult | null = null;
      slot.transmitApdu(apdu, (x) => (result = x));
      const res = until(() => result);
      if (res.error !== null || res.response === null) throw new Error(`${name}: exchange failed (${res.error})`);
    }
    costs.push((cpuNs() - startCpu) / ((scheduler.now() - startNs) / 1000));
    events += scheduled;
    chars += board.line.events.length - firstChar;
  }
  return {
    name,
    cpuNsPerVirtualUs: Math.round(costs.sort((a, b) => a - b)[costs.length >> 1] * 10) / 10,
    eventsPerChar: Math.round((events / chars) * 100) / 100,
  };
}

/** A card that only counts what it receives. */
class SinkCard implements SimCard {
  readonly name = 'sink';
  readonly description = 'counts characters';
  received = 0;
  io!: CardIo;
  attach(io: CardIo): void {
    this.io = io;
  }
  power(): void {}
  reset(): void {}
  resetAsserted(): void {}
  receive(): void {
    this.received++;
  }
  detach(): void {}
}

async function runLine(name: string, chars: number, rounds: number): Promise<SimBenchRow> {
  const costs: number[] = [];
  let events = 0;
  let sent = 0;
  for (let round = 0; round < rounds; round++) {
    const card = new SinkCard();
    const board = createSimBoard({ card });
    const scheduler = board.scheduler;
    const contacts = new board.contacts({});
    scheduler.advance(20e6);
    contacts.setSupply('C');
    contacts.setClock(4e6);
    scheduler.advance(1e6);
    contacts.setReset(1);
    scheduler.advance(1e6);
    card.io.setRate(372, 4);
    card.io.setProtocol(1);
    let written = 0;
    const uart = new board.uart({
      clockHz: 4e6, F: 372, D: 4, convention: 'direct', N: 0, protocol: 1, repetitions: 0,
      onWritable(n) {
        for (let i = 0; i < n && written < chars; i++, written++) uart.write(written & 0xff);
      },
    });
    let scheduled = 0;
    const at = scheduler.at.bind(scheduler);
    scheduler.at = (time, callback) => {
      scheduled++;
      return at(time, callback);
    };
    const firstChar = board.line.events.length;
    const startNs = scheduler.now();
    const startCpu = cpuNs();
    scheduler.runUntilIdle();
    costs.push((cpuNs() - startCpu) / ((scheduler.now() - startNs) / 1000));
    if (card.received !== chars) throw new Error(`${name}: ${card.received} of ${chars} characters arrived`);
    events += scheduled;
    sent += board.line.events.length - firstChar;
  }
  return {
    name,
    cpuNsPerVirtualUs: Math.round(costs.sort((a, b) => a - b)[costs.length >> 1] * 10) / 10,
    eventsPerChar: Math.round((events / sent) * 100) / 100,
  };
}

export async function benchSim(): Promise<SimBenchRow[]> {
  const t0 = Array.from({ length: 8 }, () => echo(255));
  const t1 = [echo(4096)];
  // A warm-up round each, so the JIT has compiled the hot paths before anything is measured.
  await run('warm-up', 't0-fs', t0, 0, 1);
  await run('warm-up', 't1', t1, 1, 1);
  await runLine('warm-up', 4096, 1);
  return [
    await run('t0-fs 8 × ECHO 255 (Fd/Dd)', 't0-fs', t0, 0, 9),
    await run('t1 ECHO 4096 (Di 4)', 't1', t1, 1, 9),
    await runLine('line only: 4096 chars (Di 4)', 4096, 9),
  ];
}

const invokedDirectly = typeof process !== 'undefined' && process.argv[1] !== undefined && /sim-bench\.ts$/.test(process.argv[1]);
if (invokedDirectly) {
  benchSim().then((rows) => {
    console.log('exchange                       CPU ns / virtual µs   events / char');
    for (const row of rows) {
      console.log(`${row.name.padEnd(30)} ${row.cpuNsPerVirtualUs.toFixed(1).padStart(20)} ${row.eventsPerChar.toFixed(2).padStart(15)}`);
    }
  });
}
