/**
 * `ccid-reader cards`: the built-in simulated cards, one line each, the name (usable with `--card`
 * and the control socket's `insert`) first, then a short description (the `ccid-reader` command's contract).
 */
import { builtInCards } from '../../hal/sim/cards/registry.js';

export async function run(args: string[]): Promise<number> {
  if (args.length > 0) {
    const help = args.length === 1 && (args[0] === '--help' || args[0] === '-h');
    (help ? process.stdout : process.stderr).write('usage: ccid-reader cards\n\nLists the built-in simulated cards: name, then description.\n');
    return help ? 0 : 2;
  }
  const cards = builtInCards();
  const width = Math.max(...cards.map((c) => c.name.length));
  for (const c of cards) process.stdout.write(`${c.name.padEnd(width)}  ${c.description}\n`);
  return 0;
}
