/**
 * The reader list in libccid's Info.plist: three parallel arrays, entry i of `ifdVendorID`,
 * `ifdProductID` and `ifdFriendlyName` describing one reader. pcsc-lite reads the bundle's Info.plist
 * and opens a USB device only when some driver lists its idVendor:idProduct (hotplug_libudev.c,
 * "Looking for a driver for VID: …, PID: …"), however standard its CCID descriptors are.
 *
 * The edits are textual and exactly reversible: `addReader` appends one line to each array in the
 * file's own indentation; `removeReader` deletes those lines again, so add-then-remove gives back the
 * same bytes. Pure text functions; errors are values.
 */

export interface ReaderEntry {
  readonly vendorId: number;
  readonly productId: number;
  readonly name: string;
}

const KEYS = ['ifdVendorID', 'ifdProductID', 'ifdFriendlyName'] as const;

interface Item {
  readonly value: string;
  readonly at: number;
  readonly to: number;
  readonly lineStart: number;
  readonly lineEnd: number;
}

interface ArraySpan {
  /** Offset of the first character after `<array>`. */
  readonly start: number;
  /** Offset of `</array>`. */
  readonly end: number;
  /** The `<string>` values, unescaped, with their offsets and those of their lines. */
  readonly items: readonly Item[];
}

const unescape = (text: string): string =>
  text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
const escape = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function arraySpan(plist: string, key: string): ArraySpan | { error: string } {
  const keyAt = plist.indexOf(`<key>${key}</key>`);
  if (keyAt < 0) return { error: `Info.plist has no ${key}` };
  const open = plist.indexOf('<array>', keyAt);
  const end = plist.indexOf('</array>', keyAt);
  if (open < 0 || end < 0 || end < open) return { error: `Info.plist: ${key} is not an array` };
  const start = open + '<array>'.length;
  const items: Item[] = [];
  const pattern = /<string>([^<]*)<\/string>/g;
  pattern.lastIndex = start;
  for (let m = pattern.exec(plist); m !== null && m.index < end; m = pattern.exec(plist)) {
    const lineStart = plist.lastIndexOf('\n', m.index) + 1;
    const newline = plist.indexOf('\n', m.index);
    items.push({ value: unescape(m[1]), at: m.index, to: m.index + m[0].length, lineStart, lineEnd: newline < 0 ? plist.length : newline + 1 });
  }
  return { start, end, items };
}

function spans(plist: string): ArraySpan[] | { error: string } {
  const out: ArraySpan[] = [];
  for (const key of KEYS) {
    const span = arraySpan(plist, key);
    if ('error' in span) return span;
    out.push(span);
  }
  if (out.some((s) => s.items.length !== out[0].items.length)) {
    return { error: `Info.plist: ${KEYS.join(', ')} differ in length (${out.map((s) => s.items.length).join(', ')})` };
  }
  return out;
}

function hexId(text: string): number {
  return /^0x[0-9a-f]{1,4}$/i.test(text.trim()) ? parseInt(text.trim().slice(2), 16) : Number.NaN;
}

/** The listed readers, in order. */
export function readerEntries(plist: string): ReaderEntry[] | { error: string } {
  const s = spans(plist);
  if ('error' in s) return s;
  return s[0].items.map((v, i) => ({ vendorId: hexId(v.value), productId: hexId(s[1].items[i].value), name: s[2].items[i].value }));
}

/** Whether pcscd would find a driver for vendorId:productId in this list. */
export function listsReader(plist: string, vendorId: number, productId: number): boolean | { error: string } {
  const entries = readerEntries(plist);
  if ('error' in entries) return entries;
  return entries.some((e) => e.vendorId === vendorId && e.productId === productId);
}

export const plistId = (id: number): string => `0x${id.toString(16).toUpperCase().padStart(4, '0')}`;

/** The lines `addReader` appends, as they appear in the file. */
export function entryLines(entry: ReaderEntry): [string, string, string] {
  return [plistId(entry.vendorId), plistId(entry.productId), escape(entry.name)].map((v) => `<string>${v}</string>`) as [string, string, string];
}

/** Appends the entry to the three arrays (even if already listed: check `listsReader` first). */
export function addReader(plist: string, entry: ReaderEntry): string | { error: string } {
  const s = spans(plist);
  if ('error' in s) return s;
  const lines = entryLines(entry);
  let out = plist;
  // From the array furthest into the file to the first, so earlier offsets stay valid.
  for (const k of [0, 1, 2].sort((a, b) => s[b].end - s[a].end)) {
    const span = s[k];
    const closingLine = out.lastIndexOf('\n', span.end) + 1;
    if (out.slice(closingLine, span.end).trim() !== '') {
      out = `${out.slice(0, span.end)}${lines[k]}${out.slice(span.end)}`;
      continue;
    }
    const last = span.items[span.items.length - 1];
    const indent = last === undefined ? '\t\t' : /^[ \t]*/.exec(out.slice(last.lineStart))![0];
    out = `${out.slice(0, closingLine)}${indent}${lines[k]}\n${out.slice(closingLine)}`;
  }
  return out;
}

/**
 * Removes the last entry listing vendorId:productId under `name` (what `addReader` appended), line by
 * line; null when there is none.
 */
export function removeReader(plist: string, entry: ReaderEntry): string | null | { error: string } {
  const s = spans(plist);
  if ('error' in s) return s;
  let index = -1;
  for (let i = s[0].items.length - 1; i >= 0 && index < 0; i--) {
    if (hexId(s[0].items[i].value) === entry.vendorId && hexId(s[1].items[i].value) === entry.productId && s[2].items[i].value === entry.name) index = i;
  }
  if (index < 0) return null;
  let out = plist;
  for (const k of [0, 1, 2].sort((a, b) => s[b].end - s[a].end)) {
    const item = s[k].items[index];
    // A line holding only this element goes whole; otherwise only the element.
    const alone = out.slice(item.lineStart, item.at).trim() === '' && out.slice(item.to, item.lineEnd).trim() === '';
    out = alone ? out.slice(0, item.lineStart) + out.slice(item.lineEnd) : out.slice(0, item.at) + out.slice(item.to);
  }
  return out;
}
