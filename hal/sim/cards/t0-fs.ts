/**
 * The T=0 file-system cards: BaseCard (ATR, PPS) + the T=0 engine + the APDU adapter + the ISO 7816-4
 * file system. Variants differ only in ATR and PPS behaviour (see registry.ts).
 */
import { SimRandom } from '../random.js';
import { BaseCard, type BaseCardOptions } from './base.js';
import { FileSystemApplet } from './fs-applet.js';
import { T0ApduAdapter } from './t0-apdu.js';
import { T0CardEngine, type T0EngineOptions } from './t0-engine.js';

export interface T0FsCardOptions extends BaseCardOptions {
  seed: number;
  engine?: T0EngineOptions;
}

export class T0FsCard extends BaseCard {
  readonly applet: FileSystemApplet;
  readonly #adapter: T0ApduAdapter;
  readonly #engine: T0CardEngine;

  constructor(options: T0FsCardOptions) {
    super(options);
    this.applet = new FileSystemApplet(new SimRandom(options.seed));
    this.#adapter = new T0ApduAdapter(this.applet, FileSystemApplet.isOutgoing);
    this.#engine = new T0CardEngine(this.#adapter, { wi: this.atrInfo.wi, ...options.engine });
  }

  protected override powerLost(): void {
    this.applet.powerUp();
  }

  protected resetProtocol(): void {
    this.applet.reset();
    this.#adapter.reset();
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
