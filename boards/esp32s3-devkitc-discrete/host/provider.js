/*
 * ESP32-S3-DevKitC-1 with a discrete card interface (no interface chip): class B (3.3 V) only, VCC
 * through a P-MOSFET high-side switch, CLK/RST through series resistors, I/O open drain with a
 * pull-up to the card's VCC. The firmware orders activation and deactivation itself (ISO 7816-3
 * §6.2, §6.4). Wiring: ../esp32s3-devkitc/WIRING.md ("Discrete alternative").
 */
import Digital from "embedded:io/digital";
import PWM from "embedded:io/pwm";
import { Esp32CardUart } from "hal/moddable/card-uart";
import { Esp32UsbDevice } from "hal/moddable/usb-device";

const pin = Object.freeze({
	cardIO: 4,          // card C7 through 100 Ω; 10 kΩ pull-up to card VCC
	cardClock: 5,       // card C3 through 47 Ω
	cardReset: 6,       // card C2 through 100 Ω
	cardSupply: 7,      // P-MOSFET gate (via NPN): high = VCC on
	cardDetect: 17,     // socket switch to GND, internal pull-up
	led: 21
});

/** @type {import("hal/moddable/board").ReaderBoard & { io: object, pin: object }} */
const device = Object.freeze({
	name: "esp32s3-devkitc (discrete)",
	card: Object.freeze({
		uart: Object.freeze({ io: Esp32CardUart, port: 1, data: pin.cardIO }),
		clock: Object.freeze({ io: PWM, stop: Digital, pin: pin.cardClock, hz: Object.freeze([4_000_000, 5_000_000]) }),
		clockStop: true,
		reset: Object.freeze({ io: Digital, pin: pin.cardReset, active: 1 }),
		supply: Object.freeze({ io: Digital, pin: pin.cardSupply, active: 1 }),
		classes: Object.freeze(/** @type {const} */ (["B"])),
		detect: Object.freeze({ io: Digital, pin: pin.cardDetect, active: 0, pull: "up", debounceMs: 20 }),
		led: Object.freeze({ io: Digital, pin: pin.led, active: 1 })
	}),
	usb: Object.freeze({
		io: Esp32UsbDevice,
		// pcscd opens the reader only if libccid's Info.plist lists this ID (ccid-reader host-setup).
		// 1209:0001 is pid.codes' test ID: for development only; a product gets its own (README).
		vendorId: 0x1209,
		productId: 0x0001,
		manufacturer: "ccid-reader",
		product: "ESP32-S3 CCID Reader (discrete)"
	}),
	io: Object.freeze({ Digital, PWM }),
	pin
});

export default device;
