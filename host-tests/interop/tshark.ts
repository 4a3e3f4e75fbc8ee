/** tshark (Wireshark's dissectors) as an independent decoder of our captures. */
import { requirePackages } from '../setup/debian-packages.js';
import { run } from './processes.js';

/** `tshark -r FILE -Y FILTER -T fields -e …`: one row per frame, one string per field. */
export async function tsharkFields(file: string, filter: string, fields: readonly string[], extra: readonly string[] = []): Promise<string[][]> {
  requirePackages('tshark');
  const args = ['-r', file, ...extra, '-Y', filter, '-T', 'fields', '-E', 'separator=/t', ...fields.flatMap((f) => ['-e', f])];
  const result = await run('tshark', args, { timeoutMs: 60_000 });
  if (result.code !== 0) throw new Error(`tshark ${args.join(' ')} failed:\n${result.stderr}`);
  return result.stdout.split('\n').filter((line) => line !== '').map((line) => line.split('\t'));
}

/** Frames tshark marks malformed or with an expert error. */
export async function tsharkProblems(file: string, extra: readonly string[] = []): Promise<string[][]> {
  return tsharkFields(file, '_ws.malformed || _ws.expert.severity == "Error"', ['frame.number', '_ws.expert.message'], extra);
}
