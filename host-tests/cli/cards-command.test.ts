import test from 'ava';
import { builtInCards } from '../../hal/sim/cards/registry.js';
import { runCli } from './run-cli.js';

test('cards: one line per built-in card, name first, then its description', async (t) => {
  const r = await runCli(['cards']);
  t.is(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  const cards = builtInCards();
  t.true(cards.length > 0);
  t.is(lines.length, cards.length);
  cards.forEach((card, i) => {
    const [name, ...rest] = lines[i].split(/\s+/);
    t.is(name, card.name);
    t.is(rest.join(' '), card.description.replace(/\s+/g, ' ').trim());
  });
});
