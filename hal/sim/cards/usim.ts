/**
 * The built-in `usim` card: a dual-mode UICC with a USIM, T=0 only.
 *
 * ATR 3B 9F 96 80 1F C7 80 31 A0 73 BE 21 13 67 43 20 07 18 00 00 01 A5 — "sysmoUSIM-SJS1" in
 * pcsc-tools' smartcard_list.txt (the card Osmocom's tools are tested with): TA1 96 (Fi 512, Di 32),
 * TD1 80 → T=0, TD2 1F → T=15 with TA3 C7 (clock stop, no preference; classes A, B and C), historical
 * bytes 80 31 A0 73 BE 21 13 … whose card capabilities '73 BE 21 13' announce 4 logical channels
 * assigned by the card (ISO/IEC 7816-4 §8.1.1.2.7), TCK A5.
 *
 * Behind the T=0 engine (t0-engine.ts): UsimT0 (headers, GET RESPONSE) → UiccApplet (commands) →
 * the file tree (usim-files.ts) and the secret codes (usim-pins.ts). Non-volatile state (files,
 * PINs and their counters) survives power cycles; selections, open channels and verifications do not.
 */
import { hex } from '../hex.js';
import { BaseCard, type BaseCardOptions } from './base.js';
import { T0CardEngine } from './t0-engine.js';
import { UiccApplet } from './usim-applet.js';
import { testIdentity, type UsimIdentity } from './usim-files.js';
import { UsimT0 } from './usim-t0.js';

export const ATR_SYSMO_USIM_SJS1 = '3B 9F 96 80 1F C7 80 31 A0 73 BE 21 13 67 43 20 07 18 00 00 01 A5';

export interface UsimCardOptions extends Partial<BaseCardOptions> {
  /** ICCID and IMSI (default: testIdentity(serial)). */
  identity?: UsimIdentity;
  /** Serial number of the default test identity (default 1). */
  serial?: number;
}

export class UsimCard extends BaseCard {
  readonly applet: UiccApplet;
  readonly identity: UsimIdentity;
  readonly #t0: UsimT0;
  readonly #engine: T0CardEngine;

  constructor(options: UsimCardOptions = {}) {
    const identity = options.identity ?? testIdentity(options.serial ?? 1);
    super({
      name: 'usim',
      description: `UICC with a USIM, T=0: ICCID ${identity.iccid}, IMSI ${identity.imsi}`,
      atr: hex(ATR_SYSMO_USIM_SJS1),
      ...options,
    });
    this.identity = identity;
    this.applet = new UiccApplet(identity);
    this.#t0 = new UsimT0(this.applet);
    this.#engine = new T0CardEngine(this.#t0, { wi: this.atrInfo.wi });
  }

  protected resetProtocol(): void {
    this.applet.reset();
    this.#t0.reset();
  }

  protected protocolStart(): void {
    if (this.io) this.#engine.start(this.io);
  }

  protected protocolReceive(byte: number): void {
    this.#engine.receive(byte);
  }

  protected override protocolAbsorbable(): number {
    return this.#engine.absorbable();
  }
}
