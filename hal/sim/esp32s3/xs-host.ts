/**
 * What the Moddable XS runtime gives native code, for the drivers compiled into the virtual
 * ESP32-S3 board: `Native(destructor)` and `native(name)` for the TypeScript halves of
 * hal/moddable (the host functions call the wasm exports of the same name), and the JavaScript side
 * of the fx* functions of c/xs-shim.c, which the macros of the real xs.h and xsmc.h expand to.
 *
 * Slots live in WebAssembly memory (c/xs-shim.c: kind, integer, double). A JavaScript value that is
 * not a primitive is kept here under a handle: temporaries are dropped when the outermost host call
 * returns, unless the C remembered the slot holding them (xsRemember), as XS would collect them.
 * Host objects keep their C pointer and destructor here; XS semantics kept: xsmcGetHostDataValidate
 * throws on a foreign host object, xsArg checks the argument count, exceptions thrown in C
 * (xsUnknownError, xsRangeError…) become JavaScript errors of the same kind. Not modelled: garbage
 * collection of host objects (their destructors run only through close()), so a run stays
 * deterministic.
 */
import type { Wasm } from './wasm.js';

const SLOT = 16;
const enum Kind {
  Undefined = 0,
  Null = 1,
  Boolean = 2,
  Integer = 3,
  Number = 4,
  Reference = 5,
}

/** XS error kinds (xs.h XS_*_ERROR) as JavaScript error constructors. */
const ERRORS: readonly ErrorConstructor[] = [Error, Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError];

interface HostRecord {
  readonly destructor: string;
  data: number;
}

/** Buffers copied into WebAssembly memory for xsmcGetBuffer*, per host call depth. */
interface BufferCopy {
  readonly pointer: number;
  readonly target: Uint8Array;
  readonly writable: boolean;
}

const MAX_DEPTH = 64;

export class XsHost {
  readonly #wasm: () => Wasm;
  readonly #values: unknown[] = [undefined];
  readonly #free: number[] = [];
  readonly #temporaries: number[] = [];
  readonly #pins = new Map<number, number>();
  /** Remembered slot address → the handle it held when remembered. */
  readonly #remembered = new Map<number, number>();
  readonly #hosts = new WeakMap<object, HostRecord>();
  readonly #buffers: BufferCopy[][] = [];
  #depth = 0;
  #machine = 0;
  #saved = 0;
  #thisOffset = 0;
  #resultOffset = 0;

  /** The base class of a host object whose C record `destructor` frees (Moddable's Native). */
  readonly Native: (destructor: string) => new () => object;
  /** The C function `name` as a host function, called with `.call(this, …)` (Moddable's native). */
  readonly native: (name: string) => (this: unknown, ...args: unknown[]) => unknown;

  constructor(wasm: () => Wasm) {
    this.#wasm = wasm;
    const hosts = this.#hosts;
    this.Native = (destructor: string) => class {
      constructor() {
        hosts.set(this, { destructor, data: 0 });
      }
    };
    const host = this;
    this.native = (name: string) => function (this: unknown, ...args: unknown[]): unknown {
      return host.#callNative(name, this, args);
    };
  }

  /** The xsMachine* handed to C (created on first use). */
  get machine(): number {
    if (this.#machine === 0) this.#init();
    return this.#machine;
  }

  #init(): void {
    const wasm = this.#wasm();
    this.#machine = wasm.call('sim_xs_machine');
    this.#saved = wasm.malloc(MAX_DEPTH * 8);
    this.#thisOffset = wasm.call('sim_xs_layout', 0);
    this.#resultOffset = wasm.call('sim_xs_layout', 1);
    if (this.#thisOffset !== 4 * SLOT || this.#resultOffset !== SLOT || wasm.call('sim_xs_layout', 2) !== -SLOT) {
      throw new Error('xs.h frame layout is not the one c/xs-shim.c and xs-host.ts write');
    }
  }

  /**
   * Run `fn` (which calls into C) as a host call: XS values created meanwhile live until the
   * outermost one returns, and the machine's stack is restored even when `fn` throws.
   */
  run<T>(fn: () => T): T {
    if (this.#machine === 0) this.#init();
    const wasm = this.#wasm();
    if (this.#depth >= MAX_DEPTH) throw new RangeError('native calls nested too deeply');
    const saved = this.#saved + 8 * this.#depth;
    wasm.call('sim_xs_enter', 0, saved);
    this.#depth++;
    try {
      return fn();
    } finally {
      this.#endCall(saved);
    }
  }

  #callNative(name: string, self: unknown, args: unknown[]): unknown {
    if (this.#machine === 0) this.#init();
    const wasm = this.#wasm();
    const fn = wasm.exports[name];
    if (typeof fn !== 'function') throw new Error(`no native function ${name} on the virtual board`);
    if (this.#depth >= MAX_DEPTH) throw new RangeError('native calls nested too deeply');
    const saved = this.#saved + 8 * this.#depth;
    const frame = wasm.call('sim_xs_enter', args.length, saved);
    this.#depth++;
    try {
      this.#write(frame + this.#thisOffset, self);
      for (let i = 0; i < args.length; i++) this.#write(frame - (2 + i) * SLOT, args[i]);
      fn(this.#machine);
      return this.#read(frame + this.#resultOffset);
    } finally {
      this.#endCall(saved);
    }
  }

  #endCall(saved: number): void {
    const wasm = this.#wasm();
    const buffers = this.#buffers[this.#depth];
    if (buffers !== undefined && buffers.length > 0) {
      for (const b of buffers) {
        if (b.writable) b.target.set(wasm.u8.subarray(b.pointer, b.pointer + b.target.length));
        wasm.free(b.pointer);
      }
      buffers.length = 0;
    }
    this.#depth--;
    wasm.call('sim_xs_leave', saved);
    if (this.#depth === 0) this.#dropTemporaries();
  }

  #dropTemporaries(): void {
    const temporaries = this.#temporaries;
    for (let i = 0; i < temporaries.length; i++) {
      const handle = temporaries[i];
      if (!this.#pins.has(handle)) this.#release(handle);
    }
    temporaries.length = 0;
  }

  #release(handle: number): void {
    this.#values[handle] = undefined;
    this.#free.push(handle);
  }

  #handle(value: unknown): number {
    const handle = this.#free.pop() ?? this.#values.length;
    this.#values[handle] = value;
    this.#temporaries.push(handle);
    return handle;
  }

  /** Encode a JavaScript value into the slot at `pointer`. */
  #write(pointer: number, value: unknown): void {
    const view = this.#wasm().view;
    let kind: Kind;
    let integer = 0;
    let number = 0;
    if (value === undefined) kind = Kind.Undefined;
    else if (value === null) kind = Kind.Null;
    else if (typeof value === 'boolean') {
      kind = Kind.Boolean;
      integer = value ? 1 : 0;
    } else if (typeof value === 'number') {
      if ((value | 0) === value && !Object.is(value, -0)) {
        kind = Kind.Integer;
        integer = value;
      } else {
        kind = Kind.Number;
        number = value;
      }
    } else {
      kind = Kind.Reference;
      integer = this.#handle(value);
    }
    view.setInt32(pointer, kind, true);
    view.setInt32(pointer + 4, integer, true);
    view.setFloat64(pointer + 8, number, true);
  }

  #read(pointer: number): unknown {
    const view = this.#wasm().view;
    switch (view.getInt32(pointer, true)) {
      case Kind.Null: return null;
      case Kind.Boolean: return view.getInt32(pointer + 4, true) !== 0;
      case Kind.Integer: return view.getInt32(pointer + 4, true);
      case Kind.Number: return view.getFloat64(pointer + 8, true);
      case Kind.Reference: return this.#value(view.getInt32(pointer + 4, true));
      default: return undefined;
    }
  }

  #value(handle: number): unknown {
    if (handle <= 0 || handle >= this.#values.length) throw new Error(`stale XS value handle ${handle} (a slot used after its host call without xsRemember)`);
    return this.#values[handle];
  }

  #hostRecord(handle: number): HostRecord {
    const value = this.#value(handle);
    const record = typeof value === 'object' || typeof value === 'function' ? this.#hosts.get(value as object) : undefined;
    if (record === undefined) throw new SyntaxError('C: xsGetHostData: not a host object');
    return record;
  }

  #bytesOf(value: unknown): Uint8Array {
    if (value instanceof ArrayBuffer) return new Uint8Array(value);
    if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
    throw new TypeError('C: xsmcGetBuffer: not a buffer');
  }

  /** The functions c/xs-shim.c imports. */
  imports(): Record<string, (...args: never[]) => unknown> {
    const wasm = (): Wasm => this.#wasm();
    return {
      sim_xs_to_number: (handle: number) => Number(this.#value(handle)),
      sim_xs_to_int32: (value: number) => value | 0,
      sim_xs_test: (handle: number) => (this.#value(handle) ? 1 : 0),
      sim_xs_get_host_data: (handle: number, validator: number, validate: number) => {
        const record = this.#hostRecord(handle);
        if (validate && wasm().fn(validator) !== wasm().exports[record.destructor]) throw new SyntaxError('C: xsGetHostData: invalid host data');
        return record.data;
      },
      sim_xs_set_host_data: (handle: number, data: number) => {
        this.#hostRecord(handle).data = data;
      },
      sim_xs_get_buffer: (handle: number, dataOut: number, countOut: number, writable: number) => {
        const bytes = this.#bytesOf(this.#value(handle));
        const w = wasm();
        const pointer = w.copyIn(bytes);
        (this.#buffers[this.#depth] ??= []).push({ pointer, target: bytes, writable: writable !== 0 });
        w.setU32(dataOut, pointer);
        w.setU32(countOut, bytes.length);
        return 0;
      },
      sim_xs_array_buffer_length: (handle: number) => {
        const value = this.#value(handle);
        if (!(value instanceof ArrayBuffer)) throw new TypeError('C: xsGetArrayBufferLength: not an ArrayBuffer');
        return value.byteLength;
      },
      sim_xs_set_array_buffer_data: (handle: number, offset: number, data: number, size: number) => {
        const value = this.#value(handle);
        if (!(value instanceof ArrayBuffer)) throw new TypeError('C: xsSetArrayBufferData: not an ArrayBuffer');
        if (offset < 0 || size < 0 || offset + size > value.byteLength) throw new RangeError('C: xsSetArrayBufferData: out of range');
        new Uint8Array(value, offset, size).set(wasm().u8.subarray(data, data + size));
      },
      sim_xs_remember: (slot: number) => {
        const view = wasm().view;
        if (view.getInt32(slot, true) !== Kind.Reference) return;
        const handle = view.getInt32(slot + 4, true);
        this.#remembered.set(slot, handle);
        this.#pins.set(handle, (this.#pins.get(handle) ?? 0) + 1);
      },
      sim_xs_forget: (slot: number) => {
        const handle = this.#remembered.get(slot);
        if (handle === undefined) return;
        this.#remembered.delete(slot);
        const count = (this.#pins.get(handle) ?? 1) - 1;
        if (count > 0) this.#pins.set(handle, count);
        else {
          this.#pins.delete(handle);
          if (this.#depth === 0) this.#release(handle);
          else this.#temporaries.push(handle);
        }
      },
      sim_xs_run_count: (stack: number, count: number) => {
        const args: unknown[] = [];
        for (let i = 0; i < count; i++) args.push(this.#read(stack + (count - 1 - i) * SLOT));
        const fn = this.#read(stack + count * SLOT);
        const self = this.#read(stack + (count + 1) * SLOT);
        if (typeof fn !== 'function') throw new TypeError('C: xsCall: not a function');
        const result = (fn as (...a: unknown[]) => unknown).apply(self, args);
        this.#write(stack + (count + 1) * SLOT, result);
      },
      sim_xs_throw: (error: number, message: number): never => {
        const Kind = ERRORS[error] ?? Error;
        throw new Kind(wasm().cString(message));
      },
    };
  }
}
