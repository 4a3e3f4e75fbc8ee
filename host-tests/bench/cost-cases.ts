/**
 * The APDUs the firmware-cost rig measures (firmware-rig.ts), shared by the XS bench on the host
 * (firmware-cost.ts) and the bench app on a board (host-tests/bench/device). No Node API.
 */
export interface CostCase {
  name: string;
  card: string;
  /** APDUs (hex) run once live before recording (e.g. SELECT). */
  prepare: string[];
  apdu: string;
}

/** The simulated cards' ECHO (CLA 80 INS EE, fs-applet.ts): 4096 bytes out, the same back; extended Lc and Le. */
const ECHO_4K = `80EE000000${'1000'}${'A5'.repeat(4096)}1000`;

export const COST_CASES: readonly CostCase[] = [
  { name: 'T=0 short: READ BINARY 16', card: 't0-fs', prepare: ['00A4000C020001'], apdu: '00B0000010' },
  { name: 'T=1 short: READ BINARY 16', card: 't1', prepare: ['00A4000C020001'], apdu: '00B0000010' },
  { name: 'T=1 extended: ECHO 4096 bytes each way', card: 't1', prepare: [], apdu: ECHO_4K },
  { name: 'T=0 extended: ECHO 4096 bytes each way (ENVELOPE, GET RESPONSE)', card: 't0-fs', prepare: [], apdu: ECHO_4K },
  { name: 'T=1 extended at 860.2 kbit/s (t1-fast): ECHO 4096 bytes each way', card: 't1-fast', prepare: [], apdu: ECHO_4K },
  { name: 'T=0 extended at 13.4 kbit/s (t0-5mhz): ECHO 4096 bytes each way', card: 't0-5mhz', prepare: [], apdu: ECHO_4K },
];
