// The tests of pcsc-slots.test.ts, with pcscd + libccid talking to the two-socket virtual ESP32-S3 board (serve --board esp32s3-2slot).
import './on-esp32s3-2slot.js';
import './pcsc-slots.test.js';
