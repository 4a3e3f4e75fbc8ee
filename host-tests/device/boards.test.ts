/**
 * The ESP32-S3 boards (boards/esp32s3*): their Moddable manifests and sdkconfig, and their
 * providers (host/provider.js, the device's embedded:provider/builtin) loaded with stand-ins for
 * the platform modules and checked with the same readerBoard() the firmware runs at start-up.
 */
import test, { type ExecutionContext } from 'ava';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cardSockets, readerBoard, type CardSocketBoard, type ReaderBoard } from '../../hal/moddable/board.js';
import { esp32s3Boards as boards, loadProvider, root } from './providers.js';

/** GPIOs a card role must not take on an ESP32-S3 module (ESP32-S3 datasheet, DevKitC-1 guide). */
const RESERVED = new Set([
  0, 3, 45, 46, // strapping
  19, 20, // USB-OTG D-/D+: the CCID port
  43, 44, // UART0: console and xsbug
  26, 27, 28, 29, 30, 31, 32, // SPI flash
  33, 34, 35, 36, 37, // octal flash / PSRAM
  38, 48, // DevKitC RGB LED (v1.1 / v1.0)
]);

function socketPins(card: CardSocketBoard): number[] {
  const pins = [card.uart.data, card.clock.pin, card.reset.pin, card.supply.pin, card.detect.pin];
  if (card.fault) pins.push(card.fault.pin);
  if (card.led) pins.push(card.led.pin);
  if (card.classSelect) pins.push(...card.classSelect.pins);
  return pins;
}

function pinsOf(board: ReaderBoard): number[] {
  return cardSockets(board).flatMap(socketPins);
}

/** The wiring document of a board: its own, or the one it shares with boards/esp32s3-devkitc. */
function wiringOf(board: string): string {
  const own = join(root, 'boards', board, 'WIRING.md');
  return readFileSync(existsSync(own) ? own : join(root, 'boards/esp32s3-devkitc/WIRING.md'), 'utf8');
}

test('there are ESP32-S3 boards: the TDA8035 one, the discrete one and the two-slot one', (t) => {
  t.deepEqual(boards, ['esp32s3-devkitc', 'esp32s3-devkitc-2slot', 'esp32s3-devkitc-discrete']);
});

for (const board of boards) {
  test(`${board}: manifest builds an ESP32-S3 with the USB-OTG port left to the CCID driver`, (t) => {
    const manifest = JSON.parse(readFileSync(join(root, 'boards', board, 'manifest.json'), 'utf8'));
    t.is(manifest.build.ESP32_SUBCLASS, 'esp32s3');
    t.is(manifest.build.USE_USB, '0');
    t.is(manifest.build.SDKCONFIGPATH, './sdkconfig');
    t.false(JSON.stringify(manifest).includes('sim'), 'a device board never names the simulator');
  });

  test(`${board}: sdkconfig keeps the console on UART0 and configures TinyUSB and the IRAM timer`, (t) => {
    const path = join(root, 'boards', board, 'sdkconfig/sdkconfig.defaults');
    t.true(existsSync(path));
    const lines = new Set(readFileSync(path, 'utf8').split('\n').map((line) => line.trim()));
    for (const line of ['CONFIG_ESP_CONSOLE_UART_DEFAULT=y', 'CONFIG_TINYUSB_CDC_ENABLED=n', 'CONFIG_TINYUSB_MSC_ENABLED=n',
      'CONFIG_GPTIMER_ISR_HANDLER_IN_IRAM=y', 'CONFIG_GPTIMER_CTRL_FUNC_IN_IRAM=y']) {
      t.true(lines.has(line), line);
    }
  });

  test(`${board}: provider has every card role with its IO constructor, unique pins, none reserved`, async (t) => {
    const board_ = readerBoard(await loadProvider(board));
    const pins = pinsOf(board_);
    t.is(new Set(pins).size, pins.length);
    for (const pin of pins) t.false(RESERVED.has(pin), `GPIO ${pin} is reserved`);
    const ports = cardSockets(board_).map((card) => card.uart.port);
    for (const port of ports) t.true(port === 1 || port === 2, 'UART0 is the console');
    t.is(new Set(ports).size, ports.length, 'one UART per socket');
  });

  test(`${board}: classes lowest voltage first, each selectable; clocks divide 80 MHz (LEDC and UART share it)`, async (t) => {
    for (const card of cardSockets(readerBoard(await loadProvider(board)))) checkClassesAndClocks(t, card);
  });

  test(`${board}: every provider pin appears in the wiring document`, async (t) => {
    const wiring = wiringOf(board);
    for (const pin of pinsOf(readerBoard(await loadProvider(board)))) t.regex(wiring, new RegExp(`^\\| ${pin} \\|`, 'm'));
  });
}

function checkClassesAndClocks(t: ExecutionContext, card: CardSocketBoard): void {
  const order = ['C', 'B', 'A'];
  t.deepEqual([...card.classes], order.filter((c) => card.classes.includes(c as 'A' | 'B' | 'C')));
  if (card.classes.length > 1) {
    t.truthy(card.classSelect, 'several classes need class select pins');
    for (const c of card.classes) t.is(card.classSelect!.levels[c]?.length, card.classSelect!.pins.length, `class ${c}`);
  }
  for (const hz of card.clock.hz) {
    t.is(80_000_000 % (4 * hz), 0, `${hz} Hz`);
    t.true(hz >= 1_000_000 && hz <= 20_000_000);
  }
  t.true(card.clock.hz[0] <= 5_000_000, '§6.2.2: the ATR clock is 1–5 MHz');
}

test('readerBoard() rejects a provider with a pin used twice or a role missing', async (t) => {
  const device = await loadProvider('esp32s3-devkitc');
  const card = device.card as Record<string, unknown>;
  t.throws(() => readerBoard({ ...device, card: { ...card, led: { ...(card.led as object), pin: 4 } } }), { message: /used twice/ });
  t.throws(() => readerBoard({ ...device, card: { ...card, reset: undefined } }), { message: /card\.reset/ });
  t.throws(() => readerBoard({ ...device, usb: {} }), { message: /usb\.io/ });
});

test('readerBoard() rejects a multi-socket provider whose sockets share a pin or a UART, or whose card is not cards[0]', async (t) => {
  const device = await loadProvider('esp32s3-devkitc-2slot');
  const cards = device.cards as Record<string, unknown>[];
  const second = cards[1];
  const uart = second.uart as Record<string, unknown>;
  t.notThrows(() => readerBoard(device));
  t.throws(() => readerBoard({ ...device, cards: [cards[0], { ...second, reset: cards[0].reset }] }), { message: /cards\[1\]\.reset\.pin 6 used twice/ });
  t.throws(() => readerBoard({ ...device, cards: [cards[0], { ...second, uart: { ...uart, port: 1 } }] }), { message: /cards\[1\]\.uart\.port 1 used twice/ });
  t.throws(() => readerBoard({ ...device, card: second }), { message: /card must be cards\[0\]/ });
  t.throws(() => readerBoard({ ...device, cards: [] }), { message: /1 to 8 sockets/ });
});
