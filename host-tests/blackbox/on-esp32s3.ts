/**
 * Imported first by the *-esp32s3.test.ts files: the black-box checks they import next run on the
 * virtual ESP32-S3 board (the device firmware on hal/moddable's drivers), with the same scripts,
 * APDUs and expectations as on the sim board.
 */
import { useBoard } from './run.js';
import '../esp32s3/built-first.js';

useBoard('esp32s3');
