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
 * The highest bit rate ISO 7816-3 defines at the 5 MHz f(max) of most cards: Fi 372, Di 64 (TA1 = 17),
 * 860.2 kbit/s, 1.16 µs per etu. The UART makes it exactly (80 MHz ÷ 93), and the driver keeps up:
 * T=1 blocks go out of the FIFO back to back, and one interrupt per character (echo or card) leaves
 * 12.8 µs per character. What the rates above it would need (Fi 512 / Di 64 at 20 MHz is 2.5 Mbit/s)
 * no card asks for at a clock the board makes.
 */
export const MAX_BAUD = (64 * 5_000_000) / 372;

/**
 * The rate the UART really runs at for a bit rate `baud`, as ESP-IDF programs its divider from the
 * whole number card-uart.ts asks (the rate rounded down: uart_ll's divider is rounded down too, so a
 * rate the divider makes exactly stays exact, where rounding up could take a 1/16 step off).
 */
export function closestBaud(baud: number): number {
  const asked = uartBaud(baud);
  const prescaler = Math.ceil(SOURCE_HZ / (DIVIDER_INTEGER_MAX * asked));
  const sixteenths = Math.floor((SOURCE_HZ * 16) / (asked * prescaler));
  return (SOURCE_HZ * 16) / (sixteenths * prescaler);
}

/** The whole bit rate given to the UART for `baud` (see closestBaud). */
export function uartBaud(baud: number): number {
  return Math.floor(baud);
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
