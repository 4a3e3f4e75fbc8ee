import test from 'ava';
import { clockName, toVcd, vccName } from '../../hal/sim/vcd.js';
import type { LineChange } from '../../hal/sim/line.js';
import { ProbeCard, rig } from './helpers.js';

/** A small VCD reader: definitions and (time, name, value) changes. */
function parseVcd(text: string) {
  const [head, body] = text.split('$enddefinitions $end');
  const vars = new Map<string, { type: string; size: number; name: string }>();
  for (const m of head.matchAll(/\$var (\w+) (\d+) (\S+) (\S+) \$end/g)) vars.set(m[3], { type: m[1], size: Number(m[2]), name: m[4] });
  const changes: { time: number; name: string; value: string }[] = [];
  let time = -1;
  const times: number[] = [];
  for (const token of body.split('\n').map((l) => l.trim()).filter(Boolean)) {
    if (token.startsWith('#')) {
      time = Number(token.slice(1));
      times.push(time);
    } else if (/^[01xz]/.test(token)) {
      changes.push({ time, name: vars.get(token.slice(1))!.name, value: token[0] });
    } else if (!token.startsWith('$')) {
      throw new Error(`not a scalar value change: ${token}`);
    }
  }
  return { head, vars, changes, times };
}

test('IEEE 1364 §18 VCD: header, 1 ns timescale, only 1-bit wires, dumpvars at #0', (t) => {
  const text = toVcd([]);
  const { head, vars, changes } = parseVcd(text);
  t.regex(head, /\$timescale 1 ns \$end/);
  t.deepEqual([...vars.values()].map((v) => `${v.type}/${v.size}:${v.name}`), ['wire/1:VCC', 'wire/1:CLK_ON', 'wire/1:RST', 'wire/1:IO']);
  t.deepEqual(changes.map((c) => `${c.time}:${c.name}=${c.value}`), ['0:VCC=0', '0:CLK_ON=0', '0:RST=0', '0:IO=1']);
  t.false(text.includes('$date'));
});

test('VCD names: the unit letter for the decimal point (1V8, 3M5712)', (t) => {
  t.is(vccName(1.8), 'VCC_1V8');
  t.is(vccName(3), 'VCC_3V');
  t.is(vccName(5), 'VCC_5V');
  t.is(clockName(4_000_000), 'CLK_4M');
  t.is(clockName(3_571_200), 'CLK_3M5712');
  t.is(clockName(500_000), 'CLK_0M5');
});

/** What the record says, one entry per level change, derived from the record alone. */
function expectedChanges(record: readonly LineChange[]): string[] {
  let vcc = 0;
  let clk = 0;
  return record.flatMap((c: LineChange) => {
    const time = Math.round(c.timeNs);
    const out: string[] = [];
    if (c.signal === 'vcc' && c.value !== vcc) {
      if (vcc > 0) out.push(`${time}:${vccName(vcc)}=0`);
      if (c.value > 0) out.push(`${time}:${vccName(c.value)}=1`);
      if ((vcc > 0) !== (c.value > 0)) out.push(`${time}:VCC=${c.value > 0 ? 1 : 0}`);
      vcc = c.value;
    } else if (c.signal === 'clk' && c.value !== clk) {
      if (clk > 0) out.push(`${time}:${clockName(clk)}=0`);
      if (c.value > 0) out.push(`${time}:${clockName(c.value)}=1`);
      if ((clk > 0) !== (c.value > 0)) out.push(`${time}:CLK_ON=${c.value > 0 ? 1 : 0}`);
      clk = c.value;
    } else if (c.signal === 'rst' || c.signal === 'io') {
      out.push(`${time}:${c.signal.toUpperCase()}=${c.value}`);
    }
    return out;
  });
}

test('VCD of a recorded activation: timestamps increase and values match the record', (t) => {
  const card = new ProbeCard();
  const r = rig(card);
  card.io.send(0x3b);
  r.board.scheduler.runUntilIdle();
  const record = r.board.line.record;
  const { vars, changes, times } = parseVcd(toVcd(record, { endNs: r.board.scheduler.now() + 1000 }));
  for (let i = 1; i < times.length; i++) t.true(times[i] > times[i - 1]);
  const fromRecord = expectedChanges(record);
  t.deepEqual(changes.slice(vars.size).map((c) => `${c.time}:${c.name}=${c.value}`), fromRecord);
  t.true(fromRecord.includes(`${Math.round(record.find((c) => c.signal === 'vcc')!.timeNs)}:VCC_1V8=1`));
  t.true([...vars.values()].some((v) => v.name === 'CLK_4M'));
  t.is(fromRecord.filter((s) => s.includes(':IO=')).length, record.filter((c) => c.signal === 'io').length);
});

test('VCD: a class change and a clock change switch one wire off and the next on; a stop clears both', (t) => {
  const record: LineChange[] = [
    { timeNs: 100, signal: 'vcc', value: 1.8 },
    { timeNs: 200, signal: 'clk', value: 4e6 },
    { timeNs: 300, signal: 'vcc', value: 0 },
    { timeNs: 300, signal: 'clk', value: 0, clkLevel: 0 },
    { timeNs: 400, signal: 'vcc', value: 5 },
    { timeNs: 500, signal: 'clk', value: 4e6 },
    { timeNs: 600, signal: 'clk', value: 8e6 },
  ];
  const { vars, changes } = parseVcd(toVcd(record));
  t.deepEqual([...vars.values()].map((v) => v.name), ['VCC', 'VCC_1V8', 'VCC_5V', 'CLK_ON', 'CLK_4M', 'CLK_8M', 'RST', 'IO']);
  t.deepEqual(changes.slice(vars.size).map((c) => `${c.time}:${c.name}=${c.value}`), [
    '100:VCC_1V8=1', '100:VCC=1', '200:CLK_4M=1', '200:CLK_ON=1',
    '300:VCC_1V8=0', '300:VCC=0', '300:CLK_4M=0', '300:CLK_ON=0',
    '400:VCC_5V=1', '400:VCC=1', '500:CLK_4M=1', '500:CLK_ON=1', '600:CLK_4M=0', '600:CLK_8M=1',
  ]);
});

test('VCD: fractional and out-of-order times never make timestamps go backwards', (t) => {
  const record: LineChange[] = [
    { timeNs: 10.4, signal: 'io', value: 0 },
    { timeNs: 10.2, signal: 'io', value: 1 },
    { timeNs: 20.6, signal: 'rst', value: 1 },
  ];
  const { vars, times, changes } = parseVcd(toVcd(record, { date: 'test', version: 'v', scope: 'my card' }));
  t.deepEqual(times, [0, 10, 21]);
  t.deepEqual(changes.slice(vars.size).map((c) => `${c.time}:${c.name}=${c.value}`), ['10:IO=0', '10:IO=1', '21:RST=1']);
});
