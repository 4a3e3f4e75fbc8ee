// The checks of t1.test.ts, on the virtual ESP32-S3 board (ccid-reader sim --board esp32s3).
import './on-esp32s3.js';
import './t1.test.js';
