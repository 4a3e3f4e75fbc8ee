import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import test from 'ava';
import { DEBIAN_PACKAGES, findPackage, installMissing, installPlan, missingLine, requirePackages, type DebianPackage } from './debian-packages.js';
import { setupReport } from './report.js';

const absent: DebianPackage = { name: 'no-such-package', provides: '/nonexistent/no-such-file', usedBy: 'this test' };

test('each listed file belongs to the package it stands for (dpkg -S, the package database)', async (t) => {
  requirePackages(...DEBIAN_PACKAGES.map((p) => p.name));
  // One dpkg-query for all, asynchronous: a loop of spawnSync would block this worker for seconds
  // on a loaded machine, past ava's inactivity timeout for the whole file.
  const { stdout } = await promisify(execFile)('dpkg-query', ['-S', ...DEBIAN_PACKAGES.map((p) => p.provides)], { encoding: 'utf8' });
  const owners = new Map<string, string[]>();
  for (const line of stdout.split('\n').filter((l) => l.includes(': '))) {
    const colon = line.lastIndexOf(': ');
    owners.set(line.slice(colon + 2), line.slice(0, colon).split(',').map((name) => name.trim().replace(/:.*$/, '')));
  }
  for (const p of DEBIAN_PACKAGES) {
    const packages = owners.get(p.provides) ?? [];
    t.true(packages.includes(p.name), `${p.provides} belongs to ${packages.join(', ') || 'no package'}, not ${p.name}`);
  }
});

test('a missing package is one line naming it and the apt-get command', (t) => {
  const line = missingLine([findPackage('sigrok-cli'), findPackage('tshark')]);
  t.is(line.split('\n').length, 1);
  t.regex(line, /missing Debian packages: sigrok-cli tshark — install them as root: apt-get install sigrok-cli tshark/);
});

test('requirePackages throws at once; an unlisted name is a programming error', (t) => {
  t.notThrows(() => requirePackages());
  t.throws(() => requirePackages('no-such-package'), { message: /not in DEBIAN_PACKAGES/ });
});

test('install plan: apt-get as root on Debian, else the line (not root; not Debian)', (t) => {
  t.is(installPlan([], { debian: true, root: true }), null);
  t.deepEqual(installPlan([absent], { debian: true, root: true }), { apt: ['no-such-package'] });
  const user = installPlan([absent], { debian: true, root: false });
  t.true(user !== null && 'line' in user && user.line === missingLine([absent]));
  const other = installPlan([absent], { debian: false, root: true });
  t.true(other !== null && 'line' in other && other.line.includes('not Debian') && other.line.includes(absent.provides));
});

test('not root: installMissing answers with the line without running apt-get', (t) => {
  const started = Date.now();
  t.deepEqual(installMissing([absent], { debian: true, root: false }), { kind: 'not-installed', line: missingLine([absent]) });
  t.true(Date.now() - started < 1000);
});

test('not root without gcc: the set-up prints one line, naming the packages and the XS engine waiting on them', (t) => {
  const missing = ['gcc', 'libc6-dev', 'make', 'tshark'].map(findPackage);
  const install = installMissing(missing.map((p) => ({ ...p, provides: '/nonexistent/' + p.name })), { debian: true, root: false });
  const xsNeeds = { ok: false, line: 'the XS engine needs a C compiler and make: apt-get install gcc libc6-dev make', needs: ['gcc', 'libc6-dev', 'make'] } as const;
  const names = new Set(missing.map((p) => p.name));
  const lines = setupReport(install, xsNeeds, names);
  t.is(lines.length, 1, lines.join('\n'));
  t.regex(lines[0], /^missing Debian packages: gcc libc6-dev make tshark — install them as root: apt-get install gcc libc6-dev make tshark .*the XS engine \(gcc, make\) with them$/);
  // npm ci (no install step) or a build that failed for another reason: the engine's own line.
  t.deepEqual(setupReport(null, xsNeeds, names), [`${xsNeeds.line}; the XS tests and benches will fail until then`]);
  const broken = { ok: false, line: 'the XS engine build failed:\nerror', needs: [] } as const;
  t.is(setupReport(install, broken, names).length, 2);
  t.deepEqual(setupReport({ kind: 'present' }, { ok: true, built: true }, new Set()), ['built the XS engine (@agoric/xsnap)']);
});
