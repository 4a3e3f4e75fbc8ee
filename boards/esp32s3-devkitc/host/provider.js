/*
 * ESP32-S3-DevKitC-1 with a TDA8035 (or NCN8025) smart card interface: the board's
 * embedded:provider/builtin. Boards are data: each role of the card contacts names its pins and the
 * IO constructor that drives them; firmware/main.ts binds them (hal/moddable/board.ts documents the
 * shape and checks it at start-up). Wiring: WIRING.md, wiring.svg.
 */
import Digital from "embedded:io/digital";
import PWM from "embedded:io/pwm";
import { Esp32CardUart } from "hal/moddable/card-uart";
import { Esp32UsbDevice } from "hal/moddable/usb-device";

const pin = Object.freeze({
	cardIO: 4,          // TDA8035 IOUC (open drain both ways, pull-up in the chip)
	cardClock: 5,       // TDA8035 CLKIN (CLKDIV1 = CLKDIV2 = 0: CLK = CLKIN)
	cardReset: 6,       // TDA8035 RSTIN
	cardSupply: 7,      // TDA8035 CMDVCCN: low starts activation, high deactivation
	card5V3V: 15,       // TDA8035 5V/3VN: high 5 V, low 3 V
	card1V8: 16,        // TDA8035 1V8N: low 1.8 V (overrides 5V/3VN)
	cardDetect: 17,     // socket switch (also to TDA8035 PRESN): closes to GND with a card
	cardFault: 18,      // TDA8035 OFFN: open drain, low when no card or on a fault
	led: 21             // LED to GND through 1 kΩ: card powered
});

/** @type {import("hal/moddable/board").ReaderBoard & { io: object, pin: object }} */
const device = Object.freeze({
	name: "esp32s3-devkitc (TDA8035)",
	card: Object.freeze({
		uart: Object.freeze({ io: Esp32CardUart, port: 1, data: pin.cardIO }),
		clock: Object.freeze({ io: PWM, stop: Digital, pin: pin.cardClock, hz: Object.freeze([4_000_000, 5_000_000, 10_000_000, 20_000_000]) }),
		clockStop: true,
		reset: Object.freeze({ io: Digital, pin: pin.cardReset, active: 1 }),
		supply: Object.freeze({ io: Digital, pin: pin.cardSupply, active: 0 }),
		classes: Object.freeze(/** @type {const} */ (["C", "B", "A"])),
		classSelect: Object.freeze({
			io: Digital,
			pins: Object.freeze([pin.card5V3V, pin.card1V8]),
			levels: Object.freeze(/** @type {const} */ ({ A: [1, 1], B: [0, 1], C: [0, 0] }))
		}),
		detect: Object.freeze({ io: Digital, pin: pin.cardDetect, active: 0, pull: "up", debounceMs: 20 }),
		fault: Object.freeze({ io: Digital, pin: pin.cardFault, active: 0 }),
		led: Object.freeze({ io: Digital, pin: pin.led, active: 1 })
	}),
	usb: Object.freeze({
		io: Esp32UsbDevice,
		// pcscd opens the reader only if libccid's Info.plist lists this ID (ccid-reader host-setup).
		// 1209:0001 is pid.codes' test ID: for development only; a product gets its own (README).
		vendorId: 0x1209,
		productId: 0x0001,
		manufacturer: "ccid-reader",
		product: "ESP32-S3 CCID Reader"
	}),
	io: Object.freeze({ Digital, PWM }),
	pin
});

export default device;
