#!/usr/bin/env node
/**
 * The `ccid-reader` process (package.json "bin" runs its build, build/cli/ccid-reader.js). A reader
 * that goes away (`ccid-reader cards | head -1`) ends the command quietly, like a command that dies of
 * SIGPIPE, instead of with an EPIPE stack trace; Node ignores SIGPIPE, so it arrives as this error.
 */
import { main } from './main.js';

function quietOnClosedPipe(stream: NodeJS.WriteStream): void {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
}

quietOnClosedPipe(process.stdout);
quietOnClosedPipe(process.stderr);
process.exitCode = await main(process.argv.slice(2));
