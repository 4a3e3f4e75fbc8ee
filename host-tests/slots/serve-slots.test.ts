/**
 * `ccid-reader serve --slots N` (the options common to sim and serve): the options, and the control
 * lines with an optional slot number first, answered on a reader of several slots.
 */
import test from 'ava';
import { controlCommand, parseServeArgs } from '../cli/serve-command.js';
import { findCard } from '../../hal/sim/cards/registry.js';
import { createSimReader } from '../reader/reader.js';

test('serve --slots N: 1–8 slots, --card repeated slot by slot, no more cards than slots', (t) => {
  t.like(parseServeArgs(['--usbip', 'unix:/run/ccid/u', '--slots', '2', '--card', 'usim', '--card', 't1']), { slots: 2, cards: ['usim', 't1'], card: 'usim' });
  t.like(parseServeArgs(['--usbip', 'unix:/run/ccid/u', '--slots=8']), { slots: 8, cards: [], card: null });
  t.like(parseServeArgs(['--usbip', 'unix:/run/ccid/u']), { slots: 1, cards: [] });
  for (const bad of [['--slots', '0'], ['--slots', '9'], ['--slots', '1.5'], ['--slots', 'two'], ['--card', 'usim', '--card', 't1']]) {
    const parsed = parseServeArgs(['--usbip', 'unix:/run/ccid/u', ...bad]);
    t.true(typeof parsed === 'object' && 'error' in parsed, bad.join(' '));
  }
});

test('control lines on a 3-slot reader: insert/remove/status take an optional slot number; status answers one line per slot', async (t) => {
  const reader = createSimReader({ slots: 3, cards: [findCard('t0-fs')!.create(1)] });
  t.is(await controlCommand(reader, 'status', 1), [
    'ok slot=0 card=t0-fs state=ABSENT configured=0',
    'ok slot=1 card=none state=ABSENT configured=0',
    'ok slot=2 card=none state=ABSENT configured=0',
  ].join('\n'));
  t.is(await controlCommand(reader, 'insert 1 usim', 7), 'ok inserted usim in slot 1');
  t.is(await controlCommand(reader, 'insert 1 t1', 7), "error: card 'usim' is already inserted in slot 1");
  t.is(await controlCommand(reader, 'insert t1', 7), "error: card 't0-fs' is already inserted", 'no number: slot 0');
  t.is(await controlCommand(reader, 'status 1', 7), 'ok slot=1 card=usim state=ABSENT configured=0');
  t.is(reader.board.sockets[1].sim.card?.name, 'usim');
  const usim = reader.board.sockets[1].sim.card as unknown as { identity: { imsi: string } };
  t.is(usim.identity.imsi, '001010000000008', 'slot 1 cards draw from seed + 1');
  t.is(await controlCommand(reader, 'remove 2', 7), 'error: no card in slot 2');
  t.is(await controlCommand(reader, 'remove 0', 7), 'ok removed from slot 0');
  t.is(await controlCommand(reader, 'remove 3', 7), 'error: no slot 3 (slots 0–2)');
  t.is(await controlCommand(reader, 'insert 5 t1', 7), 'error: no slot 5 (slots 0–2)');
  t.is(await controlCommand(reader, 'status 1 2', 7), 'error: status takes only a slot number');
  t.is(await controlCommand(reader, 'insert 2', 7), "error: no built-in card '2' and no such file (see 'ccid-reader cards')", 'a lone word after insert is the card');
  t.regex(await controlCommand(reader, 'eject 1', 7), /^error: unknown command 'eject' \(insert \[SLOT\] NAME\|FILE, remove \[SLOT\], status \[SLOT\]\)$/);
});

test('control lines on a 1-slot reader keep their single-line answers', async (t) => {
  const reader = createSimReader({ card: findCard('t1')!.create(1) });
  t.is(await controlCommand(reader, 'status', 1), 'ok card=t1 state=ABSENT configured=0');
  t.is(await controlCommand(reader, 'status 0', 1), 'ok card=t1 state=ABSENT configured=0');
  t.is(await controlCommand(reader, 'remove', 1), 'ok removed');
  t.is(await controlCommand(reader, 'insert 0 t0-fs', 1), 'ok inserted t0-fs in slot 0');
});
