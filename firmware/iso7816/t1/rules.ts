/**
 * What a valid block from the card means to the reader, ISO/IEC 7816-3 §11.6, given what the reader
 * last asked for (the phase): pure, so each branch names the rule it applies and the link only
 * carries the verdict out. "Valid" means the block passed LEN, EDC, PCB and NAD checks; a block
 * that does not fit the phase is an invalid block all the same (rules 7.1–7.3 answer it).
 */
import { describePcb, type SType, type T1Block } from './block.js';
import type { Failure } from './block-line.js';
import type { T1Phase } from './states.js';

export type BlockVerdict =
  /** The card's S(request): rules 3 (WTX), 4 (IFS), 9 (ABORT), 6 (RESYNCH, the reader's alone). */
  | { readonly kind: 's-request'; readonly type: SType; readonly value: number | null }
  /** Rule 6.3: the card answered our S(RESYNCH request). */
  | { readonly kind: 'resynchronised' }
  /** Rule 4: the card echoed the IFSD of our S(IFS request). */
  | { readonly kind: 'ifs-accepted' }
  /** Rule 5: the card acknowledged our chained I-block: the next one goes. */
  | { readonly kind: 'next-chunk' }
  /** The card's R-block asking for our last block again (its rule 7.1 / 7.2); `failure` for the record. */
  | { readonly kind: 'resend'; readonly failure: Failure }
  /**
   * An I-block of the card's answer (rule 2). `acknowledges`: it also acknowledges our last I-block
   * (the first block of the answer); `inSequence`: its N(S) is the one expected (else rule 7.1).
   */
  | { readonly kind: 'i-block'; readonly acknowledges: boolean; readonly inSequence: boolean }
  /** An invalid block, `why` for the trace. */
  | { readonly kind: 'invalid'; readonly why: string };

/** Where the reader's sending stands (sender.ts T1Sender). */
export interface SendPosition {
  /** N(S) of the reader's next I-block, and N(S) expected from the card. */
  readonly ns: 0 | 1;
  readonly nr: 0 | 1;
  /** The reader's last I-block had more of the command after it. */
  readonly chaining: boolean;
}

const RESYNCHRONISED: BlockVerdict = Object.freeze({ kind: 'resynchronised' });
const IFS_ACCEPTED: BlockVerdict = Object.freeze({ kind: 'ifs-accepted' });
const NEXT_CHUNK: BlockVerdict = Object.freeze({ kind: 'next-chunk' });
const RESEND_EDC: BlockVerdict = Object.freeze({ kind: 'resend', failure: 'edc' });
const RESEND_OTHER: BlockVerdict = Object.freeze({ kind: 'resend', failure: 'other' });
/** By [acknowledges][inSequence]. */
function iBlock(acknowledges: boolean, inSequence: boolean): BlockVerdict {
  return Object.freeze({ kind: 'i-block', acknowledges, inSequence });
}
const I_BLOCK: readonly (readonly BlockVerdict[])[] = Object.freeze([
  Object.freeze([iBlock(false, false), iBlock(false, true)]),
  Object.freeze([iBlock(true, false), iBlock(true, true)]),
]);

function invalid(why: string): BlockVerdict {
  return { kind: 'invalid', why };
}

/**
 * The verdict on `block` (whose PCB byte is `pcb`, for the trace) in `phase`, with the reader's
 * sending at `at`, and `ifsdAsked` the IFSD of our S(IFS request).
 */
export function judgeBlock(block: T1Block, pcb: number, phase: T1Phase, at: SendPosition, ifsdAsked: number): BlockVerdict {
  if (block.kind === 'S') {
    if (!block.response) return { kind: 's-request', type: block.type, value: block.value };
    if (phase === 'resynch' && block.type === 'RESYNCH') return RESYNCHRONISED;
    if (phase === 'ifs' && block.type === 'IFS' && block.value === ifsdAsked) return IFS_ACCEPTED;
    // Rule 7.1 / 7.2: an S(response) nobody asked for is an invalid block.
    return invalid(`unexpected ${describePcb(pcb)}`);
  }
  if (phase === 'ifs' || phase === 'resynch') {
    // Rule 7.3: an I- or R-block does not answer our S(request); send it again.
    return invalid(`${describePcb(pcb)} while waiting for an S(response)`);
  }
  if (block.kind === 'R') {
    if (phase === 'send' && block.nr !== at.ns) {
      // Rule 5: the card acknowledged our chained I-block. Rule 7.1: the last block of our chain must
      // be answered by an I-block, not acknowledged.
      return at.chaining ? NEXT_CHUNK : invalid('R-block acknowledging the last block of the chain');
    }
    // The card did not get our last block (its rule 7.1 / 7.2 R-block): in our chain N(R) names the
    // I-block to send again (rule 7.1); while receiving, our last block (R or S response) goes again (rule 7.2).
    return block.error === 'edc' ? RESEND_EDC : RESEND_OTHER;
  }
  // Rule 5: while we chain, the card may only acknowledge with R-blocks.
  if (phase === 'send' && at.chaining) return invalid('I-block inside our chain');
  // Rule 2: the card's first I-block acknowledges our last I-block; rule 7.1: a wrong N(S) makes it invalid.
  return I_BLOCK[phase === 'send' ? 1 : 0][block.ns === at.nr ? 1 : 0];
}
