/** Test helper: run the real `ccid-reader` command as a user would, through its built JavaScript. */
import { execFile } from 'node:child_process';
import { ensureCliBuilt, REPO_ROOT } from './build.js';

export { REPO_ROOT };

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function runCli(args: readonly string[], input?: string, cwd: string = REPO_ROOT): Promise<CliResult> {
  const bin = ensureCliBuilt();
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, [bin, ...args], { cwd, maxBuffer: 64 << 20, timeout: 120_000 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') return reject(error);
      resolve({ code: error ? (error.code as number) : 0, stdout, stderr });
    });
    if (input !== undefined) child.stdin?.end(input);
    else child.stdin?.end();
  });
}
