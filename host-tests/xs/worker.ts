/**
 * A real XS engine (the @agoric/xsnap worker) driven from Node. Scripts are evaluated inside a guard
 * so a throwing script is reported instead of killing the worker; requests are JSON objects routed to
 * handlers that scripts register in `globalThis.__xsHandlers`, and each reply comes with XS's own
 * meter: `compute` (computrons, deterministic) and heap figures.
 */
import './lockdown-env.js';
import '@endo/init';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { xsnap } from '@agoric/xsnap';
import { xsEngineBuilt } from '../setup/xs-engine.js';

export interface XsMeter {
  /** Computrons used by the request: a deterministic count of XS operations. */
  compute: number;
  /** Heap slots in use when the request ended. */
  currentHeapCount: number;
  /** Bytes the engine has allocated for its heaps and chunks (grows only). */
  allocate: number;
}

export interface XsReply {
  reply: unknown;
  meter: XsMeter;
}

export interface XsWorker {
  /** Evaluate a script; a throw inside it is returned as a message (null when it ran). */
  load(name: string, script: string): Promise<string | null>;
  /** Call the handler `op` registered by a loaded script with `args`; its JSON result and the meter. */
  request(op: string, args?: unknown): Promise<XsReply>;
  close(): Promise<void>;
}

/** Installed first: the request router, and the guard scripts are loaded through. */
const PRELUDE = `
globalThis.__xsHandlers = {};
globalThis.__xsDescribe = (e) => {
  if (e && typeof e === 'object' && 'message' in e) return e.stack ? String(e.stack) : String(e.name || 'Error') + ': ' + String(e.message);
  return String(e);
};
globalThis.handleCommand = (buffer) => {
  let out;
  try {
    const { op, args } = JSON.parse(new TextDecoder().decode(new Uint8Array(buffer)));
    const handler = globalThis.__xsHandlers[op];
    out = handler ? { ok: handler(args) } : { error: 'no handler for ' + op };
  } catch (e) {
    out = { error: globalThis.__xsDescribe(e) };
  }
  return new TextEncoder().encode(JSON.stringify(out)).buffer;
};
globalThis.__xsHandlers.loadError = (name) => globalThis.__xsLoadErrors[name] ?? null;
globalThis.__xsLoadErrors = {};
`;

const decoder = new TextDecoder();
const encoder = new TextEncoder();

export interface XsWorkerOptions {
  name: string;
  /** Computron limit per request or script; 0 for the engine's default. */
  meteringLimit?: number;
}

export async function startXsWorker(options: XsWorkerOptions): Promise<XsWorker> {
  if (!xsEngineBuilt()) throw new Error('the XS engine is not built: it needs gcc, libc6-dev and make (apt-get install gcc libc6-dev make), then npm test builds it');
  const worker = await xsnap({
    os: os.type(),
    spawn,
    fs: { ...fs, ...fs.promises, tmpName: () => { throw new Error('snapshots are not used'); } },
    name: options.name,
    meteringLimit: options.meteringLimit ?? 0,
    stdout: 'ignore',
    stderr: 'ignore',
  });
  await worker.evaluate(PRELUDE);

  async function request(op: string, args?: unknown): Promise<XsReply> {
    const { reply, meterUsage } = await worker.issueCommand(encoder.encode(JSON.stringify({ op, args })));
    const parsed = JSON.parse(decoder.decode(reply)) as { ok?: unknown; error?: string };
    if (parsed.error !== undefined) throw new Error(`XS: ${parsed.error}`);
    return {
      reply: parsed.ok,
      meter: {
        compute: meterUsage.compute ?? 0,
        currentHeapCount: meterUsage.currentHeapCount ?? 0,
        allocate: meterUsage.allocate ?? 0,
      },
    };
  }

  return {
    async load(name, script) {
      const key = JSON.stringify(name);
      await worker.evaluate(`try {\n${script}\n} catch (e) { globalThis.__xsLoadErrors[${key}] = globalThis.__xsDescribe(e); }`);
      return (await request('loadError', name)).reply as string | null;
    },
    request,
    async close() {
      await worker.close();
    },
  };
}
