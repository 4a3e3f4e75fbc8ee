/**
 * `ccid-reader`: the host command (DESIGN.md "The host command"). Each subcommand lives in its own
 * module, loaded only when asked for, so `atr` does not pay for the simulator or the USB/IP server.
 */
export interface CommandModule {
  run(args: string[]): Promise<number>;
}

const commands: Record<string, { summary: string; load: () => Promise<CommandModule> }> = {
  sim: { summary: 'run the firmware on the simulated board with a simulated card', load: () => import('./sim-command.js') },
  atr: { summary: 'analyse an ATR (HEX, or - for one per stdin line)', load: () => import('./atr-command.js') },
  serve: { summary: 'serve the simulated reader over USB/IP for the real PC/SC stack', load: () => import('./serve-command.js') },
  cards: { summary: 'list the built-in simulated cards', load: () => import('./cards-command.js') },
};

function usage(): string {
  const lines = ['usage: ccid-reader <command> [options]', '', 'commands:'];
  for (const [name, c] of Object.entries(commands)) lines.push(`  ${name.padEnd(6)} ${c.summary}`);
  return lines.join('\n') + '\n';
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name === undefined ? 2 : 0;
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(`ccid-reader: unknown command '${name}'\n` + usage());
    return 2;
  }
  return (await command.load()).run(rest);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = await main(process.argv.slice(2));
}
