/**
 * Simulated T=1 cards: BaseCard (ATR, PPS) + the card-side T=1 engine (t1-engine.ts) + the ISO 7816-4
 * file-system applet (fs-applet.ts, shared with the T=0 cards), and a dual-protocol card whose T=0 side
 * is the simulator's T=0 engine.
 *
 * ATRs (real cards from pcsc-tools' /usr/share/pcsc/smartcard_list.txt, line numbers of the copy in
 * this environment):
 * - `t1`: 3B F8 13 00 00 81 31 FE 15 59 75 62 69 6B 65 79 34 D4 — "Yubico Yubikey 4 OTP+CCID"
 *   (line 12236): TA1 13 (Fi 372, Di 4), TD1 81 / TD2 31 → T=1, TA3 FE (IFSC 254), TB3 15 (BWI 1,
 *   CWI 5), LRC.
 * - `t1-crc`: the same with TC3 = 01 (CRC) added and TCK recomputed — no listed card asks for CRC.
 * - `dual`: 3B F7 18 00 00 80 31 FE 45 73 66 74 65 2D 6E 66 C4 — "SmartCafe Expert 3.2 72K"
 *   (line 12198): TA1 18 (Fi 372, Di 12), TD1 80 → T=0, TD2 31 → T=1, TA3 FE, TB3 45 (BWI 4, CWI 5).
 *   T=0 is the default protocol; PPS selects T=1 when the reader offers it.
 */
import { SimRandom } from '../random.js';
import { hex } from '../hex.js';
import { BaseCard, type BaseCardOptions } from './base.js';
import { FileSystemApplet } from './fs-applet.js';
import { T0ApduAdapter } from './t0-apdu.js';
import { T0CardEngine } from './t0-engine.js';
import { T1CardEngine, type T1CardEngineOptions, type T1FaultPlan } from './t1-engine.js';

export const T1_ATR_YUBIKEY4 = '3B F8 13 00 00 81 31 FE 15 59 75 62 69 6B 65 79 34 D4';
export const T1_ATR_SMARTCAFE_DUAL = '3B F7 18 00 00 80 31 FE 45 73 66 74 65 2D 6E 66 C4';

/** The Yubikey ATR with TC3 = 01 (CRC): T0 F8 → TD2 31 becomes 71 (TA3 TB3 TC3), TCK recomputed. */
export function crcVariantAtr(): Uint8Array {
  const base = hex('3B F8 13 00 00 81 71 FE 15 01 59 75 62 69 6B 65 79 34 00');
  let x = 0;
  for (let i = 1; i < base.length - 1; i++) x ^= base[i];
  base[base.length - 1] = x;
  return base;
}

/**
 * The Yubikey 4 ATR with TA1 = 17 (Fi 372, Di 64, f max 5 MHz): the fastest rate ISO 7816-3 defines
 * at 5 MHz, 860 kbit/s. No card in pcsc-tools' list offers it (the fastest there are TA1 = 97 and
 * 96); this one exists to run a reader at that rate. TCK recomputed.
 */
export function fastVariantAtr(): Uint8Array {
  const base = hex('3B F8 17 00 00 81 31 FE 15 59 75 62 69 6B 65 79 34 00');
  let x = 0;
  for (let i = 1; i < base.length - 1; i++) x ^= base[i];
  base[base.length - 1] = x;
  return base;
}

export interface T1CardOptions extends Partial<BaseCardOptions> {
  seed?: number;
  /** T=1 parameters matching the ATR (IFSC, BWI, CWI); the EDC comes from the ATR. */
  ifsc?: number;
  bwi?: number;
  cwi?: number;
  plan?: T1FaultPlan;
  record?: boolean;
}

export class T1FsCard extends BaseCard {
  readonly applet: FileSystemApplet;
  readonly engine: T1CardEngine;

  constructor(options: T1CardOptions = {}) {
    const atr = options.atr ?? hex(T1_ATR_YUBIKEY4);
    super({ ...options, name: options.name ?? 't1', description: options.description ?? 'T=1 file-system card (Yubikey 4 ATR, LRC)', atr });
    this.applet = new FileSystemApplet(new SimRandom(options.seed ?? 1));
    const engine: T1CardEngineOptions = {
      edc: this.atrInfo.edc, ifsc: options.ifsc ?? 254, bwi: options.bwi ?? 1, cwi: options.cwi ?? 5,
      plan: options.plan, record: options.record,
    };
    this.engine = new T1CardEngine(this.applet, engine);
  }

  protected override powerLost(): void {
    this.applet.powerUp();
    this.engine.stop();
  }

  protected resetProtocol(): void {
    this.applet.reset();
    this.engine.stop();
  }

  protected protocolStart(): void {
    if (this.io) this.engine.start(this.io);
  }

  protected protocolReceive(byte: number, parityOk: boolean): void {
    this.engine.receive(byte, parityOk);
  }

  protected override protocolAbsorbable(gapNs: number, firstNs: number): number {
    return this.engine.absorbable(gapNs, firstNs);
  }
}

export class DualProtocolCard extends BaseCard {
  readonly applet: FileSystemApplet;
  readonly engine: T1CardEngine;
  readonly #adapter: T0ApduAdapter;
  readonly #t0: T0CardEngine;
  #active: 0 | 1 = 0;

  constructor(options: T1CardOptions = {}) {
    const atr = options.atr ?? hex(T1_ATR_SMARTCAFE_DUAL);
    super({ ...options, name: options.name ?? 'dual', description: options.description ?? 'T=0 and T=1 file-system card (SmartCafe Expert ATR); PPS selects T=1', atr });
    this.applet = new FileSystemApplet(new SimRandom(options.seed ?? 1));
    this.#adapter = new T0ApduAdapter(this.applet, FileSystemApplet.isOutgoing);
    this.#t0 = new T0CardEngine(this.#adapter, { wi: this.atrInfo.wi });
    this.engine = new T1CardEngine(this.applet, {
      edc: this.atrInfo.edc, ifsc: options.ifsc ?? 254, bwi: options.bwi ?? 4, cwi: options.cwi ?? 5,
      plan: options.plan, record: options.record,
    });
  }

  protected override powerLost(): void {
    this.applet.powerUp();
    this.engine.stop();
  }

  protected resetProtocol(): void {
    this.applet.reset();
    this.#adapter.reset();
    this.engine.stop();
  }

  protected protocolStart(protocol: number): void {
    if (!this.io) return;
    this.#active = protocol === 1 ? 1 : 0;
    if (this.#active === 1) this.engine.start(this.io);
    else this.#t0.start(this.io);
  }

  protected override protocolAbsorbable(gapNs: number, firstNs: number): number {
    return this.#active === 1 ? this.engine.absorbable(gapNs, firstNs) : this.#t0.absorbable();
  }

  protected protocolReceive(byte: number, parityOk: boolean): void {
    if (this.#active === 1) this.engine.receive(byte, parityOk);
    else this.#t0.receive(byte);
  }
}

/** The registry's entries: `t1`, `t1-crc`, `t1-fast`, `dual`. */
export function t1Card(options: T1CardOptions = {}): T1FsCard {
  return new T1FsCard(options);
}

export function t1CrcCard(options: T1CardOptions = {}): T1FsCard {
  return new T1FsCard({
    name: 't1-crc', description: 'T=1 file-system card with CRC (Yubikey 4 ATR + TC3 = 01)', atr: crcVariantAtr(), ...options,
  });
}

export function t1FastCard(options: T1CardOptions = {}): T1FsCard {
  return new T1FsCard({
    name: 't1-fast', description: 'T=1 file-system card at 860 kbit/s (Yubikey 4 ATR with TA1 = 17)', atr: fastVariantAtr(), ...options,
  });
}

export function dualCard(options: T1CardOptions = {}): DualProtocolCard {
  return new DualProtocolCard(options);
}
