/**
 * Test helper: run a command's `run()` in this process and keep what it writes. It swaps the
 * process's stdout and stderr writers while it runs, so tests using it are `test.serial`.
 */
export interface Captured {
  code: number;
  stdout: string;
  stderr: string;
}

export async function captured(run: () => Promise<number>): Promise<Captured> {
  const out = process.stdout.write;
  const err = process.stderr.write;
  let stdout = '';
  let stderr = '';
  process.stdout.write = ((s: string | Uint8Array) => { stdout += String(s); return true; }) as typeof out;
  process.stderr.write = ((s: string | Uint8Array) => { stderr += String(s); return true; }) as typeof err;
  try {
    return { code: await run(), stdout, stderr };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}
