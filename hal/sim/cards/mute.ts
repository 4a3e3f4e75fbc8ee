/** A card that never answers reset: the reader must give up after 40 000 cycles (ISO 7816-3 §8.1). */
import { BaseCard } from './base.js';
import { hex } from '../hex.js';

export class MuteCard extends BaseCard {
  constructor() {
    super({ name: 'mute', description: 'never answers reset (ISO 7816-3 §8.1: no ATR within 40 000 cycles)', atr: hex('3B00'), mute: true });
  }
  protected resetProtocol(): void {}
  protected protocolStart(): void {}
  protected protocolReceive(): void {}
}
