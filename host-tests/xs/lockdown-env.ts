/**
 * Imported before @endo/init (SES lockdown). SES's default error taming strips the stack from every
 * error made after lockdown, so a failing test would be reported without a location, and ava's TAP
 * reporter (what CI reads) crashes on an error without one. Tests and benches keep their stacks.
 */
process.env.LOCKDOWN_ERROR_TAMING ??= 'unsafe';
