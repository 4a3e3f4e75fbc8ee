/**
 * What the ESP32-S3's card UART (hal/moddable/card-uart.ts) costs per byte in XS, for the firmware
 * cost estimate: its JavaScript half runs here on stand-ins for the native functions of
 * card-uart.c (each a tiny JS function, so the figure is an upper bound of the wrapper's cost).
 * firmware-cost.ts installs `globalThis.native` and `Native`, then hal/moddable/card-uart.ts bundled
 * on its own (it is typed against the XS globals, outside the host type-check) as
 * `globalThis.__Esp32CardUart`, before this script. No Node API: this runs inside XS.
 */
import type { CardUart, CardUartOptions } from '../../hal/interfaces/card-uart.js';

type Esp32CardUart = CardUart & { close(): void };

function uartClass(): new (options: CardUartOptions, line: { port: number; data: number }) => Esp32CardUart {
  return (globalThis as unknown as { __Esp32CardUart: new (options: CardUartOptions, line: { port: number; data: number }) => Esp32CardUart }).__Esp32CardUart;
}

const OPTIONS: CardUartOptions = { clockHz: 4_000_000, F: 512, D: 64, convention: 'direct', N: 0, protocol: 1, repetitions: 0 };

/** `n` bytes written, then `n` read back until `read()` says none is left (the firmware's own loops). */
export function uartBytes(args: { n: number }): null {
  const uart = new (uartClass())(OPTIONS, { port: 1, data: 4 });
  for (let round = 0; round < 2; round++) {
    for (let i = 0; i < args.n; i++) uart.write(i & 0xff);
    while (uart.read() !== undefined);
  }
  uart.close();
  return null;
}

/**
 * `n` deliveries of one byte each (what card-uart.c does per character while XS keeps up): the
 * native side calls the wrapper, which calls `onReadable`, whose handler reads the byte.
 */
export function uartDeliveries(args: { n: number }): null {
  const uart: Esp32CardUart = new (uartClass())({
    ...OPTIONS,
    onReadable: () => {
      while (uart.read() !== undefined);
    },
  }, { port: 1, data: 4 });
  const deliver = (globalThis as unknown as { __deliver: (readable: number, writable: number, errors: number) => void }).__deliver;
  for (let round = 0; round < 2; round++) {
    for (let i = 0; i < args.n; i++) {
      uart.write(i & 0xff);
      deliver(1, 0, 0);
    }
  }
  uart.close();
  return null;
}
