/**
 * What the set-up step (prepare.ts) prints: one line per thing it did or could not do. When packages
 * are missing and the XS engine waits only for some of them, that is still one line — the packages
 * line says it — so a user without root reads exactly one line naming what to install.
 */
import type { InstallOutcome } from './debian-packages.js';
import type { XsBuildOutcome } from './xs-engine.js';

export function setupReport(install: InstallOutcome | null, xs: XsBuildOutcome, stillMissing: ReadonlySet<string>): string[] {
  const lines: string[] = [];
  if (install?.kind === 'installed') lines.push(`installed Debian packages: ${install.names.join(' ')}`);
  const missing = install?.kind === 'not-installed' ? install.line : null;
  const xsNamed = missing !== null && !xs.ok && xs.needs.length > 0 && xs.needs.every((name) => stillMissing.has(name));
  if (missing !== null) lines.push(`${missing}; the tests that need them will fail${xsNamed ? ', the XS engine (gcc, make) with them' : ''}`);
  if (!xs.ok && !xsNamed) lines.push(`${xs.line}; the XS tests and benches will fail until then`);
  if (xs.ok && xs.built) lines.push('built the XS engine (@agoric/xsnap)');
  return lines;
}
