/**
 * What `npm ci` and `npm pack` (package.json `prepare`), `npm test` (`pretest`) and `npm run bench`
 * (`prebench`) do before their main work:
 *   build  — compile the `ccid-reader` command to JavaScript (host-tests/cli/build.ts), and build
 *            the XS engine when gcc and make are there (npm ci never runs apt-get);
 *   test   — also install the missing Debian packages (host-tests/setup/debian-packages.ts) when
 *            run as root on Debian; the command is rebuilt only when a source changed.
 * Whatever cannot be done is one printed line; the exit status stays 0 so that everything that does
 * not need the missing piece still runs, and the tests that need it fail with the same line.
 */
import { buildCli, ensureCliBuilt } from '../cli/build.js';
import { DEBIAN_PACKAGES, installMissing } from './debian-packages.js';
import { buildXsEngine } from './xs-engine.js';

const say = (line: string): void => void process.stderr.write(`ccid-reader setup: ${line}\n`);

function main(mode: string | undefined): number {
  if (mode !== 'build' && mode !== 'test') {
    say('usage: prepare.ts build|test');
    return 2;
  }
  if (mode === 'build') buildCli();
  else ensureCliBuilt();
  if (mode === 'test') {
    const outcome = installMissing(DEBIAN_PACKAGES);
    if (outcome.kind === 'installed') say(`installed Debian packages: ${outcome.names.join(' ')}`);
    else if (outcome.kind === 'not-installed') say(`${outcome.line}; the tests that need them will fail`);
  }
  const xs = buildXsEngine();
  if (!xs.ok) say(`${xs.line}; the XS tests and benches will fail until then`);
  else if (xs.built) say('built the XS engine (@agoric/xsnap)');
  return 0;
}

process.exitCode = main(process.argv[2]);
