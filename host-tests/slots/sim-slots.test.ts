/**
 * `ccid-reader sim --slots N` (the options common to sim and serve): every slot runs its session at
 * the same time through one reader; the options; the JSON form (slot 0's object, plus "slots").
 */
import test from 'ava';
import { parseSimArgs } from '../cli/sim-args.js';
import { runSlotsSession } from '../cli/sim-slots.js';
import { runCli } from '../cli/run-cli.js';
import { findCard } from '../../hal/sim/cards/registry.js';
import { luhnValid, swappedDigits } from '../sim/usim-rig.js';

const apdu = (hex: string) => ({ apdu: Uint8Array.from(Buffer.from(hex, 'hex')), label: null });

test('sim --slots: 1–8, --card repeated up to the slot count; one slot keeps "--card given twice"', (t) => {
  t.like(parseSimArgs(['--slots', '3', '--card', 'usim', '--card', 't1']), { slots: 3, cards: ['usim', 't1'], card: 'usim' });
  t.like(parseSimArgs([]), { slots: 1, cards: [], card: null });
  t.deepEqual(parseSimArgs(['--card', 'usim', '--card', 't1']), { error: '--card given twice (--slots N for a card per slot)' });
  t.deepEqual(parseSimArgs(['--slots', '2', '--card', 'a', '--card', 'b', '--card', 'c']), { error: '3 cards for 2 slots' });
  for (const bad of ['0', '9', 'x', '2.5']) t.true('error' in parseSimArgs(['--slots', bad]), bad);
});

test('CCID §5.1 bMaxCCIDBusySlots through the host driver: three slots power on and exchange at the same time, each with its own card', (t) => {
  const cards = [findCard('usim')!.create(1), findCard('t1')!.create(2), findCard('usim')!.create(3)];
  const apdus = [apdu('00A4000C022FE2'), apdu('00B000000A')];
  const result = runSlotsSession({ cards, seed: 1, apdus: [apdus, [apdu('0084000008'), apdu('0084000008')], apdus] });
  t.deepEqual(result.reports.map((r) => [r.card, r.protocol, r.powerOnError]), [['usim', 0, null], ['t1', 1, null], ['usim', 0, null]]);
  t.deepEqual(result.reports.map((r) => r.exchanges.map((x) => x.error)), [[null, null], [null, null], [null, null]]);
  const iccids = [0, 2].map((slot) => swappedDigits(Buffer.from(result.reports[slot].exchanges[1].response!.subarray(0, 10)).toString('hex').toUpperCase()));
  t.not(iccids[0], iccids[1], 'two usim cards, two ICCIDs');
  for (const iccid of iccids) t.true(luhnValid(iccid), iccid);
  t.true(result.reports[1].exchanges.every((x) => x.response!.length === 10), 'T=1 GET CHALLENGE: 8 bytes and 90 00');
  // The slots worked at the same time: every slot's first exchange started before any slot's last one ended.
  const firstStarts = result.reports.map((r) => r.exchanges[0].startNs);
  const lastEnds = result.reports.map((r) => r.exchanges[r.exchanges.length - 1].endNs);
  t.true(Math.max(...firstStarts) < Math.min(...lastEnds), `starts ${firstStarts}, ends ${lastEnds}`);
  const powerOns = result.events.filter((e) => e.kind === 'power-on');
  t.is(new Set(powerOns.map((e) => e.startNs)).size, 1, 'every IccPowerOn sent at once');
});

test('sim --slots 2 --json: slot 0\'s object with "slots" added, one object per slot in slot order', async (t) => {
  const r = await runCli(['sim', '--slots', '2', '--card', 'usim', '--card', 't1', '--json', '--apdu', '00A4000C023F00']);
  t.is(r.code, 0, r.stderr);
  const json = JSON.parse(r.stdout) as Record<string, unknown> & { slots: Record<string, unknown>[] };
  t.deepEqual(Object.keys(json), ['card', 'atr', 'protocol', 'fi', 'di', 'clockHz', 'exchanges', 'script', 'slots']);
  const { slots, ...top } = json;
  t.is(slots.length, 2);
  t.deepEqual(slots[0], top);
  t.deepEqual(slots.map((s) => [s.card, s.protocol]), [['usim', 0], ['t1', 1]]);
  t.deepEqual(slots.map((s) => (s.exchanges as { response: string }[])[0].response), ['9000', '9000']);
  const usage = await runCli(['sim', '--card', 'usim', '--card', 't1']);
  t.is(usage.code, 2);
  t.regex(usage.stderr, /--card given twice/);
});
