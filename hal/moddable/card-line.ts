/**
 * The arithmetic of the card line on the ESP32-S3, kept apart from the native UART so that it is
 * plain code (tested on the host): the baud rate the UART divider really produces, the character
 * framing for a guard time, and when the T=0 error signal is wanted (whether it can be sent in time
 * depends on the interrupt latency: card-uart.c decides). The inverse convention's byte coding is
 * the C's (card-uart.c cardUartCoding), where every byte passes anyway.
 */
import type { CardUartCapabilities } from '../interfaces/card-uart.js';

/** Both the UART and the LEDC card clock divide the 80 MHz APB clock. */
const SOURCE_HZ = 80_000_000;
/** The UART divider: 12-bit integer part plus 1/16 fraction, after a pre-divider (ESP32-S3 TRM, UART). */
const DIVIDER_INTEGER_MAX = 0xfff;
/**
 * One interrupt per character timestamps echoes and card characters; 500 kbit/s leaves 24 µs per
 * character for it. Cards above that rate (D ≥ 32 at 5 MHz) are offered a lower D in PPS.
 */
export const MAX_BAUD = 500_000;

/** The rate the UART really runs at when `baud` is asked, as ESP-IDF programs its divider. */
export function closestBaud(baud: number): number {
  const asked = Math.round(baud);
  const prescaler = Math.ceil(SOURCE_HZ / (DIVIDER_INTEGER_MAX * asked));
  const sixteenths = Math.floor((SOURCE_HZ * 16) / (asked * prescaler));
  return (SOURCE_HZ * 16) / (sixteenths * prescaler);
}

export const cardUartCapabilities: CardUartCapabilities = Object.freeze({ maxBaud: MAX_BAUD, closestBaud });

export interface Framing {
  /** 2: a 12 etu character; 1: 11 etu (T=1 minimum guard). */
  readonly stopBits: 1 | 2;
  /** Idle etu added after each character sent. */
  readonly extraGuardEtu: number;
}

const MINIMUM_T1: Framing = Object.freeze({ stopBits: 1, extraGuardEtu: 0 });

/**
 * §8.3 (TC1): guard time 12 + N etu, a 12 etu character being 8E2; N = 255 is the minimum: 12 etu
 * in T=0, 11 etu (8E1) in T=1.
 */
export function framing(N: number, protocol: 0 | 1): Framing {
  if (N === 255) return protocol === 1 ? MINIMUM_T1 : { stopBits: 2, extraGuardEtu: 0 };
  return { stopBits: 2, extraGuardEtu: N };
}

/**
 * Whether the driver is to signal parity errors (ISO 7816-3 §7.3: T=0 with character repetition).
 * It does only while its measured interrupt latency lets the signal start at 10.5 ± 0.2 etu.
 */
export function errorSignalWanted(protocol: 0 | 1, repetitions: number): boolean {
  return protocol === 0 && repetitions > 0;
}
