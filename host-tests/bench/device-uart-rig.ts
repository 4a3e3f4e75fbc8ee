/**
 * What the ESP32-S3's card UART (hal/moddable/card-uart.ts) costs in XS per block-level transfer, for
 * the firmware cost estimate: its JavaScript half runs here on stand-ins for the native functions of
 * card-uart.c (each a tiny JS function that does no work per byte, as the C does it outside XS), so
 * the figure is what XS spends per T=1 block or T=0 TPDU: the call that hands the block over, the
 * native delivery into XS, the `onReadable` that follows, and the call that copies the result out.
 * firmware-cost.ts installs `globalThis.native` and `Native`, then hal/moddable/card-uart.ts bundled
 * on its own (it is typed against the XS globals, outside the host type-check) as
 * `globalThis.__Esp32CardUart`, before this script. No Node API: this runs inside XS.
 */
import type { CardUart, CardUartOptions } from '../../hal/interfaces/card-uart.js';

type Esp32CardUart = CardUart & { close(): void };

function uartClass(): new (options: CardUartOptions, line: { port: number; data: number }) => Esp32CardUart {
  return (globalThis as unknown as { __Esp32CardUart: new (options: CardUartOptions, line: { port: number; data: number }) => Esp32CardUart }).__Esp32CardUart;
}

const OPTIONS: CardUartOptions = { clockHz: 5_000_000, F: 372, D: 32, convention: 'direct', N: 255, protocol: 1, repetitions: 0, edc: 'lrc' };

/**
 * `n` T=1 transfers: a 257-byte block handed over, the native side delivering the card's 258-byte
 * block, `onReadable` reading it out and looking at how it ended (what firmware/iso7816/t1 does).
 */
export function uartTransfers(args: { n: number }): null {
  const block = new Uint8Array(257);
  const into = new Uint8Array(260);
  let ends = 0;
  const uart: Esp32CardUart = new (uartClass())({
    ...OPTIONS,
    onReadable: () => {
      if (uart.readBlock(into, 0) > 0 && uart.blockEnd === 'complete') ends++;
    },
  }, { port: 1, data: 4 });
  const deliver = (globalThis as unknown as { __deliver: (readable: number, writable: number, errors: number) => void }).__deliver;
  for (let i = 0; i < args.n; i++) {
    uart.writeBlock(block, block.length, true, 15_371, 43);
    deliver(258, 0, 0);
  }
  uart.close();
  if (ends !== args.n) throw new Error('device UART rig: a transfer was not read');
  return null;
}
