/**
 * Why `ccid-reader host-setup` exists, shown on the real stack: Debian's libccid bundle as installed
 * (its Info.plist does not list the board's test ID 1209:0001) does not open the simulated reader,
 * however standard its CCID descriptors — libccid matches a USB device only by an
 * ifdVendorID/ifdProductID pair of its list. Every other interop test runs on a copy of the same
 * bundle after `host-setup --apply`, the path the README documents.
 */
import test from 'ava';
import { interopTimeout, READER_NAME, startPcsc } from './pcscd.js';

test('an ID not in libccid\'s Info.plist: pcscd, with libccid given the reader statically, lists no reader', async (t) => {
  interopTimeout(t);
  const env = await startPcsc({ card: 't0-fs', hostSetup: false });
  try {
    // pcscd opens the readers of its reader.conf before it answers its first client, so the first
    // answer is final: libccid looked at the device and turned it down.
    const listed = await env.python('from smartcard.System import readers\nprint([str(r) for r in readers()])');
    t.is(listed.stdout.trim(), '[]', listed.stdout + listed.stderr + env.logs());
    const scan = await env.run('pcsc_scan', ['-r']);
    t.notRegex(scan.stdout, new RegExp(READER_NAME), scan.stdout + scan.stderr);
  } finally {
    await env.close();
  }
});
