/**
 * The virtual reader against the virtual card people use in CI today, side by side through the real
 * PC/SC stack, with the same pyscard client (SCardTransmit) on both:
 * - ours: `ccid-reader serve --time-scale max` with the `t1` card, through pcscd + libccid + the
 *   libusb stand-in + USB/IP (host-tests/interop/pcscd.ts);
 * - vsmartcard: Debian's vpcd + vicc through pcscd, at its best (vsmartcard.ts);
 * - floor: our path with a device that answers at once (floor-server.ts): what `serve` could reach at
 *   most, so the ratio's ceiling is known.
 * Short APDUs (SELECT MF), a 4 KB command (UPDATE BINARY 4096, extended) and a 4 KB response (READ
 * BINARY 4096, extended). The three run in turns, pair after pair, the order alternating, so drift
 * in the shared machine's load falls on both; each figure is the min / median / max over the pairs,
 * and each ratio is taken within a pair. Beside the rates, the CPU time each process of a side spent
 * per APDU (pcscd with its driver, the device: `serve`, vicc or the floor's server, and the pyscard
 * client), from /proc/PID/stat and the client's own process time: what a side's rate is made of.
 */
import { startPcsc, type PcscEnv } from '../interop/pcscd.js';
import type { RunResult } from '../interop/processes.js';
import { REPO_ROOT } from '../cli/build.js';
import { buildSync } from 'esbuild';
import { join } from 'node:path';
import { startVsmartcard, type VsmartcardEnv } from './vsmartcard.js';

const PAIRS = 7;
const SHORT_COUNT = 1500;
const LONG_COUNT = 100;

/**
 * Prints one JSON object: for each kind, APDU/s and the CPU µs per APDU of pcscd, the device and the
 * client itself. `measure` puts PIDS (pcscd, the device) in front of it.
 */
const CLIENT = `
import json, os, time
from smartcard.System import readers
from smartcard.CardConnection import CardConnection
connection = readers()[0].createConnection()
connection.connect(CardConnection.T1_protocol)
def tx(hex_apdu):
    data, sw1, sw2 = connection.transmit(list(bytes.fromhex(hex_apdu)))
    return (bytes(data) + bytes([sw1, sw2])).hex().upper()
TICK = os.sysconf('SC_CLK_TCK')
def cpu(pid):
    # utime and stime: fields 14 and 15 of /proc/PID/stat, counted after the parenthesised name.
    with open('/proc/%d/stat' % pid) as f:
        fields = f.read().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK
def rate(apdu, count, length):
    for _ in range(3):
        tx(apdu)
    before = [cpu(pid) for pid in PIDS] + [time.process_time()]
    start = time.monotonic()
    for _ in range(count):
        r = tx(apdu)
        assert r.endswith('9000') and len(r) == 2 * length + 4, r[-40:]
    elapsed = time.monotonic() - start
    after = [cpu(pid) for pid in PIDS] + [time.process_time()]
    return [count / elapsed] + [round((a - b) / count * 1e6, 1) for a, b in zip(after, before)]
out = {'short': rate('00A4000C023F00', ${SHORT_COUNT}, 0)}
assert tx('00A4000C021000') == '9000'
assert tx('00A4000C021001') == '9000'
out['command4k'] = rate('00D60000001000' + '5A' * 4096, ${LONG_COUNT}, 0)
out['response4k'] = rate('00B00000001000', ${LONG_COUNT}, 4096)
print(json.dumps(out))
`;

/**
 * The floor's server bundled as `serve` is (host-tests/cli/build.ts), so that neither runs through
 * tsx's loader (whose helpers wrap every closure the USB/IP connection creates per URB): the floor
 * must not be slower than what it bounds. Returns the script's path.
 */
function buildFloorServer(): string {
  const outfile = join(REPO_ROOT, 'build', 'bench', 'floor-server.js');
  buildSync({
    entryPoints: [join(REPO_ROOT, 'host-tests', 'bench', 'floor-server.ts')],
    bundle: true, format: 'esm', platform: 'node', target: 'node20', outfile, logLevel: 'silent', absWorkingDir: REPO_ROOT,
  });
  return outfile;
}

type Kind = 'short' | 'command4k' | 'response4k';
const KINDS: readonly [Kind, string][] = [
  ['short', 'short APDU (SELECT MF)'],
  ['command4k', '4 KB command (UPDATE BINARY 4096)'],
  ['response4k', '4 KB response (READ BINARY 4096)'],
];

type Rates = Record<Kind, number>;
/** CPU µs per APDU: pcscd (with its driver), the device's process, the pyscard client. */
type Cpu = Record<Kind, [number, number, number]>;

interface Side {
  name: 'ours' | 'vsmartcard' | 'floor';
  python(script: string, timeoutMs?: number): Promise<RunResult>;
  logs(): string;
  pids: { server: number; pcscd: number };
}

async function measure(side: Side): Promise<{ rates: Rates; cpu: Cpu }> {
  const result = await side.python(`PIDS = [${side.pids.pcscd}, ${side.pids.server}]\n${CLIENT}`, 300_000);
  if (result.code !== 0) throw new Error(`${side.name}: client failed (${result.code}):\n${result.stdout}${result.stderr}\n${side.logs().slice(-4000)}`);
  const out = JSON.parse(result.stdout.trim().split('\n').pop()!) as Record<Kind, [number, number, number, number]>;
  const rates = {} as Rates;
  const cpu = {} as Cpu;
  for (const [kind] of KINDS) {
    const [rate, pcscd, device, client] = out[kind];
    rates[kind] = rate;
    cpu[kind] = [pcscd, device, client];
  }
  return { rates, cpu };
}

function stats(values: readonly number[]): { min: number; median: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const median = sorted.length % 2 === 1 ? sorted[sorted.length >> 1] : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
  return { min: sorted[0], median, max: sorted[sorted.length - 1] };
}

const round = (x: number, digits: number): number => Number(x.toPrecision(digits));

export interface VsmartcardRow {
  exchange: string;
  'ours APDU/s (median)': number;
  'vsmartcard APDU/s (median)': number;
  'floor APDU/s (median)': number;
  'ours / vsmartcard min': number;
  'median': number;
  'max': number;
  'floor / vsmartcard (median)': number;
}

export interface CpuRow {
  side: string;
  exchange: string;
  'pcscd µs/APDU (median)': number;
  'device µs/APDU (median)': number;
  'client µs/APDU (median)': number;
}

export async function benchVsmartcard(): Promise<{ pairs: number; table: VsmartcardRow[]; cpu: CpuRow[]; raw: Record<string, Rates[]> }> {
  const envs: { close(): Promise<void> }[] = [];
  try {
    const ours: PcscEnv = await startPcsc({ card: 't1', serveArgs: ['--time-scale', 'max'] });
    envs.push(ours);
    const floor: PcscEnv = await startPcsc({ server: [process.execPath, buildFloorServer()] });
    envs.push(floor);
    const vs: VsmartcardEnv = await startVsmartcard();
    envs.push(vs);
    const sides: Side[] = [
      { name: 'ours', python: ours.python, logs: ours.logs, pids: ours.pids },
      { name: 'vsmartcard', python: vs.python, logs: vs.logs, pids: vs.pids },
      { name: 'floor', python: floor.python, logs: floor.logs, pids: floor.pids },
    ];
    const raw: Record<string, Rates[]> = { ours: [], vsmartcard: [], floor: [] };
    const cpuRaw: Record<string, Cpu[]> = { ours: [], vsmartcard: [], floor: [] };
    // One unmeasured run each first: a server just started has not compiled its hot paths yet.
    for (const side of sides) await measure(side);
    for (let pair = 0; pair < PAIRS; pair++) {
      const order = pair % 2 === 0 ? sides : [...sides].reverse();
      for (const side of order) {
        const { rates, cpu } = await measure(side);
        raw[side.name].push(rates);
        cpuRaw[side.name].push(cpu);
      }
    }
    const table = KINDS.map(([kind, label]): VsmartcardRow => {
      const of = (name: string) => raw[name].map((r) => r[kind]);
      const ratios = stats(raw.ours.map((r, i) => r[kind] / raw.vsmartcard[i][kind]));
      return {
        exchange: label,
        'ours APDU/s (median)': Math.round(stats(of('ours')).median),
        'vsmartcard APDU/s (median)': Math.round(stats(of('vsmartcard')).median),
        'floor APDU/s (median)': Math.round(stats(of('floor')).median),
        'ours / vsmartcard min': round(ratios.min, 3),
        'median': round(ratios.median, 3),
        'max': round(ratios.max, 3),
        'floor / vsmartcard (median)': round(stats(raw.floor.map((r, i) => r[kind] / raw.vsmartcard[i][kind])).median, 3),
      };
    });
    const cpu = sides.flatMap((side) => KINDS.map(([kind, label]): CpuRow => {
      const median = (i: number): number => round(stats(cpuRaw[side.name].map((c) => c[kind][i])).median, 3);
      return {
        side: side.name, exchange: label,
        'pcscd µs/APDU (median)': median(0), 'device µs/APDU (median)': median(1), 'client µs/APDU (median)': median(2),
      };
    }));
    return { pairs: PAIRS, table, cpu, raw };
  } finally {
    for (const env of envs.reverse()) await env.close();
  }
}

const invokedDirectly = process.argv[1] !== undefined && /vsmartcard-bench\.ts$/.test(process.argv[1]);
if (invokedDirectly) console.log(JSON.stringify(await benchVsmartcard(), null, 2));
