/**
 * pyscard scripts run with Debian's python inside the harness's namespace. The prelude connects to
 * the first reader and offers `atr` (hex) and `tx(hex) → hex` (response data then SW1 SW2).
 */
import type { PcscEnv } from './pcscd.js';

const PRELUDE = `
from smartcard.System import readers
from smartcard.CardConnection import CardConnection
PROTOCOLS = {'T0': CardConnection.T0_protocol, 'T1': CardConnection.T1_protocol, 'any': CardConnection.T0_protocol | CardConnection.T1_protocol}
connection = readers()[0].createConnection()
connection.connect(PROTOCOLS[PROTOCOL])
atr = bytes(connection.getATR()).hex().upper()
def tx(hex_apdu):
    data, sw1, sw2 = connection.transmit(list(bytes.fromhex(hex_apdu)))
    return (bytes(data) + bytes([sw1, sw2])).hex().upper()
`;

/** Runs `body` after the prelude; resolves with stdout, rejects (with the logs) on failure. */
export async function pyscard(env: PcscEnv, body: string, protocol: 'T0' | 'T1' | 'any' = 'any', timeoutMs = 60_000): Promise<string> {
  const result = await env.python(`PROTOCOL = '${protocol}'\n${PRELUDE}\n${body}`, timeoutMs);
  if (result.code !== 0) throw new Error(`pyscard script failed (${result.code}):\n${result.stdout}${result.stderr}\n${env.logs().slice(-6000)}`);
  return result.stdout;
}
