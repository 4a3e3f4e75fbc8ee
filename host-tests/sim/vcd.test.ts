import test from 'ava';
import { toVcd } from '../../hal/sim/vcd.js';
import type { LineChange } from '../../hal/sim/line.js';
import { ProbeCard, rig } from './helpers.js';

/** A small VCD reader: definitions and (time, id, value) changes. */
function parseVcd(text: string) {
  const [head, body] = text.split('$enddefinitions $end');
  const vars = new Map<string, { type: string; name: string }>();
  for (const m of head.matchAll(/\$var (\w+) (\d+) (\S+) (\S+) \$end/g)) vars.set(m[3], { type: m[1], name: m[4] });
  const changes: { time: number; name: string; value: string }[] = [];
  let time = -1;
  const times: number[] = [];
  for (const token of body.split('\n').map((l) => l.trim()).filter(Boolean)) {
    if (token.startsWith('#')) {
      time = Number(token.slice(1));
      times.push(time);
    } else if (token.startsWith('r')) {
      const [v, id] = token.slice(1).split(' ');
      changes.push({ time, name: vars.get(id)!.name, value: v });
    } else if (/^[01xz]/.test(token)) {
      changes.push({ time, name: vars.get(token.slice(1))!.name, value: token[0] });
    }
  }
  return { head, vars, changes, times };
}

test('IEEE 1364 §18 VCD: header, 1 ns timescale, declared signals, dumpvars at #0', (t) => {
  const text = toVcd([]);
  const { head, vars, changes } = parseVcd(text);
  t.regex(head, /\$timescale 1 ns \$end/);
  t.deepEqual([...vars.values()].map((v) => `${v.type}:${v.name}`), ['real:VCC', 'real:CLK_HZ', 'wire:CLK_ON', 'wire:RST', 'wire:IO']);
  t.deepEqual(changes.map((c) => `${c.time}:${c.name}=${c.value}`), ['0:VCC=0', '0:CLK_HZ=0', '0:CLK_ON=0', '0:RST=0', '0:IO=1']);
  t.false(text.includes('$date'));
});

test('VCD of a recorded activation: timestamps increase and values match the record', (t) => {
  const card = new ProbeCard();
  const r = rig(card);
  card.io.send(0x3b);
  r.board.scheduler.runUntilIdle();
  const record = r.board.line.record;
  const { changes, times } = parseVcd(toVcd(record, { endNs: r.board.scheduler.now() + 1000 }));
  for (let i = 1; i < times.length; i++) t.true(times[i] > times[i - 1]);
  const fromRecord = record.flatMap((c: LineChange) => {
    const time = Math.round(c.timeNs);
    if (c.signal === 'vcc') return [`${time}:VCC=${c.value}`];
    if (c.signal === 'clk') return [`${time}:CLK_HZ=${c.value}`, `${time}:CLK_ON=${c.value > 0 ? 1 : 0}`];
    return [`${time}:${c.signal.toUpperCase()}=${c.value}`];
  });
  t.deepEqual(changes.slice(5).map((c) => `${c.time}:${c.name}=${c.value}`), fromRecord);
  t.true(fromRecord.includes(`${Math.round(record.find((c) => c.signal === 'vcc')!.timeNs)}:VCC=1.8`));
  t.is(fromRecord.filter((s) => s.includes(':IO=')).length, record.filter((c) => c.signal === 'io').length);
});

test('VCD: fractional and out-of-order times never make timestamps go backwards', (t) => {
  const record: LineChange[] = [
    { timeNs: 10.4, signal: 'io', value: 0 },
    { timeNs: 10.2, signal: 'io', value: 1 },
    { timeNs: 20.6, signal: 'rst', value: 1 },
  ];
  const { times, changes } = parseVcd(toVcd(record, { date: 'test', version: 'v', scope: 'my card' }));
  t.deepEqual(times, [0, 10, 21]);
  t.deepEqual(changes.slice(5).map((c) => `${c.time}:${c.name}=${c.value}`), ['10:IO=0', '10:IO=1', '21:RST=1']);
});
