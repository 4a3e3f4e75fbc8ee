/**
 * The `usim` card on a CardIo without a line (FakeIo): power it, take its ATR, and send it TPDUs the
 * way a T=0 reader does (header, INS procedure byte, data), reading back what it answers. No reader
 * code is involved, so the card's behaviour is checked on its own.
 */
import { UsimCard, type UsimCardOptions } from '../../hal/sim/cards/usim.js';
import { FakeIo, hx } from './helpers.js';

export interface UsimRig {
  readonly card: UsimCard;
  readonly io: FakeIo;
  /** The ATR of the last reset. */
  atr: string;
  /**
   * One TPDU: `header` (5 bytes) and, for an incoming command, its data. Returns the response data
   * then SW1 SW2 in hex (as pyscard prints them); NULL procedure bytes are skipped.
   */
  tpdu(header: string, data?: string): string;
  /** Power off and on again (cold reset). */
  powerCycle(): void;
}

function bytes(text: string): number[] {
  const clean = text.replace(/\s+/g, '');
  const out: number[] = [];
  for (let i = 0; i < clean.length; i += 2) out.push(parseInt(clean.slice(i, i + 2), 16));
  return out;
}

function skipNulls(out: number[]): number[] {
  let i = 0;
  while (out[i] === 0x60) i++;
  return out.slice(i);
}

export function usimRig(options: UsimCardOptions = {}): UsimRig {
  const io = new FakeIo();
  const card = new UsimCard(options);
  const take = (): number[] => {
    io.scheduler.runUntilIdle();
    const out = io.sent.map((s) => s.byte);
    io.sent.length = 0;
    return out;
  };
  const rig: UsimRig = {
    card,
    io,
    atr: '',
    tpdu(header, data) {
      const h = bytes(header);
      if (h.length !== 5) throw new Error('a TPDU header has 5 bytes');
      for (const b of h) card.receive(b, true);
      let out = skipNulls(take());
      // INS alone: the card waits for the data (incoming); INS then more: outgoing data and SW1 SW2.
      // An INS of 6X or 9X is no instruction (ISO/IEC 7816-3 §10.3.2): what follows is SW1 SW2.
      const procedure = out[0] === h[1] && (h[1] & 0xf0) !== 0x60 && (h[1] & 0xf0) !== 0x90;
      if (procedure && out.length === 1 && data !== undefined) {
        for (const b of bytes(data)) card.receive(b, true);
        out = skipNulls(take());
      } else if (procedure) out = out.slice(1);
      return hx(out);
    },
    powerCycle() {
      card.power(null);
      card.power('A');
      card.reset('cold');
      rig.atr = hx(take());
    },
  };
  card.attach(io);
  rig.powerCycle();
  return rig;
}

/** Digits of nibble-swapped BCD (TS 102 221 §13.2), up to the first F. */
export function swappedDigits(hex: string): string {
  let digits = '';
  for (let i = 0; i < hex.length; i += 2) {
    for (const nibble of [hex[i + 1], hex[i]]) {
      if (nibble === 'F') return digits;
      digits += nibble;
    }
  }
  return digits;
}

/** ISO/IEC 7812-1 Annex B: the digits with their check digit sum to 0 mod 10. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    const d = Number(digits[digits.length - 1 - i]);
    const v = i % 2 === 1 ? d * 2 : d;
    sum += v > 9 ? v - 9 : v;
  }
  return sum % 10 === 0;
}

/** 3GPP TS 31.102 §4.2.2: length byte, parity nibble, then digits low nibble first. */
export function decodeImsi(hex: string): string {
  const length = parseInt(hex.slice(0, 2), 16);
  const digits = swappedDigits(hex.slice(2, 2 + 2 * length));
  return digits.slice(1);
}

/** A plain BER-TLV walk (one-byte tags and lengths, as every UICC object here has): [tag, value hex]. */
export function tlvs(hex: string): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i < hex.length;) {
    const tag = hex.slice(i, i + 2);
    const length = parseInt(hex.slice(i + 2, i + 4), 16);
    out.push([tag, hex.slice(i + 4, i + 4 + 2 * length)]);
    i += 4 + 2 * length;
  }
  return out;
}
