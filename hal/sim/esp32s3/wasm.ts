/**
 * The compiled drivers of the virtual ESP32-S3 board (build.ts) as one WebAssembly instance: its
 * memory (the board's RAM, which the models read and write where the C gives them a pointer), its
 * function table (the C function pointers the models call: interrupt handlers, alarm callbacks, XS
 * deliveries, TinyUSB class callbacks) and its exports (the xs_* natives and the board's C entry
 * points of c/esp-idf.c).
 */

export type WasmFunction = (...args: (number | bigint)[]) => number | bigint | undefined;

export class Wasm {
  readonly memory: WebAssembly.Memory;
  readonly table: WebAssembly.Table;
  readonly exports: Record<string, WasmFunction>;
  #buffer: ArrayBuffer;
  #u8: Uint8Array;
  #view: DataView;

  constructor(instance: WebAssembly.Instance) {
    const exports = instance.exports as Record<string, unknown>;
    this.memory = exports.memory as WebAssembly.Memory;
    this.table = exports.__indirect_function_table as WebAssembly.Table;
    this.exports = exports as Record<string, WasmFunction>;
    this.#buffer = this.memory.buffer;
    this.#u8 = new Uint8Array(this.#buffer);
    this.#view = new DataView(this.#buffer);
  }

  /** Views of the memory, renewed after the heap grew (memory.grow detaches the old buffer). */
  get u8(): Uint8Array {
    if (this.#buffer !== this.memory.buffer) this.#renew();
    return this.#u8;
  }

  get view(): DataView {
    if (this.#buffer !== this.memory.buffer) this.#renew();
    return this.#view;
  }

  #renew(): void {
    this.#buffer = this.memory.buffer;
    this.#u8 = new Uint8Array(this.#buffer);
    this.#view = new DataView(this.#buffer);
  }

  call(name: string, ...args: (number | bigint)[]): number {
    const fn = this.exports[name];
    if (typeof fn !== 'function') throw new Error(`the virtual board has no C function ${name}`);
    return Number(fn(...args) ?? 0);
  }

  /** The function a C function pointer points at. */
  fn(pointer: number): WasmFunction {
    const fn = this.table.get(pointer) as WasmFunction | null;
    if (!fn) throw new Error(`null C function pointer ${pointer}`);
    return fn;
  }

  read(pointer: number, length: number): Uint8Array {
    return this.u8.slice(pointer, pointer + length);
  }

  write(pointer: number, bytes: Uint8Array): void {
    this.u8.set(bytes, pointer);
  }

  u32(pointer: number): number {
    return this.view.getUint32(pointer, true);
  }

  i32(pointer: number): number {
    return this.view.getInt32(pointer, true);
  }

  setU32(pointer: number, value: number): void {
    this.view.setUint32(pointer, value >>> 0, true);
  }

  cString(pointer: number, max = 4096): string {
    const u8 = this.u8;
    let end = pointer;
    while (end < pointer + max && u8[end] !== 0) end++;
    let text = '';
    for (let i = pointer; i < end; i++) text += String.fromCharCode(u8[i]);
    return text;
  }

  malloc(size: number): number {
    const p = this.call('malloc', size);
    if (p === 0) throw new Error('the virtual board is out of memory');
    return p;
  }

  free(pointer: number): void {
    if (pointer) this.call('free', pointer);
  }

  /** Copy `bytes` into a fresh heap block; free it with free(). */
  copyIn(bytes: Uint8Array): number {
    const p = this.malloc(Math.max(1, bytes.length));
    this.u8.set(bytes, p);
    return p;
  }
}
