import test from 'ava';
import { startPcsc } from '../pcscd.js';
test('dbg', async (t) => {
  const env = await startPcsc({ card: 'dual', pcap: true, serveArgs: ['--level', 'tpdu'], ccidLogLevel: 0x0f });
  try {
    const r = await env.python(`
from smartcard.System import readers
from smartcard.CardConnection import CardConnection
c = readers()[0].createConnection()
c.connect(CardConnection.T1_protocol)
print(c.transmit([0,0xa4,0,0x0c,2,0x3f,0]))
`);
    console.log(r.stdout, r.stderr);
  } finally {
    (await import('node:fs')).writeFileSync('/tmp/dbg.log', env.logs());
    await env.close();
  }
  t.pass();
});
