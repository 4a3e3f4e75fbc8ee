/**
 * Kept byte buffers for the simulated cards: data collected across characters or blocks (a chained
 * command, ENVELOPE pieces) goes into one buffer that grows when it must and is reused after, so
 * collecting allocates nothing per character.
 */

/** `data` written at `length` in `buffer`, or in a larger copy of it when it does not fit; the buffer to keep. */
export function appendGrowing(buffer: Uint8Array<ArrayBuffer>, length: number, data: Uint8Array): Uint8Array<ArrayBuffer> {
  let into = buffer;
  if (length + data.length > buffer.length) {
    into = new Uint8Array(Math.max(2 * buffer.length, length + data.length));
    into.set(buffer.subarray(0, length));
  }
  into.set(data, length);
  return into;
}
