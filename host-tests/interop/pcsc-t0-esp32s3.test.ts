// The tests of pcsc-t0.test.ts, with pcscd + libccid talking to the virtual ESP32-S3 board (serve --board esp32s3).
import './on-esp32s3.js';
import './pcsc-t0.test.js';
