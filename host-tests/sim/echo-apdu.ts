/**
 * The file-system applet's ECHO command (CLA 80 INS EE, hal/sim/cards/fs-applet.ts) with `size` data
 * bytes of a fixed pattern and Le = size: short up to 255 bytes, extended above. Shared by the line
 * benchmark and the golden line records, which must send the very same bytes.
 */
export function echoApdu(size: number): Uint8Array {
  const extended = size > 255;
  const head = extended ? [0x80, 0xee, 0, 0, 0, size >> 8, size & 0xff] : [0x80, 0xee, 0, 0, size];
  const tail = extended ? [size >> 8, size & 0xff] : [size & 0xff];
  const apdu = new Uint8Array(head.length + size + tail.length);
  apdu.set(head);
  for (let i = 0; i < size; i++) apdu[head.length + i] = (i * 31 + 7) & 0xff;
  apdu.set(tail, head.length + size);
  return apdu;
}
