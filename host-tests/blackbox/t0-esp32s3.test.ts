// The checks of t0.test.ts, on the virtual ESP32-S3 board (ccid-reader sim --board esp32s3).
import './on-esp32s3.js';
import './t0.test.js';
