/**
 * The device's composition root (ESP32-S3, Moddable XS): the board provider gives pins paired with
 * their IO constructors; this module binds them into the HAL (contacts, card UART, scheduler,
 * trace, USB device), builds the card session behind the slot and puts the CCID class on top. It is
 * the only firmware module that knows it runs on Moddable; everything below is the same code the
 * simulator runs (hal/sim + boards/sim take this module's place on the host).
 *
 * Build: mcconfig -d -m -p esp32:./boards/esp32s3-devkitc   (see boards/esp32s3-devkitc/WIRING.md)
 */
import device from 'embedded:provider/builtin';
import config from 'mc/config';
import { TraceCategory } from '../hal/common/trace.js';
import { cardSockets, readerBoard } from '../hal/moddable/board.js';
import { cardContactsFor } from '../hal/moddable/card-contacts.js';
import { cardUartFor } from '../hal/moddable/card-uart.js';
import { Esp32Scheduler } from '../hal/moddable/scheduler.js';
import { ConsoleTrace } from '../hal/moddable/trace.js';
import { CcidClass } from './ccid/ccid-class.js';
import type { ReaderConfig } from './ccid/descriptors.js';
import { createCardSlot } from './iso7816/session/session.js';

/** Errors only, unless the manifest's "config": {"trace": mask} asks for more (TraceCategory bits). */
const DEFAULT_TRACE_MASK = TraceCategory.ERROR;
/**
 * APDU buffers sized for the XS heap of an ESP32-S3 without PSRAM (manifest.json "creation"):
 * extended APDUs with up to 4 KB of data each way, instead of the 64 KB defaults of the simulator.
 */
const MAX_DATA = 4096;
const MAX_COMMAND_APDU = 4 + 3 + MAX_DATA + 2;
const MAX_RESPONSE_APDU = MAX_DATA + 2;

export default function main(): void {
  const board = readerBoard(device);
  const trace = new ConsoleTrace(typeof config.trace === 'number' ? config.trace : DEFAULT_TRACE_MASK);
  const scheduler = new Esp32Scheduler();
  // One card slot (an ISO 7816-3 session on its own UART and contacts) per socket of the board.
  const sockets = cardSockets(board);
  const slots = sockets.map((socket) => createCardSlot({
    contacts: cardContactsFor(socket, scheduler), uart: cardUartFor(socket.uart, trace), scheduler, trace, maxResponseLength: MAX_RESPONSE_APDU,
  }));
  const card = board.card;

  const reader: ReaderConfig = {
    vendorId: board.usb.vendorId,
    productId: board.usb.productId,
    manufacturer: board.usb.manufacturer,
    product: board.usb.product,
    slots: slots.length,
    // The class descriptor speaks for every slot: the sockets of one board are alike (socket 0's values).
    classes: card.classes,
    clocksHz: card.clock.hz,
    clockStop: card.clockStop,
    maxBaud: card.uart.io.capabilities?.maxBaud,
    protocols: [0, 1],
    // libccid sends whole APDUs (up to 64 KB, chained); the session maps them to T=0 / T=1.
    exchangeLevel: 'extended-apdu',
    maxApduLength: MAX_COMMAND_APDU,
  };
  new CcidClass({ usb: board.usb.io, slots, config: reader, scheduler, trace });
  if (trace.mask & TraceCategory.INFO) trace.log(TraceCategory.INFO, `${board.name}: CCID reader ready, ${slots.length} slot(s)`);
}
