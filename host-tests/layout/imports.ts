/**
 * The repository's import graph, read from the sources: every static import and re-export (type-only
 * ones too: a type import is an arrow of the picture), side-effect import, dynamic import and require.
 * Statements start a line, as everywhere in this repository; dynamic forms are matched anywhere.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../../', import.meta.url));
const packageJson = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
};
const npmPackages = new Set([...Object.keys(packageJson.dependencies ?? {}), ...Object.keys(packageJson.devDependencies ?? {})]);
const nodeBuiltins = new Set(builtinModules);
/** Top-level folders whose modules XS names by their path (`hal/moddable/card-uart`). */
const REPO_FOLDERS = ['firmware/', 'hal/', 'boards/', 'host-tests/'];

export type Kind = 'repo' | 'node' | 'npm' | 'platform';
export interface Edge {
  from: string;
  specifier: string;
  kind: Kind;
  /** Repository path of the imported module (kind 'repo'), without extension. */
  to: string;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(path.join(root, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.(ts|js|mjs)$/.test(e.name) && !e.name.endsWith('.d.ts'))
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)))
    .filter((f) => !f.includes('node_modules'))
    .sort();
}

const STATIC_IMPORT =
  /^(?:import|export)\s+(?:type\s+)?(?:\*(?:\s+as\s+[\w$]+)?|\{[^}]*\}|[\w$]+(?:\s*,\s*(?:\{[^}]*\}|\*\s+as\s+[\w$]+))?)\s+from\s*['"]([^'"]+)['"]/gm;
const BARE_IMPORT = /^import\s*['"]([^'"]+)['"]/gm;
const DYNAMIC_IMPORT = /(?<![.\w$])(?:import|require)\s*\(\s*['"]([^'"]+)['"]/g;

export function stripExtension(file: string): string {
  return file.replace(/\.(ts|js|mjs)$/, '');
}

function edgesOf(file: string): Edge[] {
  const text = readFileSync(path.join(root, file), 'utf8');
  const specifiers = [STATIC_IMPORT, BARE_IMPORT, DYNAMIC_IMPORT].flatMap((re) => [...text.matchAll(re)].map((m) => m[1]));
  return specifiers.map((specifier) => {
    let kind: Kind;
    let to = '';
    if (specifier.startsWith('.')) {
      kind = 'repo';
      to = stripExtension(path.normalize(path.join(path.dirname(file), specifier)));
    } else if (REPO_FOLDERS.some((folder) => specifier.startsWith(folder))) {
      kind = 'repo'; // an XS module specifier from the manifest's module map
      to = stripExtension(specifier);
    } else if (specifier.startsWith('node:') || nodeBuiltins.has(specifier.split('/')[0])) {
      kind = 'node';
    } else if (npmPackages.has(specifier) || [...npmPackages].some((p) => specifier.startsWith(`${p}/`))) {
      kind = 'npm';
    } else {
      kind = 'platform';
    }
    return { from: stripExtension(file), specifier, kind, to };
  });
}

/** Every source file of the repository's four code folders, as paths from the root. */
export const files = ['firmware', 'hal', 'boards', 'host-tests'].flatMap(sourceFiles);
export const edges = files.flatMap(edgesOf);
export const under = (module: string, folder: string) => module === folder || module.startsWith(`${folder}/`);
export const show = (e: Edge) => `${e.from} imports '${e.specifier}'`;

