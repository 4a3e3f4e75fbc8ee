/**
 * Imported first by the *-esp32s3-2slot.test.ts files: the interop tests they import next run
 * against `ccid-reader serve --board esp32s3-2slot` (the device firmware on the two-socket virtual
 * ESP32-S3 board) with the same clients and expectations as on the sim board.
 */
import { useInteropBoard } from './pcscd.js';

useInteropBoard('esp32s3-2slot');
