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
import { DEBIAN_PACKAGES, installMissing, missingPackages } from './debian-packages.js';
import { setupReport } from './report.js';
import { buildXsEngine } from './xs-engine.js';

const say = (line: string): void => void process.stderr.write(`ccid-reader setup: ${line}\n`);

function main(mode: string | undefined): number {
  if (mode !== 'build' && mode !== 'test') {
    say('usage: prepare.ts build|test');
    return 2;
  }
  if (mode === 'build') buildCli();
  else ensureCliBuilt();
  const install = mode === 'test' ? installMissing(DEBIAN_PACKAGES) : null;
  const xs = buildXsEngine();
  for (const line of setupReport(install, xs, new Set(missingPackages().map((p) => p.name)))) say(line);
  return 0;
}

process.exitCode = main(process.argv[2]);
