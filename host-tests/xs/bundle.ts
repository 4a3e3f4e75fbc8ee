/**
 * Bundling TypeScript for the XS engine: one classic script per entry (esbuild, iife, es2022), with
 * the entry's exports on a global. Code that runs in XS must not reach Node: any `node:*` or Node
 * built-in import fails the bundle with the importer named, instead of surfacing later as a missing
 * global inside XS.
 */
import { builtinModules } from 'node:module';
import { build, type Plugin } from 'esbuild';

const NODE_BUILTINS = new Set(builtinModules);

/** Rejects `node:*` and bare Node built-ins (`fs`, `path/posix`, …) at resolve time. */
const noNodeBuiltins: Plugin = {
  name: 'no-node-builtins',
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) => {
      const root = args.path.split('/')[0];
      if (args.path.startsWith('node:') || NODE_BUILTINS.has(args.path) || NODE_BUILTINS.has(root)) {
        return { errors: [{ text: `Node built-in '${args.path}' imported by ${args.importer}: code run in XS may not use Node APIs` }] };
      }
      return undefined;
    });
  },
};

export interface BundleOptions {
  /** A file to bundle, or source text (resolved against `resolveDir`). */
  entry: { file: string } | { contents: string; resolveDir: string };
  /** Global variable that receives the entry module's namespace. */
  globalName: string;
  /** Extra esbuild defines, e.g. to pick a configuration at build time. */
  define?: Record<string, string>;
}

/** Bundle to one script; throws with esbuild's messages when resolution or compilation fails. */
export async function bundleForXs(options: BundleOptions): Promise<string> {
  const entry = 'file' in options.entry
    ? { entryPoints: [options.entry.file] }
    : { stdin: { contents: options.entry.contents, resolveDir: options.entry.resolveDir, loader: 'ts' as const } };
  const result = await build({
    ...entry,
    bundle: true,
    write: false,
    format: 'iife',
    globalName: options.globalName,
    platform: 'neutral',
    target: 'es2022',
    mainFields: ['module', 'main'],
    define: options.define ?? {},
    plugins: [noNodeBuiltins],
    logLevel: 'silent',
    legalComments: 'none',
  });
  return result.outputFiles[0].text;
}
