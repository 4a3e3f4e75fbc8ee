/**
 * The board around the virtual ESP32-S3: a TDA8035 smart card interface (or an NCN8025-class chip)
 * between the ESP32-S3's pads and the simulated socket (hal/sim/contacts.ts), wired as
 * boards/esp32s3-devkitc/WIRING.md describes. What the chip does, as its data sheet and ISO 7816-3
 * §6.2 / §6.4 describe it, without its analogue detail (supply ramps, current limits):
 * - CMDVCCN low with a card present activates: VCC at the class the select pins give (1V8N low: C;
 *   else 5V/3VN high: A, low: B) sampled at that moment, then I/O connected, CLK = CLKIN, RST = RSTIN.
 * - CMDVCCN high, the card leaving (PRESN) or a supply fault deactivates: RST low, CLK stopped low,
 *   I/O pulled low, VCC off. OFFN (open drain, pulled up on the board) is low while no card is
 *   present, and after a fault until CMDVCCN goes high.
 * - I/O: IOUC and the card's I/O are one open-drain line through the chip's bidirectional level
 *   shifter while active; inactive, IOUC floats high (its pull-up) and the card side is held low.
 */
import type { LineCharacter, LineListener, SimLine } from '../line.js';
import type { SimSocket } from '../contacts.js';
import type { VirtualScheduler } from '../scheduler.js';
import type { GpioMatrix, PadDrive, PadNet } from './gpio.js';
import type { VoltageClass } from '../../interfaces/card-contacts.js';

export interface InterfaceChipPins {
  /** IOUC. */
  readonly io: number;
  /** CLKIN. */
  readonly clock: number;
  /** RSTIN. */
  readonly reset: number;
  /** CMDVCCN. */
  readonly supply: number;
  /** 5V/3VN. */
  readonly select5v: number;
  /** 1V8N. */
  readonly select1v8: number;
  /** The socket's switch (also PRESN): to ground with a card. */
  readonly detect: number;
  /** OFFN. */
  readonly fault: number;
  /** An LED to ground (optional). */
  readonly led?: number;
}

/** reverse(~b), the inverse convention's coding (its own inverse). */
function inverseCoding(byte: number): number {
  let out = 0;
  for (let i = 0; i < 8; i++) if (((byte >> i) & 1) === 0) out |= 0x80 >> i;
  return out;
}

function staticLevel(drive: PadDrive, floating: 0 | 1): 0 | 1 {
  return drive.kind === 'static' ? drive.level : drive.kind === 'frame' ? 0 : floating;
}

/** The card's I/O line seen from the ESP32-S3 pad: the SimLine while the chip is active. */
class CardIoNet implements PadNet, LineListener {
  readonly #line: SimLine;
  readonly #scheduler: VirtualScheduler;
  readonly #gpio: GpioMatrix;
  readonly #pin: number;
  #drive: PadDrive = { kind: 'off' };
  #connected = false;
  /** Remaining edges of a frame the pad joined in its middle (rare: rerouted mid-character). */
  readonly #edges: number[] = [];
  /** The reader's last character on the line (for the repetition flag of the next). */
  #last: LineCharacter | null = null;

  constructor(line: SimLine, scheduler: VirtualScheduler, gpio: GpioMatrix, pin: number) {
    this.#line = line;
    this.#scheduler = scheduler;
    this.#gpio = gpio;
    this.#pin = pin;
    line.listen(this);
  }

  get awaitingStart(): boolean {
    return this.#connected && this.#gpio.awaitingEdge(this.#pin);
  }

  ioChanged(): void {
    if (this.#connected) this.#gpio.netChanged(this.#pin, true);
  }

  output(drive: PadDrive): void {
    this.#drive = drive;
    if (this.#connected) this.#apply();
  }

  connect(on: boolean): void {
    if (on === this.#connected) return;
    this.#connected = on;
    if (on) this.#apply();
    else this.#release();
    this.#gpio.netChanged(this.#pin);
    this.#line.watch();
  }

  #release(): void {
    for (const e of this.#edges) this.#scheduler.cancel(e);
    this.#edges.length = 0;
    this.#line.abandon(this);
    this.#line.drive(this, 1);
  }

  #apply(): void {
    const drive = this.#drive;
    const now = this.#scheduler.now();
    this.#release();
    if (drive.kind === 'static') {
      if (drive.level === 0) this.#line.drive(this, 0);
      return;
    }
    if (drive.kind !== 'frame') return;
    const { start, bitNs, frame, bits } = drive;
    if (start === now) this.#character(drive);
    if (start === now && bits === 10) {
      this.#line.drive(this, 0);
      this.#line.plan(this, start, bitNs, frame);
      return;
    }
    // Joined mid-frame, or a frame other than start + 8 data + parity: the remaining edges one by one.
    const levelAt = (k: number): 0 | 1 => (k < bits ? ((frame >> k) & 1) as 0 | 1 : 1);
    const k0 = Math.max(0, Math.floor((now - start) / bitNs));
    this.#line.drive(this, levelAt(k0));
    for (let k = k0 + 1; k <= bits; k++) {
      if (levelAt(k) === levelAt(k - 1)) continue;
      const level = levelAt(k);
      const event = this.#scheduler.at(start + k * bitNs, () => this.#line.drive(this, level));
      this.#edges.push(event);
    }
  }

  /**
   * The line's record of a character the reader starts. The UART sends coded bytes; as a line
   * analyser would, the convention is told by the parity (the driver codes the inverse convention
   * as reverse(~b) with odd parity: hal/moddable/card-line.ts). The card's error signal is looked
   * for where a sender samples it, at 11 etu (ISO 7816-3 §7.3).
   */
  #character(drive: PadDrive & { kind: 'frame' }): void {
    const data = (drive.frame >> 1) & 0xff;
    const parity = (drive.frame >> 9) & 1;
    let ones = 0;
    for (let b = data; b; b >>= 1) ones += b & 1;
    const direct = ((ones + parity) & 1) === 0;
    const byte = direct ? data : inverseCoding(data);
    const last = this.#last;
    const event: LineCharacter = {
      timeNs: drive.start, from: 'reader', byte, parityOk: true,
      repeated: last !== null && last.errorSignalled && last.byte === byte,
      convention: direct ? 'direct' : 'inverse', etuNs: drive.bitNs, errorSignalled: false,
    };
    this.#line.character(event);
    this.#last = event;
    this.#scheduler.at(drive.start + 11 * drive.bitNs, () => {
      if (this.#line.io === 0) event.errorSignalled = true;
    });
  }

  level(): 0 | 1 {
    return this.#connected ? this.#line.io : 1;
  }

  levelAt(timeNs: number): 0 | 1 {
    return this.#connected ? this.#line.levelAt(timeNs) : 1;
  }

  sampleFrame(startNs: number, bitNs: number): number {
    return this.#connected ? this.#line.sampleFrame(startNs, bitNs) : 0x3ff;
  }

  watch(): void {
    this.#line.watch();
  }
}

/** A push-pull output of the ESP32-S3 into a chip input; `floating` is what the input reads when undriven. */
class InputNet implements PadNet {
  #value: 0 | 1;
  readonly #floating: 0 | 1;
  readonly #onChange: () => void;

  constructor(floating: 0 | 1, onChange: () => void) {
    this.#value = floating;
    this.#floating = floating;
    this.#onChange = onChange;
  }

  output(drive: PadDrive): void {
    const value = staticLevel(drive, this.#floating);
    if (value === this.#value) return;
    this.#value = value;
    this.#onChange();
  }

  level(): 0 | 1 {
    return this.#value;
  }

  levelAt(): 0 | 1 {
    return this.#value;
  }
}

/** A net driven from outside (the socket switch, OFFN), read by the ESP32-S3. */
class ExternalNet implements PadNet {
  readonly #read: () => 0 | 1;
  constructor(read: () => 0 | 1) {
    this.#read = read;
  }
  output(): void {}
  level(): 0 | 1 {
    return this.#read();
  }
  levelAt(): 0 | 1 {
    return this.#read();
  }
}

/** CLKIN: an LEDC clock or a static level. */
class ClockNet implements PadNet {
  hz = 0;
  stopLevel: 0 | 1 = 0;
  readonly #onChange: () => void;
  constructor(onChange: () => void) {
    this.#onChange = onChange;
  }
  output(drive: PadDrive): void {
    const hz = drive.kind === 'clock' ? drive.hz : 0;
    const stop = staticLevel(drive, 0);
    if (hz === this.hz && stop === this.stopLevel) return;
    this.hz = hz;
    this.stopLevel = stop;
    this.#onChange();
  }
  level(): 0 | 1 {
    return this.hz > 0 ? 0 : this.stopLevel;
  }
  levelAt(): 0 | 1 {
    return this.level();
  }
}

export class InterfaceChip {
  readonly #socket: SimSocket;
  readonly #line: SimLine;
  readonly #gpio: GpioMatrix;
  readonly #pins: InterfaceChipPins;
  readonly #io: CardIoNet;
  readonly #clock: ClockNet;
  readonly #cmdvccn: InputNet;
  readonly #rstin: InputNet;
  readonly #select5v: InputNet;
  readonly #select1v8: InputNet;
  readonly #led: InputNet | null;
  #active = false;
  #faultLatched = false;
  /** The class the chip supplies while active. */
  #voltage: VoltageClass | null = null;

  constructor(scheduler: VirtualScheduler, gpio: GpioMatrix, socket: SimSocket, pins: InterfaceChipPins) {
    this.#socket = socket;
    this.#line = socket.line;
    this.#gpio = gpio;
    this.#pins = pins;
    this.#io = new CardIoNet(this.#line, scheduler, gpio, pins.io);
    this.#clock = new ClockNet(() => this.#clockChanged());
    this.#cmdvccn = new InputNet(1, () => this.update());
    this.#rstin = new InputNet(0, () => this.#resetChanged());
    this.#select5v = new InputNet(1, () => {});
    this.#select1v8 = new InputNet(1, () => {});
    this.#led = pins.led === undefined ? null : new InputNet(0, () => {});
    gpio.attach(pins.io, this.#io);
    gpio.attach(pins.clock, this.#clock);
    gpio.attach(pins.supply, this.#cmdvccn);
    gpio.attach(pins.reset, this.#rstin);
    gpio.attach(pins.select5v, this.#select5v);
    gpio.attach(pins.select1v8, this.#select1v8);
    if (pins.led !== undefined && this.#led) gpio.attach(pins.led, this.#led);
    gpio.attach(pins.detect, new ExternalNet(() => (socket.card !== null ? 0 : gpio.pulledUp(pins.detect) ? 1 : 0)));
    gpio.attach(pins.fault, new ExternalNet(() => (this.offn ? 1 : 0)));
    // Inactive at power-up: the card side of I/O held low.
    this.#line.drive(this, 0);
  }

  get active(): boolean {
    return this.#active;
  }

  get voltage(): VoltageClass | null {
    return this.#voltage;
  }

  /** OFFN released (high): a card is present and no fault is latched. */
  get offn(): boolean {
    return this.#socket.card !== null && !this.#faultLatched;
  }

  get ledOn(): boolean {
    return this.#led?.level() === 1;
  }

  /** The card went in or out of the socket (PRESN and the detect pad follow). */
  presenceChanged(): void {
    this.#gpio.netChanged(this.#pins.detect);
    this.update();
    this.#gpio.netChanged(this.#pins.fault);
  }

  /** A supply fault (overcurrent): the chip deactivates and holds OFFN low until CMDVCCN rises. */
  fault(): void {
    this.#faultLatched = true;
    this.update();
    this.#gpio.netChanged(this.#pins.fault);
  }

  update(): void {
    const cmdvccn = this.#cmdvccn.level();
    if (cmdvccn === 1 && this.#faultLatched) {
      this.#faultLatched = false;
      this.#gpio.netChanged(this.#pins.fault);
    }
    const want = cmdvccn === 0 && this.#socket.card !== null && !this.#faultLatched;
    if (want && !this.#active) this.#activate();
    else if (!want && this.#active) this.#deactivate();
  }

  #activate(): void {
    this.#active = true;
    this.#voltage = this.#select1v8.level() === 0 ? 'C' : this.#select5v.level() === 1 ? 'A' : 'B';
    this.#socket.setSupply(this.#voltage);
    this.#line.drive(this, 1);
    this.#io.connect(true);
    this.#clockChanged();
    this.#resetChanged();
  }

  #deactivate(): void {
    this.#active = false;
    this.#socket.setReset(0);
    this.#socket.setClock(0, 0);
    this.#io.connect(false);
    this.#line.drive(this, 0);
    this.#socket.setSupply(null);
    this.#voltage = null;
  }

  #clockChanged(): void {
    if (this.#active) this.#socket.setClock(this.#clock.hz, this.#clock.stopLevel);
  }

  #resetChanged(): void {
    if (this.#active) this.#socket.setReset(this.#rstin.level());
  }
}
