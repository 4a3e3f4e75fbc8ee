/** Small helpers shared by the session tests and scenarios (no Node APIs: the scenarios also run in XS). */
export function bytes(hexText: string): Uint8Array {
  const clean = hexText.replace(/\s+/g, '');
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function hex(data: Uint8Array | readonly number[] | null | undefined): string {
  if (!data) return 'null';
  let s = '';
  for (let i = 0; i < data.length; i++) s += (data[i] < 16 ? '0' : '') + data[i].toString(16).toUpperCase();
  return s;
}
