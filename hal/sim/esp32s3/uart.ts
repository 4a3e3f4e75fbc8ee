/**
 * One ESP32-S3 UART (ESP32-S3 TRM, UART Controller) as the card driver uses it, with the registers
 * the ESP-IDF v6 LL layer touches (components/esp_hal_uart/esp32s3/include/hal/uart_ll.h) and the
 * behaviour of the parts of the ESP-IDF driver that card-uart.c calls (esp_driver_uart/src/uart.c:
 * uart_param_config, uart_set_pin, uart_set_tx_idle_num).
 *
 * - Baud rate: sclk (APB, 80 MHz) / (sclk_div_num + 1) / (clkdiv + clkdiv_frag/16), programmed as
 *   _uart_ll_set_baudrate does: sclk_div = ⌈sclk / (4095 · baud)⌉, clk_div = ⌊16 · sclk / (baud ·
 *   sclk_div)⌋. The model uses the mean bit time of the fractional divider.
 * - Frame: start bit, bit_num + 5 data bits LSB first, parity if parity_en (parity 0 even, 1 odd),
 *   stop_bit_num 1 / 1.5 / 2 stop bits; tx_idle_num idle bit times between characters.
 * - Receiver: a falling edge of its RXD input starts a character; the start bit is checked half a bit
 *   later (a shorter pulse is noise and ignored), every bit is sampled in its middle, and the byte is
 *   stored when the (first) stop bit is sampled, 0.5 bit into it: with a parity error it raises
 *   PARITY_ERR, with a low stop bit FRM_ERR (the byte is stored either way, err_wr_mask = 0), with the
 *   128-byte FIFO full RXFIFO_OVF (the byte is lost). Only the first stop bit is checked (the TRM
 *   does not say the receiver checks a second one). fsm_status.st_urx_out is non-zero from the start
 *   edge to the stop-bit sample (the model does not reproduce the intermediate state numbers).
 * - Interrupts (level type, one source per UART): int_st = int_raw & int_ena. RXFIFO_FULL is raised
 *   while the FIFO holds at least rxfifo_full_thrhd bytes (1 gives one interrupt per byte, as the
 *   ESP-IDF and Arduino drivers rely on), TXFIFO_EMPTY while the TX FIFO holds fewer than
 *   txfifo_empty_thrhd: both are raised again at once when cleared while their condition holds.
 *   RXFIFO_TOUT after rx_tout_thrhd bit times without a new character while the FIFO is not empty.
 */
import type { VirtualScheduler } from '../scheduler.js';
import type { GpioMatrix, InputListener, OutputSignal, PadDrive } from './gpio.js';
import { HIGH } from './gpio.js';
import type { InterruptController } from './intc.js';

export const UART_SOURCE: readonly number[] = Object.freeze([27, 28, 29]);
export const UART_TXD: readonly number[] = Object.freeze([12, 15, 18]);
export const UART_RXD: readonly number[] = Object.freeze([12, 15, 18]);
const FIFO = 128;
const SCLK_HZ = 80_000_000;

/** int_raw / int_ena bits (hal/uart_ll.h uart_intr_t). */
export const UartIntr = Object.freeze({
  RXFIFO_FULL: 1 << 0,
  TXFIFO_EMPTY: 1 << 1,
  PARITY_ERR: 1 << 2,
  FRAM_ERR: 1 << 3,
  RXFIFO_OVF: 1 << 4,
  BRK_DET: 1 << 7,
  RXFIFO_TOUT: 1 << 8,
  TX_DONE: 1 << 14,
});

/** Backdoor counters, for tests and benches. */
export interface UartStats {
  transmitted: number;
  received: number;
  parityErrors: number;
  framingErrors: number;
  overruns: number;
  falseStarts: number;
}

class Ring {
  readonly bytes = new Uint8Array(FIFO);
  head = 0;
  count = 0;
  push(byte: number): boolean {
    if (this.count === FIFO) return false;
    this.bytes[(this.head + this.count) % FIFO] = byte;
    this.count++;
    return true;
  }
  shift(): number {
    if (this.count === 0) return this.bytes[this.head];
    const byte = this.bytes[this.head];
    this.head = (this.head + 1) % FIFO;
    this.count--;
    return byte;
  }
  clear(): void {
    this.head = 0;
    this.count = 0;
  }
}

function parityOf(byte: number): number {
  let ones = 0;
  for (let b = byte; b; b >>= 1) ones += b & 1;
  return ones & 1;
}

export class Esp32s3Uart implements OutputSignal, InputListener {
  readonly port: number;
  readonly stats: UartStats = { transmitted: 0, received: 0, parityErrors: 0, framingErrors: 0, overruns: 0, falseStarts: 0 };
  /** Backdoor: every character the receiver stores (or loses), with its error interrupts. */
  onReceive: ((byte: number, errors: number, startNs: number) => void) | null = null;
  readonly #scheduler: VirtualScheduler;
  readonly #gpio: GpioMatrix;
  readonly #intc: InterruptController;
  readonly #fsm: (rx: number, tx: number) => void;

  // Registers (reset values from the TRM register summary).
  #clkdiv = 694;
  #frag = 7;
  #sclkDivNum = 0;
  #dataBits = 8;
  #parityEnabled = false;
  #parityOdd = false;
  /** stop_bit_num: 1 = 1, 2 = 1.5, 3 = 2 stop bits. */
  #stopBits = 1;
  #txIdleNum = 256;
  #rxfifoFullThr = 96;
  #txfifoEmptyThr = 96;
  #rxToutEn = false;
  #rxToutThr = 10;
  #intRaw = UartIntr.TXFIFO_EMPTY;
  #intEna = 0;
  readonly #rx = new Ring();
  readonly #tx = new Ring();

  // Transmitter.
  #txFrame: { start: number; frame: number; bits: number; end: number } | null = null;
  #txNextStart = -Infinity;
  #txEvent: number | undefined;

  // Receiver.
  #rxBusy = false;
  #rxStart = 0;
  #rxBit = 0;
  #rxEvent: number | undefined;
  #toutEvent: number | undefined;
  readonly #onStartCheck = (): void => this.#startCheck();
  readonly #onStopSample = (): void => this.#stopSample();
  readonly #onTxStart = (): void => this.#txStartNext();
  readonly #onTxEnd = (): void => this.#txEnd();
  readonly #onTimeout = (): void => this.#timeout();

  /** Driver state (uart.c uart_context): the pins uart_set_pin routed. */
  #txIo = -1;
  #rxIo = -1;

  constructor(port: number, scheduler: VirtualScheduler, gpio: GpioMatrix, intc: InterruptController, fsm: (rx: number, tx: number) => void) {
    this.port = port;
    this.#scheduler = scheduler;
    this.#gpio = gpio;
    this.#intc = intc;
    this.#fsm = fsm;
    gpio.defineOutput(UART_TXD[port], this);
    gpio.listen(UART_RXD[port], this);
    intc.connect(UART_SOURCE[port], () => (this.#intRaw & this.#intEna) !== 0);
  }

  /** The mean bit time in ns. */
  get bitNs(): number {
    return (1e9 * ((this.#clkdiv * 16 + this.#frag) / 16) * (this.#sclkDivNum + 1)) / SCLK_HZ;
  }

  get baud(): number {
    return 1e9 / this.bitNs;
  }

  /** Bits from the start bit to the parity bit (the part of a frame that carries levels). */
  get #frameBits(): number {
    return 1 + this.#dataBits + (this.#parityEnabled ? 1 : 0);
  }

  get #stopLength(): number {
    return this.#stopBits === 1 ? 1 : this.#stopBits === 2 ? 1.5 : 2;
  }

  // Output signal (TXD).

  drive(): PadDrive {
    const f = this.#txFrame;
    if (f === null) return HIGH;
    return { kind: 'frame', start: f.start, bitNs: this.bitNs, frame: f.frame, bits: f.bits };
  }

  #buildFrame(byte: number): number {
    const data = byte & ((1 << this.#dataBits) - 1);
    let frame = data << 1; // bit 0: start bit, low
    if (this.#parityEnabled) frame |= (parityOf(data) ^ (this.#parityOdd ? 1 : 0)) << (1 + this.#dataBits);
    return frame;
  }

  #kickTransmitter(): void {
    if (this.#txFrame !== null || this.#txEvent !== undefined || this.#tx.count === 0) return;
    this.#txEvent = this.#scheduler.at(Math.max(this.#scheduler.now(), this.#txNextStart), this.#onTxStart);
  }

  #txStartNext(): void {
    this.#txEvent = undefined;
    if (this.#tx.count === 0) return;
    const now = this.#scheduler.now();
    const byte = this.#tx.shift();
    const bits = this.#frameBits;
    const end = now + (bits + this.#stopLength) * this.bitNs;
    this.#txFrame = { start: now, frame: this.#buildFrame(byte), bits, end };
    this.stats.transmitted++;
    this.#fsm(this.#rxBusy ? 1 : 0, 1);
    this.#txLevels();
    this.#gpio.outputChanged(UART_TXD[this.port]);
    this.#scheduler.at(end, this.#onTxEnd);
  }

  #txEnd(): void {
    this.#txFrame = null;
    this.#txNextStart = this.#scheduler.now() + this.#txIdleNum * this.bitNs;
    this.#fsm(this.#rxBusy ? 1 : 0, 0);
    this.#gpio.outputChanged(UART_TXD[this.port]);
    if (this.#tx.count === 0) this.#raise(UartIntr.TX_DONE);
    this.#kickTransmitter();
  }

  // Input signal (RXD).

  get awaitingEdge(): boolean {
    return !this.#rxBusy;
  }

  inputChanged(level: 0 | 1): void {
    if (level !== 0 || this.#rxBusy) return;
    const now = this.#scheduler.now();
    this.#rxBusy = true;
    this.#rxStart = now;
    this.#rxBit = this.bitNs;
    if (this.#toutEvent !== undefined) this.#scheduler.cancel(this.#toutEvent);
    this.#toutEvent = undefined;
    this.#fsm(1, this.#txFrame ? 1 : 0);
    this.#gpio.watch(UART_RXD[this.port]);
    this.#rxEvent = this.#scheduler.at(now + 0.5 * this.#rxBit, this.#onStartCheck);
  }

  #startCheck(): void {
    if (this.#gpio.signalLevel(UART_RXD[this.port]) === 0) {
      this.#rxEvent = this.#scheduler.at(this.#rxStart + (this.#frameBits + 0.5) * this.#rxBit, this.#onStopSample);
      return;
    }
    // Noise: a low pulse shorter than half a bit.
    this.stats.falseStarts++;
    this.#rxEnd();
  }

  #stopSample(): void {
    const signal = UART_RXD[this.port];
    const bits = this.#frameBits;
    const samples = bits === 10 ? this.#gpio.sampleFrame(signal, this.#rxStart, this.#rxBit) : this.#sampleEach(bits);
    const stop = this.#gpio.signalLevel(signal);
    const data = (samples >> 1) & ((1 << this.#dataBits) - 1);
    let error = 0;
    if (this.#parityEnabled) {
      const parity = (samples >> (1 + this.#dataBits)) & 1;
      if ((parityOf(data) ^ parity ^ (this.#parityOdd ? 1 : 0)) !== 0) error |= UartIntr.PARITY_ERR;
    }
    if (stop === 0) error |= UartIntr.FRAM_ERR;
    if (stop === 0 && (samples & ((1 << bits) - 1)) === 0) error |= UartIntr.BRK_DET;
    this.#rxEnd();
    this.onReceive?.(data, error, this.#rxStart);
    if (!this.#rx.push(data)) {
      this.stats.overruns++;
      this.#raise(UartIntr.RXFIFO_OVF);
      return;
    }
    this.stats.received++;
    if (error & UartIntr.PARITY_ERR) this.stats.parityErrors++;
    if (error & UartIntr.FRAM_ERR) this.stats.framingErrors++;
    let raise = error;
    if (this.#rxfifoFullThr > 0 && this.#rx.count >= this.#rxfifoFullThr) raise |= UartIntr.RXFIFO_FULL;
    if (this.#rxToutEn) this.#toutEvent = this.#scheduler.at(this.#scheduler.now() + this.#rxToutThr * this.#rxBit, this.#onTimeout);
    this.#raise(raise);
  }

  #sampleEach(bits: number): number {
    // Frames other than 8 data bits + parity: sample bit by bit from the signal's recent levels.
    let frame = this.#gpio.sampleFrame(UART_RXD[this.port], this.#rxStart, this.#rxBit);
    frame &= (1 << bits) - 1;
    return frame;
  }

  #rxEnd(): void {
    this.#rxBusy = false;
    this.#rxEvent = undefined;
    this.#fsm(0, this.#txFrame ? 1 : 0);
    this.#gpio.watch(UART_RXD[this.port]);
  }

  #timeout(): void {
    this.#toutEvent = undefined;
    if (this.#rx.count > 0) this.#raise(UartIntr.RXFIFO_TOUT);
  }

  // Interrupts.

  #raise(bits: number): void {
    if (bits === 0) return;
    this.#intRaw |= bits;
    this.#intc.update(UART_SOURCE[this.port]);
  }

  /** The level-type raw bits whose condition still holds are set again (after a clear or a FIFO change). */
  #levels(): void {
    let raise = 0;
    if (this.#rxfifoFullThr > 0 && this.#rx.count >= this.#rxfifoFullThr) raise |= UartIntr.RXFIFO_FULL;
    if (this.#tx.count < this.#txfifoEmptyThr) raise |= UartIntr.TXFIFO_EMPTY;
    this.#raise(raise);
  }

  #txLevels(): void {
    if (this.#tx.count < this.#txfifoEmptyThr) this.#raise(UartIntr.TXFIFO_EMPTY);
  }

  // The LL layer (hal/uart_ll.h), as the wasm imports call it.

  enableInterrupts(mask: number): void {
    this.#intEna |= mask;
    this.#intc.update(UART_SOURCE[this.port]);
  }

  disableInterrupts(mask: number): void {
    this.#intEna &= ~mask;
  }

  get interruptStatus(): number {
    return this.#intRaw & this.#intEna;
  }

  clearInterrupts(mask: number): void {
    this.#intRaw &= ~mask;
    this.#levels();
  }

  readRx(count: number): Uint8Array {
    const bytes = new Uint8Array(count);
    for (let i = 0; i < count; i++) bytes[i] = this.#rx.shift();
    return bytes;
  }

  writeTx(bytes: Uint8Array): void {
    for (const byte of bytes) this.#tx.push(byte);
    this.#kickTransmitter();
  }

  resetRxFifo(): void {
    this.#rx.clear();
  }

  resetTxFifo(): void {
    this.#tx.clear();
    this.#txLevels();
  }

  get rxFifoCount(): number {
    return this.#rx.count;
  }

  get txFifoFree(): number {
    return FIFO - this.#tx.count;
  }

  setParity(mode: number): void {
    if (mode !== 0) this.#parityOdd = (mode & 1) === 1;
    this.#parityEnabled = ((mode >> 1) & 1) === 1;
  }

  setRxFullThreshold(threshold: number): void {
    this.#rxfifoFullThr = threshold & 0x3ff;
  }

  setTxEmptyThreshold(threshold: number): void {
    this.#txfifoEmptyThr = threshold & 0x3ff;
    this.#txLevels();
  }

  setTxIdle(bits: number): void {
    this.#txIdleNum = bits & 0x3ff;
  }

  setRxTimeout(bits: number): void {
    if (bits > 0) {
      this.#rxToutThr = bits & 0x3ff;
      this.#rxToutEn = true;
    } else this.#rxToutEn = false;
  }

  /** _uart_ll_set_baudrate: false when the rate cannot be reached. */
  setBaud(baud: number, sclkHz = SCLK_HZ): boolean {
    if (!(baud > 0)) return false;
    const sclkDiv = Math.ceil(sclkHz / (4095 * baud));
    if (sclkDiv === 0 || sclkDiv > 256) return false;
    const clkDiv = Math.floor((sclkHz * 16) / (baud * sclkDiv));
    this.#clkdiv = clkDiv >> 4;
    this.#frag = clkDiv & 0xf;
    this.#sclkDivNum = sclkDiv - 1;
    return this.#clkdiv > 0;
  }

  // The ESP-IDF driver functions card-uart.c calls (esp_driver_uart/src/uart.c).

  /** uart_param_config: uart_hal_init, clock, baud, parity, data and stop bits, tx_idle_num 0, FIFOs reset. */
  paramConfig(baud: number, dataBits: number, parity: number, stopBits: number, flowControl: number, sourceClock: number): number {
    if (dataBits < 0 || dataBits > 3 || flowControl > 3 || stopBits < 1 || stopBits > 3) return -1;
    if (sourceClock !== 0 && sourceClock !== 4) return -1; // APB only: the card clock divides the same 80 MHz
    this.#parityEnabled = false;
    this.#dataBits = 8;
    this.#stopBits = 1;
    this.#txIdleNum = 0;
    const reached = this.setBaud(baud);
    this.setParity(parity);
    this.#dataBits = dataBits + 5;
    this.#stopBits = stopBits;
    this.#txIdleNum = 0;
    this.resetRxFifo();
    this.resetTxFifo();
    return reached ? 0 : -1;
  }

  /** _uart_set_pin6 for TX and RX (the pins used before are released first, as uart_release_pin does). */
  setPins(tx: number, rx: number): number {
    const gpio = this.#gpio;
    if (this.#txIo >= 0 && tx >= 0) gpio.outputDisable(this.#txIo);
    if (this.#rxIo >= 0 && rx >= 0) gpio.connectIn(0x38, UART_RXD[this.port], false);
    if (tx >= 0) {
      this.#txIo = tx;
      gpio.connectOut(tx, UART_TXD[this.port], false, false);
    }
    if (rx >= 0) {
      this.#rxIo = rx;
      gpio.enableInput(rx);
      gpio.connectIn(rx, UART_RXD[this.port], false);
    }
    return 0;
  }
}
