/**
 * The virtual ESP32-S3: the drivers of hal/moddable compiled to WebAssembly (build.ts) and run in
 * virtual time against models of what they touch — the interrupt matrix with its latency (intc.ts),
 * the GPIO matrix and pads (gpio.ts), the UARTs (uart.ts), the GPTimers (gptimer.ts), LEDC and the
 * ECMA-419 IO classes (moddable.ts), the XS and TinyUSB tasks (tasks.ts), TinyUSB's device stack
 * (tinyusb.ts) and the XS runtime's C API (xs-host.ts). Every function the C calls is one of the
 * `imports` below, named and typed as the mirrored headers declare it (include/).
 *
 * What the TypeScript halves of hal/moddable need from Moddable is here too (`platform`): Native and
 * native bound to the wasm exports, `trace`, the `timer` module, Digital and PWM. Host-only (Node).
 */
import type { VirtualScheduler } from '../scheduler.js';
import { buildBoard, projectRoot, type BuiltBoard } from './build.js';
import { GpioMatrix } from './gpio.js';
import { EspTimers } from './esp-timer.js';
import { GpTimerGroup } from './gptimer.js';
import { InterruptController } from './intc.js';
import { digitalClass, PinRegistry, pwmClass, timerModule } from './moddable.js';
import { CriticalSections, SimTask, XsMessageQueue } from './tasks.js';
import { TinyUsb } from './tinyusb.js';
import { Esp32s3Uart } from './uart.js';
import { Wasm } from './wasm.js';
import { XsHost } from './xs-host.js';


export interface Esp32s3Options {
  /** ns from an interrupt source asserting to its handler running (default 2 µs). */
  interruptLatencyNs?: number;
  /**
   * ns from the XS task being switched to (a message posted from a task, or from an interrupt handler
   * that yields; otherwise at the next 1 ms tick) to its delivery (default 20 µs).
   */
  xsLatencyNs?: number;
  /** ns from a bus event or usbd_defer_func to the TinyUSB task running it (default 10 µs). */
  usbLatencyNs?: number;
  /** ns from an esp_timer expiry's interrupt to its callback in the esp_timer task (default 5 µs). */
  espTimerLatencyNs?: number;
  /** Where `trace()` lines go (default: dropped). */
  console?: (line: string) => void;
}

type Import = (...args: never[]) => unknown;

/** Compiled modules, per wasm file: boards in one process share the compilation. */
const modules = new Map<string, WebAssembly.Module>();

export class Esp32s3 {
  readonly scheduler: VirtualScheduler;
  readonly intc: InterruptController;
  readonly gpio: GpioMatrix;
  readonly uarts: readonly Esp32s3Uart[];
  readonly timers: GpTimerGroup;
  readonly xsTask: SimTask;
  readonly xsQueue: XsMessageQueue;
  readonly usbTask: SimTask;
  /** The esp_timer task (priority 22) and its timers. */
  readonly espTimerTask: SimTask;
  readonly espTimers: EspTimers;
  readonly usb: TinyUsb;
  readonly pins = new PinRegistry();
  readonly critical = new CriticalSections();
  readonly xs: XsHost;
  readonly build: BuiltBoard;
  readonly wasm: Wasm;
  /** The globals and modules a Moddable app sees (Native, native, trace, timer, Digital, PWM). */
  readonly platform: {
    readonly Native: (destructor: string) => new () => object;
    readonly native: (name: string) => (this: unknown, ...args: unknown[]) => unknown;
    readonly trace: (...values: unknown[]) => void;
    readonly Timer: ReturnType<typeof timerModule>;
    readonly Digital: ReturnType<typeof digitalClass>;
    readonly PWM: ReturnType<typeof pwmClass>;
  };
  #uartHw: number[] = [];
  /** _frxt_setup_switch was called by the interrupt handler running. */
  #switchRequested = false;

  constructor(scheduler: VirtualScheduler, options: Esp32s3Options = {}) {
    this.scheduler = scheduler;
    const wasm = (): Wasm => this.wasm;
    this.intc = new InterruptController(scheduler, options.interruptLatencyNs ?? 2000);
    this.intc.onHandlerReturn = (source) => {
      this.critical.check(`interrupt handler (source ${source})`);
      // portYIELD_FROM_ISR during the handler: the ready tasks run now, not at the next tick.
      if (this.#switchRequested) {
        this.#switchRequested = false;
        this.usbTask.wake();
        this.xsTask.wake();
      }
    };
    this.gpio = new GpioMatrix(() => scheduler.now());
    this.uarts = [0, 1, 2].map((port) => new Esp32s3Uart(port, scheduler, this.gpio, this.intc, (rx, tx) => {
      const at = this.wasm ? this.#fsmAddress(port) : 0;
      if (at) this.wasm.setU32(at, (rx & 0xf) | ((tx & 0xf) << 4));
    }));
    // ESP-IDF's GPTimer ISR yields when on_alarm returns true ("a high priority task was woken").
    this.timers = new GpTimerGroup(scheduler, this.intc, (callback, handle, count, alarm, context) => {
      if (this.wasm.call('sim_call_alarm', callback, handle, count, alarm, context)) this.#switchRequested = true;
    });
    this.xsTask = new SimTask('XS', scheduler, options.xsLatencyNs ?? 20_000, () => this.critical.check('XS task'));
    this.xsQueue = new XsMessageQueue(this.xsTask);
    this.usbTask = new SimTask('TinyUSB', scheduler, options.usbLatencyNs ?? 10_000, () => this.critical.check('TinyUSB task'));
    this.usb = new TinyUsb(scheduler, this.usbTask, wasm);
    this.espTimerTask = new SimTask('esp_timer', scheduler, options.espTimerLatencyNs ?? 5_000, () => this.critical.check('esp_timer task'));
    this.espTimers = new EspTimers(scheduler, this.intc, this.espTimerTask, (callback, arg) => this.wasm.call('sim_call_esp_timer', callback, arg));
    this.xs = new XsHost(wasm);

    const imports = this.#imports();
    this.build = buildBoard(projectRoot(import.meta.url), Object.keys(imports));
    let module = modules.get(this.build.path);
    if (module === undefined) modules.set(this.build.path, (module = new WebAssembly.Module(this.build.bytes)));
    this.wasm = new Wasm(new WebAssembly.Instance(module, { env: imports as WebAssembly.ModuleImports }));

    const log = options.console ?? (() => {});
    this.platform = Object.freeze({
      Native: this.xs.Native,
      native: this.xs.native,
      trace: (...values: unknown[]) => log(values.map(String).join('').replace(/\n$/, '')),
      Timer: timerModule(scheduler, this.xsTask),
      Digital: digitalClass(this.gpio, this.pins, this.xsQueue, () => this.intc.latencyNs, scheduler),
      PWM: pwmClass(this.gpio, this.pins),
    });
  }

  #fsmAddress(port: number): number {
    return (this.#fsmAt[port] ??= this.wasm.call('sim_uart_fsm_status', port));
  }

  readonly #fsmAt: number[] = [];

  #uart(hw: number): Esp32s3Uart {
    if (this.#uartHw.length === 0) this.#uartHw = [0, 1, 2].map((p) => this.wasm.call('sim_uart_dev', p));
    const port = this.#uartHw.indexOf(hw);
    if (port < 0) throw new Error(`not a UART register block: ${hw}`);
    return this.uarts[port];
  }

  /** Deliver a message to the XS task as xsHost.c's modMessageService does: a copy, in a host call. */
  #deliver(callback: number, the: number, refcon: number, message: Uint8Array | null): void {
    this.xs.run(() => {
      const pointer = message && message.length > 0 ? this.wasm.copyIn(message) : 0;
      try {
        this.wasm.call('sim_call_deliver', callback, the, refcon, pointer, message?.length ?? 0);
      } finally {
        this.wasm.free(pointer);
      }
    });
  }

  #imports(): Record<string, Import> {
    const w = (): Wasm => this.wasm;
    const gpio = this.gpio;
    const timers = this.timers;
    const usb = this.usb;
    const pins = this.pins;
    const ok = (done: boolean): number => (done ? 0 : -1);
    return {
      ...this.xs.imports(),

      // FreeRTOS (portmacro.h) and esp_timer.
      xPortEnterCriticalTimeout: () => this.critical.enter(),
      vPortExitCritical: () => this.critical.exit(),
      _frxt_setup_switch: () => {
        this.#switchRequested = true;
      },
      esp_timer_get_time: () => this.espTimers.nowUs(),
      sim_esp_timer_new: (callback: number, arg: number, dispatch: number) => this.espTimers.create(callback, arg, dispatch),
      esp_timer_start_once: (h: number, timeoutUs: bigint) => this.espTimers.startOnce(h, timeoutUs),
      esp_timer_stop: (h: number) => this.espTimers.stop(h),
      esp_timer_delete: (h: number) => this.espTimers.delete(h),

      // The UART driver (esp_driver_uart) and LL layer (hal/uart_ll.h).
      uart_is_driver_installed: () => 0,
      uart_set_tx_idle_num: (port: number, idle: number) => {
        if (port < 0 || port > 2 || idle > 0x3ff) return -1;
        this.uarts[port].setTxIdle(idle);
        return 0;
      },
      sim_uart_param_config: (port: number, baud: number, dataBits: number, parity: number, stopBits: number, flow: number, clock: number) =>
        (port < 0 || port > 2 ? -1 : this.uarts[port].paramConfig(baud, dataBits, parity, stopBits, flow, clock)),
      _uart_set_pin6: (port: number, tx: number, rx: number) => {
        if (port < 0 || port > 2) return -1;
        if ((tx >= 0 && !GpioMatrix.valid(tx)) || (rx >= 0 && !GpioMatrix.valid(rx))) return -1;
        return this.uarts[port].setPins(tx, rx);
      },
      uart_ll_ena_intr_mask: (hw: number, mask: number) => this.#uart(hw).enableInterrupts(mask >>> 0),
      uart_ll_disable_intr_mask: (hw: number, mask: number) => this.#uart(hw).disableInterrupts(mask >>> 0),
      uart_ll_get_intsts_mask: (hw: number) => this.#uart(hw).interruptStatus,
      uart_ll_clr_intsts_mask: (hw: number, mask: number) => this.#uart(hw).clearInterrupts(mask >>> 0),
      uart_ll_read_rxfifo: (hw: number, buffer: number, length: number) => w().write(buffer, this.#uart(hw).readRx(length)),
      uart_ll_write_txfifo: (hw: number, buffer: number, length: number) => this.#uart(hw).writeTx(w().read(buffer, length)),
      uart_ll_rxfifo_rst: (hw: number) => this.#uart(hw).resetRxFifo(),
      uart_ll_txfifo_rst: (hw: number) => this.#uart(hw).resetTxFifo(),
      uart_ll_get_rxfifo_len: (hw: number) => this.#uart(hw).rxFifoCount,
      uart_ll_get_txfifo_len: (hw: number) => this.#uart(hw).txFifoFree,
      uart_ll_set_parity: (hw: number, mode: number) => this.#uart(hw).setParity(mode),
      uart_ll_set_rxfifo_full_thr: (hw: number, threshold: number) => this.#uart(hw).setRxFullThreshold(threshold),
      uart_ll_set_txfifo_empty_thr: (hw: number, threshold: number) => this.#uart(hw).setTxEmptyThreshold(threshold),

      // GPIO (esp_driver_gpio, hal/gpio_ll.h, the ROM's matrix functions).
      gpio_reset_pin: (n: number) => gpio.reset(n),
      gpio_set_direction: (n: number, mode: number) => gpio.setDirection(n, mode),
      gpio_set_pull_mode: (n: number, pull: number) => gpio.setPull(n, pull),
      gpio_ll_set_level: (_hw: number, n: number, level: number) => gpio.setLevel(n, level),
      gpio_ll_get_level: (_hw: number, n: number) => gpio.getLevel(n),
      esp_rom_gpio_connect_in_signal: (n: number, signal: number, inv: number) => gpio.connectIn(n, signal, inv !== 0),
      esp_rom_gpio_connect_out_signal: (n: number, signal: number, inv: number, oenInv: number) => gpio.connectOut(n, signal, inv !== 0, oenInv !== 0),

      // GPTimer (esp_driver_gptimer).
      sim_gptimer_new: (clock: number, direction: number, resolution: number) => timers.create(clock, direction, resolution >>> 0),
      gptimer_del_timer: (h: number) => timers.delete(h),
      sim_gptimer_register: (h: number, callback: number, context: number) => timers.register(h, callback, context),
      gptimer_enable: (h: number) => timers.enable(h),
      gptimer_disable: (h: number) => timers.disable(h),
      gptimer_start: (h: number) => timers.start(h),
      gptimer_stop: (h: number) => timers.stop(h),
      sim_gptimer_count: (h: number) => BigInt(timers.count(h)),
      sim_gptimer_set_alarm: (h: number, enable: number, alarm: bigint, reload: bigint, autoReload: number) =>
        timers.setAlarm(h, enable ? { count: Number(alarm), reload: Number(reload), autoReload: autoReload !== 0 } : null),

      // Interrupts (esp_intr_alloc).
      sim_intr_alloc: (source: number, _flags: number, handler: number, arg: number) =>
        this.intc.allocate(source, () => w().call('sim_call_isr', handler, arg)),
      esp_intr_free: (handle: number) => ok(this.intc.release(handle)),

      // Moddable: messages to the XS task, the pin registry.
      modMessagePostToMachine: (the: number, message: number, length: number, callback: number, refcon: number) => {
        const copy = message && length ? w().read(message, length) : null;
        return this.xsQueue.post(() => this.#deliver(callback, the, refcon, copy), false);
      },
      modMessagePostToMachineFromISR: (the: number, callback: number, refcon: number) =>
        this.xsQueue.post(() => this.#deliver(callback, the, refcon, null), true),
      builtinArePinsFree: (bank: number, mask: number) => (pins.free(bank, mask >>> 0) ? 1 : 0),
      builtinUsePins: (bank: number, mask: number) => (pins.use(bank, mask >>> 0) ? 1 : 0),
      builtinFreePins: (bank: number, mask: number) => pins.release(bank, mask >>> 0),

      // esp_tinyusb and TinyUSB's usbd.
      sim_tinyusb_install: (port: number, device: number, configuration: number, strings: number, count: number) =>
        usb.install(port, device, configuration, strings, count),
      tinyusb_driver_uninstall: () => usb.uninstall(),
      usbd_edpt_open: (rhport: number, descriptor: number) => (usb.edptOpen(rhport, descriptor) ? 1 : 0),
      usbd_edpt_xfer: (rhport: number, ep: number, buffer: number, length: number) => (usb.edptXfer(rhport, ep, buffer, length) ? 1 : 0),
      usbd_edpt_claim: (_rhport: number, ep: number) => (usb.edptClaim(ep) ? 1 : 0),
      usbd_edpt_release: (_rhport: number, ep: number) => (usb.edptRelease(ep) ? 1 : 0),
      usbd_edpt_busy: (_rhport: number, ep: number) => (usb.edptBusy(ep) ? 1 : 0),
      usbd_edpt_stall: (_rhport: number, ep: number) => usb.edptStall(ep),
      usbd_edpt_clear_stall: (_rhport: number, ep: number) => usb.edptClearStall(ep),
      usbd_edpt_stalled: (_rhport: number, ep: number) => (usb.edptStalled(ep) ? 1 : 0),
      usbd_defer_func: (func: number, param: number) => this.usbTask.post(() => w().call('sim_call_task', func, param)),
      tud_control_xfer: (_rhport: number, _request: number, buffer: number, length: number) => (usb.controlXfer(buffer, length) ? 1 : 0),
      tud_control_status: () => (usb.controlStatus() ? 1 : 0),
    };
  }
}
