import { spawnSync } from 'node:child_process';
import test from 'ava';
import { DEBIAN_PACKAGES, findPackage, installMissing, installPlan, missingLine, requirePackages, type DebianPackage } from './debian-packages.js';

const absent: DebianPackage = { name: 'no-such-package', provides: '/nonexistent/no-such-file', usedBy: 'this test' };

test('each listed file belongs to the package it stands for (dpkg -S, the package database)', (t) => {
  t.timeout(60_000, 'one dpkg-query per package');
  requirePackages(...DEBIAN_PACKAGES.map((p) => p.name));
  for (const p of DEBIAN_PACKAGES) {
    const owner = spawnSync('dpkg-query', ['-S', p.provides], { encoding: 'utf8' });
    t.is(owner.status, 0, `${p.provides}: ${owner.stderr}`);
    const packages = owner.stdout.split(':')[0].split(',').map((name) => name.trim().replace(/:.*$/, ''));
    t.true(packages.includes(p.name), `${p.provides} belongs to ${packages.join(', ')}, not ${p.name}`);
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
