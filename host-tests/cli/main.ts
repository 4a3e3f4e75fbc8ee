/**
 * `ccid-reader`: the host command (the `ccid-reader` command's contract). Each subcommand lives in its own
 * module, loaded only when asked for, so `atr` does not pay for the simulator or the USB/IP server;
 * bin.ts is the process entry point (exit status, closed pipes), build.ts bundles it to JavaScript.
 */
import { readFileSync } from 'node:fs';

export interface CommandModule {
  run(args: string[]): Promise<number>;
}

const commands: Record<string, { summary: string; load: () => Promise<CommandModule> }> = {
  sim: { summary: 'run the firmware on the simulated board with a simulated card', load: () => import('./sim-command.js') },
  atr: { summary: 'analyse an ATR (HEX, or - for one per stdin line)', load: () => import('./atr-command.js') },
  serve: { summary: 'serve the simulated reader over USB/IP for the real PC/SC stack', load: () => import('./serve-command.js') },
  cards: { summary: 'list the built-in simulated cards', load: () => import('./cards-command.js') },
  'host-setup': { summary: 'show (or install) what pcscd + libccid need to open the board', load: () => import('./host-setup-command.js') },
};

function usage(): string {
  const lines = ['usage: ccid-reader <command> [options]', '       ccid-reader --version', '', 'commands:'];
  for (const [name, c] of Object.entries(commands)) lines.push(`  ${name.padEnd(10)} ${c.summary}`);
  lines.push('', "'ccid-reader <command> --help' describes a command's options.");
  return lines.join('\n') + '\n';
}

/** The package's version: package.json sits two levels up, beside the sources and the build alike. */
export function packageVersion(): string {
  const text = readFileSync(new URL('../../package.json', import.meta.url), 'utf8');
  return (JSON.parse(text) as { version: string }).version;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? process.stderr : process.stdout).write(usage());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version') {
    process.stdout.write(`${packageVersion()}\n`);
    return 0;
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(`ccid-reader: unknown command '${name}'\n` + usage());
    return 2;
  }
  return (await command.load()).run(rest);
}
