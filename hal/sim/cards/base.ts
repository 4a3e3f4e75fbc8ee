/**
 * The part every simulated ISO card shares: answer to reset and PPS.
 * - §8.1: the ATR starts `atrDelayCycles` CLK cycles after the RST rising edge (ISO window 400 to
 *   40 000; 12 000 by default), characters 12 etu apart, in the convention TS announces.
 * - §9: right after the ATR, a first byte FF starts a PPS request; the card echoes it, stays mute, or
 *   sends a reply of its own, and switches to the negotiated Fi/Di after replying.
 * - A cold reset (first after power-up) and a warm reset both restart at Fd, Dd; a warm reset may
 *   give another ATR.
 * - §8.3: TA2 (specific mode) names the protocol; unless its b5 says "implicit", TA1's Fi/Di are in
 *   force from the first character after the ATR.
 * Concrete cards implement the transmission protocol in `protocolStart` / `protocolReceive`.
 */
import type { VoltageClass } from '../../interfaces/card-contacts.js';
import type { CardIo, SimCard } from '../card.js';
import { cardAtrInfo, DI_TABLE, FI_TABLE, type CardAtrInfo } from './atr.js';

/** What the card does with a PPS request: echo it, stay mute, or send these bytes. */
export type PpsPolicy = 'echo' | 'mute' | Uint8Array;

export const DEFAULT_ATR_DELAY_CYCLES = 12_000;

/** TA2 b5: the card works at Fd/Dd (implicit parameters), not at TA1's Fi/Di. */
const TA2_IMPLICIT = 0x10;

export interface BaseCardOptions {
  name: string;
  description: string;
  atr: Uint8Array;
  /** ATR after a warm reset (default: the same ATR). */
  warmAtr?: Uint8Array;
  atrDelayCycles?: number;
  pps?: PpsPolicy;
  /** Never answer reset (a mute card). */
  mute?: boolean;
}

type Phase = 'off' | 'reset' | 'atr' | 'negotiable' | 'pps' | 'protocol' | 'mute';

export abstract class BaseCard implements SimCard {
  readonly name: string;
  readonly description: string;
  readonly atr: Uint8Array;
  readonly atrInfo: CardAtrInfo;
  protected io: CardIo | null = null;
  protected readonly options: BaseCardOptions;
  #phase: Phase = 'off';
  #pps: number[] = [];

  constructor(options: BaseCardOptions) {
    this.options = options;
    this.name = options.name;
    this.description = options.description;
    this.atr = options.atr;
    this.atrInfo = cardAtrInfo(options.atr);
  }

  /** Where the card is: off, in reset, sending its ATR, negotiable (PPS possible), in PPS, in protocol, mute. */
  get phase(): Phase {
    return this.#phase;
  }

  /** Protocol chosen by PPS, or the default one (first offered). */
  protocol = 0;

  attach(io: CardIo): void {
    this.io = io;
  }

  power(voltage: VoltageClass | null): void {
    this.#phase = voltage === null ? 'off' : 'reset';
    if (voltage === null) this.powerLost();
  }

  reset(kind: 'cold' | 'warm'): void {
    const io = this.io;
    if (!io) return;
    io.silence();
    this.#phase = 'atr';
    if (this.options.mute || this.isMute()) {
      this.#phase = 'mute';
      return;
    }
    const atr = kind === 'warm' && this.options.warmAtr ? this.options.warmAtr : this.atr;
    const info = atr === this.atr ? this.atrInfo : cardAtrInfo(atr);
    io.setRate(372, 1);
    io.setConvention(info.convention);
    // §8.3: in specific mode the protocol is TA2's, otherwise the first one offered.
    this.protocol = info.ta2 !== null ? info.ta2 & 0x0f : info.protocols[0] ?? 0;
    io.setProtocol(this.protocol === 1 ? 1 : 0);
    this.#pps = [];
    this.resetProtocol(kind);
    io.afterCycles(this.options.atrDelayCycles ?? DEFAULT_ATR_DELAY_CYCLES, () => {
      for (const byte of atr) io.send(byte);
      this.#phase = info.specific ? 'protocol' : 'negotiable';
      if (!info.specific) return;
      // §8.3 / §9: specific mode with explicit parameters (TA2 b5 = 0): TA1's Fi/Di apply right after
      // the ATR (which itself went out at Fd/Dd, captured when queued); b5 = 1 keeps Fd/Dd.
      const ta1 = info.ta1;
      if (ta1 !== null && (info.ta2! & TA2_IMPLICIT) === 0 && FI_TABLE[ta1 >> 4] !== 0 && DI_TABLE[ta1 & 0x0f] !== 0) {
        io.setRate(FI_TABLE[ta1 >> 4], DI_TABLE[ta1 & 0x0f]);
      }
      this.protocolStart(this.protocol);
    });
  }

  resetAsserted(): void {
    if (this.#phase !== 'off') this.#phase = 'reset';
  }

  absorbable(gapNs: number, firstNs: number): number {
    return this.#phase === 'protocol' ? this.protocolAbsorbable(gapNs, firstNs) : 0;
  }

  /** How many of the reader's next characters the protocol takes without reacting (SimCard.absorbable); none unless it says. */
  protected protocolAbsorbable(_gapNs: number, _firstNs: number): number {
    return 0;
  }

  receive(byte: number, parityOk: boolean): void {
    switch (this.#phase) {
      case 'negotiable':
        if (byte === 0xff) {
          this.#phase = 'pps';
          this.#pps = [byte];
          return;
        }
        this.#phase = 'protocol';
        this.protocolStart(this.protocol);
        this.protocolReceive(byte, parityOk);
        return;
      case 'pps':
        this.#pps.push(byte);
        if (this.#pps.length >= ppsLength(this.#pps)) this.#answerPps(Uint8Array.from(this.#pps));
        return;
      case 'protocol':
        this.protocolReceive(byte, parityOk);
        return;
      default:
        return; // off, in reset, still sending the ATR, or mute: a card ignores the line
    }
  }

  detach(): void {
    this.io = null;
    this.#phase = 'off';
    this.powerLost();
  }

  /** Stop answering until the next reset (characters already queued still go out unless dropped). */
  protected goMute(dropQueued = true): void {
    if (dropQueued) this.io?.silence();
    this.#phase = 'mute';
  }

  /** Whether the card refuses to answer reset now (e.g. a failed script). */
  protected isMute(): boolean {
    return false;
  }

  /** Volatile state is lost (power off or removal). */
  protected powerLost(): void {}

  /** A reset started: forget protocol state (not persistent data). */
  protected abstract resetProtocol(kind: 'cold' | 'warm'): void;
  /** The first byte after the ATR/PPS exchange is coming: `protocol` is in force. */
  protected abstract protocolStart(protocol: number): void;
  protected abstract protocolReceive(byte: number, parityOk: boolean): void;

  /** §9.2: check a request; by default the card accepts a protocol it offers and an Fi/Di it knows. */
  protected ppsAcceptable(request: Uint8Array): boolean {
    const t = request[1] & 0x0f;
    if (!this.atrInfo.protocols.includes(t)) return false;
    if (request[1] & 0x10) {
      const ps1 = request[2];
      if (FI_TABLE[ps1 >> 4] === 0 || DI_TABLE[ps1 & 0x0f] === 0) return false;
    }
    return true;
  }

  #answerPps(request: Uint8Array): void {
    const io = this.io;
    if (!io) return;
    const policy = this.options.pps ?? 'echo';
    // §9.2: a request with a wrong PCK, or one the card cannot accept, gets no answer.
    if (policy === 'mute' || xor(request) !== 0 || (policy === 'echo' && !this.ppsAcceptable(request))) {
      this.goMute();
      return;
    }
    const reply = policy === 'echo' ? request : policy;
    for (const byte of reply) io.send(byte);
    // The reply itself goes out at the old rate (captured when queued); the new one applies after it.
    if (reply.length >= 3 && reply[0] === 0xff && xor(reply) === 0 && reply.length === ppsLength(reply)) {
      this.protocol = reply[1] & 0x0f;
      if (reply[1] & 0x10) io.setRate(FI_TABLE[reply[2] >> 4] || 372, DI_TABLE[reply[2] & 0x0f] || 1);
      io.setProtocol(this.protocol === 1 ? 1 : 0);
    }
    this.#phase = 'protocol';
    this.protocolStart(this.protocol);
  }
}

/** §9.2: PPSS, PPS0, the PPS1..3 that PPS0 announces, PCK. */
export function ppsLength(bytes: ArrayLike<number>): number {
  if (bytes.length < 2) return 3;
  const pps0 = bytes[1];
  return 3 + ((pps0 >> 4) & 1) + ((pps0 >> 5) & 1) + ((pps0 >> 6) & 1);
}

export function xor(bytes: ArrayLike<number>): number {
  let x = 0;
  for (let i = 0; i < bytes.length; i++) x ^= bytes[i];
  return x;
}
