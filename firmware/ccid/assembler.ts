/**
 * Bulk OUT reassembly (CCID Rev 1.1 §6.1: a message is the 10-byte header plus dwLength bytes, sent
 * as one USB transfer). Bytes arrive in packets or whole transfers; a chunk whose length is not a
 * multiple of the packet size (a short or zero-length packet, USB 2.0 §5.8.3) ends the transfer.
 *
 * What reaches `deliver` (a view into the one buffer, valid during the call):
 * - a whole message, as soon as its dwLength bytes are in;
 * - a transfer that ended early, as far as it went: it decodes as Malformed (bError 1) or, with
 *   fewer than 10 bytes, as Truncated, which has no bSeq to answer and is dropped;
 * - for a message longer than the buffer (dwMaxCCIDMessageLength), its header only once its bytes
 *   have been skipped or its transfer ended: it decodes as Malformed (bError 1). A huge dwLength
 *   followed only by full packets swallows them until a short packet ends the transfer: the host
 *   broke the framing, and the next transfer boundary restores it.
 */
import { HEADER_LENGTH } from './constants.js';
import { announcedLength } from './messages.js';

export class MessageAssembler {
  readonly #buffer: Uint8Array;
  readonly #packetSize: number;
  readonly #deliver: (message: Uint8Array) => void;
  #length = 0;
  /** Bytes of an oversized message still to skip; its header stays in the buffer. */
  #skip = 0;
  #skipping = false;

  constructor(maxMessageLength: number, packetSize: number, deliver: (message: Uint8Array) => void) {
    this.#buffer = new Uint8Array(maxMessageLength);
    this.#packetSize = packetSize;
    this.#deliver = deliver;
  }

  push(chunk: Uint8Array): void {
    let pos = 0;
    while (pos < chunk.length) {
      if (this.#length === 0 && !this.#skipping && chunk.length - pos >= HEADER_LENGTH) {
        // A whole message inside the chunk (the usual case: one transfer, one message) goes up as a
        // view of the chunk, valid during the call like the buffer's: no copy.
        // dwLength (§6.1), read in place.
        const total = HEADER_LENGTH + ((chunk[pos + 1] | (chunk[pos + 2] << 8) | (chunk[pos + 3] << 16) | (chunk[pos + 4] << 24)) >>> 0);
        if (total <= this.#buffer.length && total <= chunk.length - pos) {
          this.#deliver(pos === 0 && total === chunk.length ? chunk : chunk.subarray(pos, pos + total));
          pos += total;
          continue;
        }
      }
      if (this.#skipping) {
        const n = Math.min(this.#skip, chunk.length - pos);
        this.#skip -= n;
        pos += n;
        if (this.#skip === 0) this.#flushOversized();
        continue;
      }
      if (this.#length < HEADER_LENGTH) {
        const n = Math.min(HEADER_LENGTH - this.#length, chunk.length - pos);
        this.#buffer.set(chunk.subarray(pos, pos + n), this.#length);
        this.#length += n;
        pos += n;
        if (this.#length < HEADER_LENGTH) continue;
        const dwLength = announcedLength(this.#buffer);
        if (dwLength > this.#buffer.length - HEADER_LENGTH) {
          this.#skipping = true;
          this.#skip = dwLength;
          continue;
        }
      }
      const total = HEADER_LENGTH + announcedLength(this.#buffer);
      const n = Math.min(total - this.#length, chunk.length - pos);
      this.#buffer.set(chunk.subarray(pos, pos + n), this.#length);
      this.#length += n;
      pos += n;
      if (this.#length === total) this.#complete(total);
    }
    if ((chunk.length === 0 || chunk.length % this.#packetSize !== 0) && (this.#skipping || this.#length > 0)) this.#endOfTransfer();
  }

  /** Forget a partial message (bus reset, de-configuration). */
  reset(): void {
    this.#length = 0;
    this.#skip = 0;
    this.#skipping = false;
  }

  #endOfTransfer(): void {
    if (this.#skipping) {
      this.#flushOversized();
    } else if (this.#length > 0) {
      this.#complete(this.#length);
    }
  }

  #flushOversized(): void {
    this.#skipping = false;
    this.#skip = 0;
    this.#complete(HEADER_LENGTH);
  }

  #complete(length: number): void {
    this.#length = 0;
    this.#deliver(this.#buffer.subarray(0, length));
  }
}
