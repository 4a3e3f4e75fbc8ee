/*
 * ESP32-S3-DevKitC-1 with two card sockets, each behind its own TDA8035: a two-slot CCID reader
 * (bMaxSlotIndex 1, both slots working in parallel). The board's embedded:provider/builtin: `cards`
 * lists the sockets in CCID slot order, each with the same roles as a one-socket board
 * (hal/moddable/board.ts); `card` is socket 0. Slot 0 uses UART1 and the pins of
 * boards/esp32s3-devkitc, slot 1 UART2 and its own pins. Wiring, and what a third slot would need:
 * WIRING.md, wiring.svg.
 */
import Digital from "embedded:io/digital";
import PWM from "embedded:io/pwm";
import { Esp32CardUart } from "hal/moddable/card-uart";
import { Esp32UsbDevice } from "hal/moddable/usb-device";

/** Per slot: TDA8035 IOUC, CLKIN, RSTIN, CMDVCCN, 5V/3VN, 1V8N; the socket switch; OFFN; an LED. */
const pins = Object.freeze([
	Object.freeze({ io: 4, clock: 5, reset: 6, supply: 7, class5V3V: 15, class1V8: 16, detect: 17, fault: 18, led: 21 }),
	Object.freeze({ io: 8, clock: 9, reset: 10, supply: 11, class5V3V: 12, class1V8: 13, detect: 14, fault: 1, led: 2 })
]);

/**
 * One TDA8035 socket on a UART other than UART0 (the console).
 * @param {number} port
 * @param {typeof pins[number]} p
 */
function socket(port, p) {
	return Object.freeze({
		uart: Object.freeze({ io: Esp32CardUart, port, data: p.io }),
		clock: Object.freeze({ io: PWM, stop: Digital, pin: p.clock, hz: Object.freeze([4_000_000, 5_000_000, 10_000_000, 20_000_000]) }),
		clockStop: true,
		reset: Object.freeze({ io: Digital, pin: p.reset, active: 1 }),
		supply: Object.freeze({ io: Digital, pin: p.supply, active: 0 }),
		classes: Object.freeze(/** @type {const} */ (["C", "B", "A"])),
		classSelect: Object.freeze({
			io: Digital,
			pins: Object.freeze([p.class5V3V, p.class1V8]),
			levels: Object.freeze(/** @type {const} */ ({ A: [1, 1], B: [0, 1], C: [0, 0] }))
		}),
		detect: Object.freeze({ io: Digital, pin: p.detect, active: 0, pull: "up", debounceMs: 20 }),
		fault: Object.freeze({ io: Digital, pin: p.fault, active: 0 }),
		led: Object.freeze({ io: Digital, pin: p.led, active: 1 })
	});
}

const cards = Object.freeze([socket(1, pins[0]), socket(2, pins[1])]);

/** @type {import("hal/moddable/board").ReaderBoard & { io: object, pins: object }} */
const device = Object.freeze({
	name: "esp32s3-devkitc-2slot (2 × TDA8035)",
	card: cards[0],
	cards,
	usb: Object.freeze({
		io: Esp32UsbDevice,
		// pcscd opens the reader only if libccid's Info.plist lists this ID (ccid-reader host-setup).
		// 1209:0001 is pid.codes' test ID: for development only; a product gets its own (README).
		vendorId: 0x1209,
		productId: 0x0001,
		manufacturer: "ccid-reader",
		product: "ESP32-S3 CCID Reader (2 slots)"
	}),
	io: Object.freeze({ Digital, PWM }),
	pins
});

export default device;
