/**
 * Throughput of the whole host path: pyscard → pcscd → libccid → libusb stand-in → USB/IP → CCID
 * class → ISO 7816-3 session → simulated T=1 card (TA1 13: Di 4), virtual time paced by the wall
 * clock. The card's line speed bounds the 4 KB figures; the short-APDU figure is dominated by the
 * host stack's round trips.
 */
import { startPcsc } from '../interop/pcscd.js';
import { pyscard } from '../interop/pyscard.js';

const SCRIPT = `
import time
def rate(apdu, count):
    start = time.monotonic()
    for _ in range(count):
        r = tx(apdu)
        assert r.endswith('9000'), r
    return count / (time.monotonic() - start)
tx('00A4000C021000')
tx('00A4000C021001')
data = '5A' * 4096
print(rate('00B0000008', 100))
print(rate('00D60000001000' + data, 3))
print(rate('00B00000001000', 3))
`;

export async function benchPcsc(): Promise<{ name: string; apduPerSecond: number }[]> {
  const env = await startPcsc({ card: 't1' });
  try {
    const [short, command4k, response4k] = (await pyscard(env, SCRIPT, 'T1', 120_000)).trim().split('\n').map(Number);
    return [
      { name: 'pcsc short APDU round trip (READ BINARY 8, T=1)', apduPerSecond: short },
      { name: 'pcsc 4 KB command APDU (UPDATE BINARY 4096, extended, T=1)', apduPerSecond: command4k },
      { name: 'pcsc 4 KB response APDU (READ BINARY 4096, extended, T=1)', apduPerSecond: response4k },
    ];
  } finally {
    await env.close();
  }
}
