/**
 * A board's USB identity (idVendor, idProduct, product string), read from the board's own data so
 * that `host-setup` lists exactly the ID the board enumerates with: `sim` from boards/sim/board.ts,
 * an ESP32-S3 board from the `usb` entry of its host/provider.js (the device's
 * embedded:provider/builtin, which firmware/main.ts hands to the CCID class). The provider is read as
 * text — it imports platform modules Node cannot load — so its `vendorId` and `productId` must be
 * number literals; absent, the firmware uses its defaults (firmware/ccid/descriptors.ts) and so does
 * this reader.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SIM_BOARD_USB } from '../../boards/sim/board.js';
import { ESP32S3_BOARDS } from '../reader/board-names.js';
import { TEST_PRODUCT_ID, TEST_VENDOR_ID } from '../../firmware/ccid/descriptors.js';

/** The firmware's product string when the board names none (firmware/ccid/descriptors.ts). */
const DEFAULT_PRODUCT = 'ccid-reader ESP32-S3 CCID';

export interface BoardUsb {
  /** The board as named on the command line. */
  readonly board: string;
  readonly vendorId: number;
  readonly productId: number;
  readonly product: string;
  /** Where the values come from. */
  readonly source: string;
}

/** The package's boards folder: two levels up from this module, in the sources and in build/cli alike. */
export const BOARDS_DIR = fileURLToPath(new URL('../../boards/', import.meta.url));

/** Board names `--board` takes: `sim`, the virtual boards' names, every folder of boards/ with a host/provider.js. */
export function boardNames(): string[] {
  const devices = existsSync(BOARDS_DIR)
    ? readdirSync(BOARDS_DIR).filter((name) => existsSync(join(BOARDS_DIR, name, 'host', 'provider.js'))).sort()
    : [];
  return ['sim', ...Object.keys(ESP32S3_BOARDS), ...devices];
}

/** The text of the object literal after `key:` (balanced braces), or null. */
function objectAfter(text: string, key: RegExp): string | null {
  const match = key.exec(text);
  if (match === null) return null;
  const open = text.indexOf('{', match.index + match[0].length);
  if (open < 0) return null;
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '{') depth++;
    else if (text[i] === '}' && --depth === 0) return text.slice(open, i + 1);
  }
  return null;
}

function numberField(object: string, name: string): number | null | 'not-a-literal' {
  const field = new RegExp(`\\b${name}\\s*:\\s*([^,}\\n]+)`).exec(object);
  if (field === null) return null;
  const literal = field[1].trim();
  if (!/^(0x[0-9a-fA-F]+|\d+)$/.test(literal)) return 'not-a-literal';
  return Number(literal);
}

/** The USB identity in a provider.js text; errors are values. */
export function providerUsb(text: string, board: string, source: string): BoardUsb | { error: string } {
  const usb = objectAfter(text, /\busb\s*:\s*(Object\.freeze\()?/);
  if (usb === null) return { error: `${source}: no usb entry` };
  const vendorId = numberField(usb, 'vendorId');
  const productId = numberField(usb, 'productId');
  for (const [name, value] of [['vendorId', vendorId], ['productId', productId]] as const) {
    if (value === 'not-a-literal') return { error: `${source}: usb.${name} must be a number literal (0x1209) for host-setup to read it` };
    if (typeof value === 'number' && (value < 0 || value > 0xffff)) return { error: `${source}: usb.${name} ${value} is not a 16-bit USB ID` };
  }
  const product = /\bproduct\s*:\s*(["'])((?:(?!\1).)*)\1/.exec(usb)?.[2] ?? DEFAULT_PRODUCT;
  return {
    board,
    vendorId: typeof vendorId === 'number' ? vendorId : TEST_VENDOR_ID,
    productId: typeof productId === 'number' ? productId : TEST_PRODUCT_ID,
    product,
    source,
  };
}

/**
 * `--board NAME|DIR`: `sim`, a reader board of `sim`/`serve` (`esp32s3`, `esp32s3-2slot`: the
 * folders they are wired as), a folder name under boards/, or a board folder's path.
 */
export function boardUsb(spec: string): BoardUsb | { error: string } {
  if (spec === 'sim') return { board: 'sim', ...SIM_BOARD_USB, source: 'boards/sim/board.ts' };
  if (Object.hasOwn(ESP32S3_BOARDS, spec)) {
    const folder = ESP32S3_BOARDS[spec as keyof typeof ESP32S3_BOARDS].folder;
    const usb = boardUsb(folder);
    return 'error' in usb ? usb : { ...usb, board: spec };
  }
  const isPath = spec.includes('/') || spec.startsWith('.');
  const dir = isPath ? (isAbsolute(spec) ? spec : resolve(spec)) : join(BOARDS_DIR, spec);
  const provider = join(dir, 'host', 'provider.js');
  if (!existsSync(provider) || !statSync(provider).isFile()) {
    return { error: isPath ? `${spec}: not a board folder (no host/provider.js)` : `no board '${spec}' (boards: ${boardNames().join(', ')})` };
  }
  return providerUsb(readFileSync(provider, 'utf8'), spec, isPath ? provider : `boards/${spec}/host/provider.js`);
}
