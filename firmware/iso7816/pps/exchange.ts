/**
 * The reader's side of one PPS exchange (ISO/IEC 7816-3 §9) on an open UART: the request goes out
 * as the UART has room, the reply comes in framed by PPS0, and §9.3 judges it. Buffers are sized
 * once; the session keeps the timing (initial waiting time) and what follows.
 */
import type { CardUart } from '../../../hal/interfaces/card-uart.js';
import { checkPpsResponse, encodePpsRequest, PPS_MAX_LENGTH, ppsRemaining, type PpsOutcome } from './codec.js';

export class PpsExchange {
  readonly #request = new Uint8Array(PPS_MAX_LENGTH);
  readonly #response = new Uint8Array(PPS_MAX_LENGTH);
  #requestLength = 0;
  #sent = 0;
  #responseLength = 0;

  /** Encode the request (PPS1 only with `rate`) and start sending it; returns a view of it. */
  start(uart: CardUart, protocol: number, rate: { fiIndex: number; diIndex: number } | null): Uint8Array {
    this.#requestLength = encodePpsRequest(this.#request, protocol, rate);
    this.#sent = 0;
    this.#responseLength = 0;
    this.pump(uart);
    return this.#request.subarray(0, this.#requestLength);
  }

  /** Start sending a request built by someone else (the host, at the CCID TPDU level), copied as is. */
  startRaw(uart: CardUart, request: Uint8Array): void {
    this.#request.set(request.subarray(0, PPS_MAX_LENGTH));
    this.#requestLength = request.length < PPS_MAX_LENGTH ? request.length : PPS_MAX_LENGTH;
    this.#sent = 0;
    this.#responseLength = 0;
    this.pump(uart);
  }

  /** Send what is left of the request (UART onWritable). */
  pump(uart: CardUart): void {
    while (this.#sent < this.#requestLength && uart.writable > 0) uart.write(this.#request[this.#sent++]);
  }

  /** The reply so far (a view). */
  get response(): Uint8Array {
    return this.#response.subarray(0, this.#responseLength);
  }

  /** Take the bytes the UART holds: null while the reply is incomplete, else the §9.3 verdict. */
  read(uart: CardUart): PpsOutcome | null {
    for (;;) {
      const byte = uart.read();
      if (byte === undefined) return null;
      this.#response[this.#responseLength++] = byte;
      const remaining = ppsRemaining(this.#response, this.#responseLength);
      if (remaining < 0) return { kind: 'rejected', reason: 'bad-ppss' };
      if (remaining === 0) return checkPpsResponse(this.#request, this.#requestLength, this.#response, this.#responseLength);
    }
  }
}
