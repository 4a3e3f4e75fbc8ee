/**
 * ECMA-419 IO classes as Moddable implements them on ESP32 (modules/io/digital/esp32,
 * modules/io/pwm/esp32), for the host type-check of the board providers and the HAL. Written from
 * ECMA-419 (2nd edition) and Moddable's documentation/io/io.md; only the members this project uses.
 */
declare module 'embedded:io/digital' {
  export interface DigitalOptions {
    pin: number;
    /** One of the static modes below. */
    mode: number;
    /** Rising and/or Falling: notify through onReadable on these edges. */
    edge?: number;
    onReadable?(this: Digital): void;
    format?: 'number';
  }
  export default class Digital {
    static readonly Input: number;
    static readonly InputPullUp: number;
    static readonly InputPullDown: number;
    static readonly InputPullUpDown: number;
    static readonly Output: number;
    static readonly OutputOpenDrain: number;
    static readonly Rising: number;
    static readonly Falling: number;
    constructor(options: DigitalOptions);
    /** The pin level (an output cannot be read back on ESP32). */
    read(): number;
    write(value: 0 | 1): void;
    close(): void;
    format: 'number';
  }
}

declare module 'embedded:io/pwm' {
  export interface PWMOptions {
    pin: number;
    /** Frequency; LEDC divides the 80 MHz APB clock. */
    hz?: number;
    /** Duty resolution in bits (default 10); write() takes 0 … 2^resolution. */
    resolution?: number;
    /** LEDC channel. */
    port?: number;
    format?: 'number';
  }
  export default class PWM {
    constructor(options: PWMOptions);
    readonly hz: number;
    readonly resolution: number;
    write(value: number): void;
    close(): void;
    format: 'number';
  }
}
