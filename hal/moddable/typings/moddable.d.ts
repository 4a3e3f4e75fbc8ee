/**
 * Moddable modules used by the device code, declared for the host type-check: `timer`
 * (modules/base/timer, millisecond one-shot and repeating timers on the XS task), `mc/config` (the
 * manifest's frozen "config"), and `embedded:provider/builtin` (the board's host/provider.js, whose
 * shape firmware/main.ts checks at start-up with readerBoard()).
 */
declare module 'timer' {
  export default class Timer {
    private constructor();
    /** Call `callback` once after `interval` ms, then every `repeat` ms if given. */
    static set(callback: (timer: Timer) => void, interval?: number, repeat?: number): Timer;
    static repeat(callback: (timer: Timer) => void, interval: number): Timer;
    static schedule(timer: Timer, interval?: number, repeat?: number): void;
    static clear(timer: Timer | undefined | null): void;
    private brand: boolean;
  }
}

declare module 'mc/config' {
  const config: Readonly<Record<string, unknown>>;
  export default config;
}

declare module 'embedded:provider/builtin' {
  const device: Readonly<Record<string, unknown>>;
  export default device;
}
