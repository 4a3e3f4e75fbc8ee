/**
 * `--card NAME|FILE` and the control socket's `insert NAME|FILE`: a built-in card by name, else a
 * scripted card read from a JSON file. The file is read without ever blocking the process (a long-running
 * `serve` must keep answering USB/IP while it reads): only a regular file is read, opened
 * non-blocking so a FIFO cannot stall the open, and never more than MAX_CARD_FILE_BYTES of it. Errors
 * are values (the caller prints them).
 */
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import type { SimCard } from '../../hal/sim/card.js';
import { findCard } from '../../hal/sim/cards/registry.js';
import { resolveCard } from '../reader/reader.js';

/** A scripted card is a few KB of JSON; a megabyte leaves room for long traces replayed as steps. */
export const MAX_CARD_FILE_BYTES = 1 << 20;

/** The file's text, or why it cannot be a card file. */
export async function readCardFile(path: string): Promise<{ text: string } | { error: string }> {
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { error: code === 'ENOENT' ? 'no such file' : `cannot open (${code ?? String(error)})` };
  }
  try {
    const stat = await handle.stat();
    if (stat.isDirectory()) return { error: `${path} is a directory, not a scripted card (a JSON file) nor a built-in card (see 'ccid-reader cards')` };
    if (!stat.isFile()) return { error: `${path}: not a regular file` };
    if (stat.size > MAX_CARD_FILE_BYTES) return { error: `${path}: larger than ${MAX_CARD_FILE_BYTES} bytes` };
    // The size may change after the stat: read at most one byte more than allowed, to notice.
    const buffer = Buffer.alloc(MAX_CARD_FILE_BYTES + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > MAX_CARD_FILE_BYTES) return { error: `${path}: larger than ${MAX_CARD_FILE_BYTES} bytes` };
    }
    return { text: buffer.toString('utf8', 0, length) };
  } catch (error) {
    return { error: `${path}: cannot read (${(error as NodeJS.ErrnoException).code ?? String(error)})` };
  } finally {
    await handle.close();
  }
}

/** A built-in card by name, else the scripted card in the file `spec`. */
export async function loadCard(spec: string, seed: number): Promise<{ card: SimCard } | { error: string }> {
  if (findCard(spec) === undefined) {
    const file = await readCardFile(spec);
    if ('error' in file) {
      return { error: file.error === 'no such file' ? `no built-in card '${spec}' and no such file (see 'ccid-reader cards')` : file.error };
    }
    return resolveCard(spec, seed, () => file.text);
  }
  return resolveCard(spec, seed, () => '');
}
