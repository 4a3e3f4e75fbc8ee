/**
 * Loads a hal/moddable module on the host with the XS host-object machinery replaced by test
 * doubles: `Native(destructor)` is a plain base class, `native(name)` calls the function registered
 * under that name (our stand-in for the C function of the same name), and the Moddable `timer`
 * module (and scheduler.c's timer, on top of it) is a manual timer. Only the platform edge is replaced; the module's own code runs as is.
 */
import { build, type Plugin } from 'esbuild';
import { fileURLToPath } from 'node:url';

export type NativeFunction = (self: Record<string, unknown>, ...args: unknown[]) => unknown;

export interface FakeTimer {
  readonly callback: () => void;
  readonly delayMs: number;
  cleared: boolean;
}

interface Platform {
  natives: Map<string, NativeFunction>;
  timers: FakeTimer[];
}

const platform: Platform = { natives: new Map(), timers: [] };

Object.assign(globalThis, {
  Native: (destructor: string) => class {
    readonly destructor = destructor;
  },
  native: (name: string) => function (this: Record<string, unknown>, ...args: unknown[]) {
    const fn = platform.natives.get(name);
    if (!fn) throw new Error(`no native ${name}`);
    return fn(this, ...args);
  },
  __fakeTimer: {
    set(callback: () => void, delayMs = 0): FakeTimer {
      const timer: FakeTimer = { callback, delayMs, cleared: false };
      platform.timers.push(timer);
      return timer;
    },
    clear(timer: FakeTimer | undefined): void {
      if (timer) timer.cleared = true;
    },
  },
});

/**
 * scheduler.c's one-shot timer on the manual timer: `start(µs)` sets a timer of µs / 1000 ms (so
 * the tests fire it as they fire Moddable Timers), a new start or a stop clears the previous one.
 */
const SCHEDULER_TIMER: Record<string, NativeFunction> = {
  xs_scheduler_timer: (self, fired) => {
    self.fired = fired;
  },
  xs_scheduler_timer_start: (self, delayUs) => {
    (globalThis as unknown as { __fakeTimer: { clear(t: unknown): void } }).__fakeTimer.clear(self.timer);
    const fired = self.fired as () => void;
    self.timer = (globalThis as unknown as { __fakeTimer: { set(cb: () => void, ms: number): FakeTimer } }).__fakeTimer
      .set(() => fired(), (delayUs as number) / 1000);
  },
  xs_scheduler_timer_stop: (self) => {
    (globalThis as unknown as { __fakeTimer: { clear(t: unknown): void } }).__fakeTimer.clear(self.timer);
  },
};

/** Register the stand-ins for the C functions a module calls (replacing earlier ones). */
export function natives(functions: Record<string, NativeFunction>): void {
  platform.natives.clear();
  for (const [name, fn] of Object.entries({ ...SCHEDULER_TIMER, ...functions })) platform.natives.set(name, fn);
}

/** Timers set through the Moddable `timer` module, oldest first. */
export function timers(): FakeTimer[] {
  return platform.timers;
}

const timerModule: Plugin = {
  name: 'moddable-timer',
  setup(b) {
    b.onResolve({ filter: /^timer$/ }, () => ({ path: 'timer', namespace: 'moddable' }));
    b.onLoad({ filter: /.*/, namespace: 'moddable' }, () => ({ contents: 'export default globalThis.__fakeTimer;', loader: 'js' }));
  },
};

/**
 * Module specifiers the device build resolves through the manifest: `files` maps them to files of
 * the repository, `sources` to code given here (stand-ins for Moddable modules).
 */
export interface ModuleMap {
  files?: Record<string, string>;
  sources?: Record<string, string>;
}

function moduleMap(map: ModuleMap): Plugin {
  return {
    name: 'module-map',
    setup(b) {
      b.onResolve({ filter: /^[a-z]+[:/]|^[a-z]+$/ }, (args) => {
        if (map.files && args.path in map.files) return { path: fileURLToPath(new URL(`../../${map.files[args.path]}`, import.meta.url)) };
        if (map.sources && args.path in map.sources) return { path: args.path, namespace: 'source' };
        return undefined;
      });
      b.onLoad({ filter: /.*/, namespace: 'source' }, (args) => ({ contents: map.sources![args.path], loader: 'js' }));
    },
  };
}

/** Bundle a repository file (with its imports, resolved as the manifest would) and import it. */
export async function loadBundle<T>(path: string, map: ModuleMap = {}): Promise<T> {
  const entry = fileURLToPath(new URL(`../../${path}`, import.meta.url));
  const result = await build({
    entryPoints: [entry], bundle: true, write: false, format: 'esm', platform: 'neutral',
    plugins: [timerModule, moduleMap(map)], logLevel: 'silent',
  });
  const code = result.outputFiles[0].text;
  return (await import(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`)) as T;
}

/** Bundle hal/moddable/<name>.ts (with its relative imports) and import it. */
export function loadDeviceModule<T>(name: string): Promise<T> {
  return loadBundle<T>(`hal/moddable/${name}.ts`);
}
