/**
 * A scenario: one end-to-end check of firmware + simulated board that runs both under Node (ava) and
 * inside the XS engine (host-tests/xs bundles every `*.scenario.ts`). Scenario modules therefore use
 * no Node APIs: only firmware/, hal/interfaces/ and the simulator core in hal/sim/.
 * `run()` throws (with a precise message) when the behaviour is wrong.
 */
export interface Scenario {
  /** Named after the clause it checks, like a test title. */
  readonly name: string;
  run(): void;
}

/** Fail a scenario with a message; usable in XS where no assertion library exists. */
export function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

export function hex(bytes: Uint8Array | null | undefined): string {
  if (!bytes) return 'null';
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += (bytes[i] < 16 ? '0' : '') + bytes[i].toString(16).toUpperCase();
  return s;
}

/**
 * A character's etu on the line is the expected one: exactly on the sim board, to the baud divider's
 * rounding on a board with a real UART (the ESP32-S3's 1/16 fractional divider: well under 0.1 %).
 */
export function sameRate(etuNs: number, expectedNs: number): boolean {
  return Math.abs(etuNs - expectedNs) <= expectedNs * 1e-3;
}
