/**
 * Child processes for the interop harness: each in its own process group (so a kill reaches its
 * children), output kept for diagnostics, and every wait bounded.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

export interface Managed {
  readonly child: ChildProcess;
  /** stdout and stderr so far, interleaved. */
  output(): string;
  /** Resolves when output matching `pattern` has appeared; rejects after `timeoutMs` or on exit. */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray>;
  /** SIGTERM to the group, SIGKILL after `graceMs`; resolves once the process has exited. */
  stop(graceMs?: number): Promise<void>;
}

export function startManaged(command: string, args: readonly string[], options: SpawnOptions = {}): Managed {
  const child = spawn(command, args, { ...options, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  const listeners = new Set<() => void>();
  const append = (chunk: Buffer): void => {
    text += chunk.toString('utf8');
    if (text.length > 4 << 20) text = text.slice(-(2 << 20));
    for (const l of [...listeners]) l();
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  let exited = child.exitCode !== null;
  const exit = new Promise<void>((resolve) => {
    child.once('close', () => {
      exited = true;
      for (const l of [...listeners]) l();
      resolve();
    });
    child.once('error', (error) => {
      text += `\n[spawn error: ${error.message}]\n`;
      exited = true;
      for (const l of [...listeners]) l();
      resolve();
    });
  });

  const signal = (name: NodeJS.Signals): void => {
    if (exited || child.pid === undefined) return;
    try {
      process.kill(-child.pid, name);
    } catch {
      // The group is already gone.
    }
  };

  return {
    child,
    output: () => text,
    waitFor: (pattern, timeoutMs) => new Promise((resolve, reject) => {
      const check = (): void => {
        const match = pattern.exec(text);
        if (match) return finish(() => resolve(match));
        if (exited) return finish(() => reject(new Error(`${command} exited before ${pattern}:\n${text.slice(-4000)}`)));
      };
      const timer = setTimeout(() => finish(() => reject(new Error(`timeout waiting for ${pattern} from ${command}:\n${text.slice(-4000)}`))), timeoutMs);
      const finish = (then: () => void): void => {
        clearTimeout(timer);
        listeners.delete(check);
        then();
      };
      listeners.add(check);
      check();
    }),
    stop: async (graceMs = 3000) => {
      signal('SIGTERM');
      const timer = setTimeout(() => signal('SIGKILL'), graceMs);
      await exit;
      clearTimeout(timer);
    },
  };
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion (killed as a group after `timeoutMs`). */
export function run(command: string, args: readonly string[], options: SpawnOptions & { timeoutMs?: number; input?: string } = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { ...options, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (c: Buffer) => { stdout += c.toString('utf8'); });
    child.stderr?.on('data', (c: Buffer) => { stderr += c.toString('utf8'); });
    // A child that exits before reading its input must not turn into an EPIPE that ends the test process.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(options.input ?? '');
    const timer = setTimeout(() => {
      stderr += `\n[killed after ${options.timeoutMs} ms]`;
      if (child.pid !== undefined) {
        try { process.kill(-child.pid, 'SIGKILL'); } catch { /* already gone */ }
      }
    }, options.timeoutMs ?? 30_000);
    child.once('error', (error) => {
      clearTimeout(timer);
      resolve({ code: null, stdout, stderr: stderr + error.message });
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
