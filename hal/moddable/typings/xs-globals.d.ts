/**
 * Globals of the XS engine that hal/moddable uses, declared for the host type-check only
 * (tsconfig.moddable.json). mcconfig uses the Moddable SDK's own declarations on the device build,
 * which are looser (`any`); code written against these also compiles against those.
 *
 * - `Native(destructor)`: the base class of a host object whose C record XS frees with `destructor`.
 * - `native(name)`: the C function `name` as a host function, called with `.call(this, ...)`.
 * - `trace(...)`: prints to the Moddable console / xsbug.
 */
declare function Native(destructor: string): new () => object;
declare function native(name: string): (this: unknown, ...args: unknown[]) => unknown;
declare function trace(...values: (string | number | boolean)[]): void;
