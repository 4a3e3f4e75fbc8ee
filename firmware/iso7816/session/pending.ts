/**
 * The one operation a session has in progress, as an explicit record (the Slot runs one at a time):
 * what the host asked for and how it ends. Completion, failure (removal, fault, power-off) and
 * abort() all work from this record, so no callback stands for an operation it was not made for.
 */
import type { PowerOnResult, SlotError, TransmitResult } from '../../../hal/interfaces/slot.js';

export type PendingOperation =
  /** powerOn: activation, ATR, PPS, protocol set-up (§6.2 to §11). */
  | { readonly kind: 'power-on'; readonly done: (result: PowerOnResult) => void }
  /** setParameters: a new link at the same rate, or a warm reset and PPS for another one. */
  | { readonly kind: 'set-parameters'; readonly done: (error: SlotError | null) => void }
  /** setClock: CLK stopped or restarted (§6.3.2). */
  | { readonly kind: 'clock'; readonly done: (error: SlotError | null) => void }
  /** Leaving negotiable mode for the default protocol at Fd/Dd (§9) before `then` runs. */
  | { readonly kind: 'settle'; readonly then: () => void; readonly fail: (error: SlotError) => void }
  /** The host's PPS request; `response` is the card's, kept from its acceptance until the new link is in force. */
  | { readonly kind: 'host-pps'; readonly done: (result: TransmitResult) => void; response: Uint8Array | null }
  /** One exchange with the card: an APDU, a TPDU, or a raw T=1 block. */
  | { readonly kind: 'exchange'; readonly done: (result: TransmitResult) => void };

/** The operation ends: successfully (`error` null) or not; `atr` is what powerOn reports on success. */
export function complete(op: PendingOperation, error: SlotError | null, atr: Uint8Array | null): void {
  switch (op.kind) {
    case 'power-on':
      return op.done({ error, atr: error === null ? atr : null });
    case 'set-parameters':
    case 'clock':
      return op.done(error);
    case 'settle':
      return error === null ? op.then() : op.fail(error);
    case 'host-pps':
      return op.done(error === null ? { error: null, response: op.response } : { error, response: null });
    case 'exchange':
      // An exchange's success carries the card's response and comes from its transport, not from here.
      return op.done({ error, response: null });
  }
}

/** The operation fails with `error`, whatever it was doing. */
export function fail(op: PendingOperation, error: SlotError): void {
  complete(op, error, null);
}

/**
 * Whether abort() can end the operation by deactivating the card: everything that changes the card's
 * mode or rate (activation, PPS, a new link) cannot stop halfway (slot.ts abort). An exchange is
 * abandoned by its transport instead; a clock change always completes.
 */
export function abortDeactivates(op: PendingOperation): boolean {
  return op.kind === 'power-on' || op.kind === 'set-parameters' || op.kind === 'settle' || op.kind === 'host-pps';
}
