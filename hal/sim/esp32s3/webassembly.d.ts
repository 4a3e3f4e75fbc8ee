/**
 * The part of the WebAssembly JavaScript API the virtual ESP32-S3 board uses (Node has it; the
 * project's TypeScript libraries, es2023 without the DOM, do not declare it).
 */
declare namespace WebAssembly {
  type ImportValue = ((...args: never[]) => unknown) | Memory | Table | number;
  type ModuleImports = Record<string, ImportValue>;
  type Imports = Record<string, ModuleImports>;
  type Exports = Record<string, unknown>;

  class Module {
    constructor(bytes: Uint8Array);
    static imports(module: Module): { module: string; name: string; kind: string }[];
    static exports(module: Module): { name: string; kind: string }[];
  }

  class Instance {
    constructor(module: Module, imports?: Imports);
    readonly exports: Exports;
  }

  class Memory {
    readonly buffer: ArrayBuffer;
    grow(pages: number): number;
  }

  class Table {
    readonly length: number;
    get(index: number): unknown;
  }
}
