/**
 * Exchange dispatch: each command to the card goes to the transport in force (an APDU, or a T=0
 * TPDU) or, for a raw T=1 block at the CCID TPDU level, to the block exchange; a stopped clock is
 * restarted first, and a card in negotiable mode first takes its default protocol (§9) — unless
 * the host's TPDU is a PPS request. abort() of an exchange is the transport's.
 */
import type { TransmitResult } from '../../../hal/interfaces/slot.js';
import { TraceCategory } from '../../../hal/common/trace.js';
import { isCommandApdu } from '../apdu.js';
import { PPSS } from '../pps/codec.js';
import type { Transport } from '../transport.js';
import type { SessionCore } from './core.js';
import type { PendingOperation } from './pending.js';
import { commandRefusal } from './states.js';

type Finish = (result: TransmitResult) => void;

export class Exchange {
  readonly #s: SessionCore;

  constructor(core: SessionCore) {
    this.#s = core;
  }

  transmitApdu(apdu: Uint8Array, done: Finish, onWaiting?: (multiplier: number) => void): void {
    const s = this.#s;
    if (s.state === 'negotiable') {
      return s.parts.negotiation.settle(null, (error) => done({ error, response: null }), () => this.transmitApdu(apdu, done, onWaiting));
    }
    // Bytes that are no command APDU (ISO 7816-4 §5.1) reach neither protocol: §12.1 cannot map them
    // onto T=0, and a T=1 card would only answer 6700; both refuse them alike, before the card.
    const refused = commandRefusal(s.state);
    if (refused === null && !isCommandApdu(apdu)) {
      s.log(TraceCategory.ERROR, 'malformed APDU, not sent');
      return s.later(() => done({ error: 'BAD_APDU_LENGTH', response: null }));
    }
    if (refused === null && !s.attrs.clockStopped) {
      // The usual case, without #run's closure (every APDU comes this way).
      const finish = this.#begin(done, false);
      return s.parts.protocol.transport!.transmitApdu(apdu, finish, onWaiting);
    }
    this.#run(done, false, (transport, finish) => transport.transmitApdu(apdu, finish, onWaiting), refused);
  }

  transmitTpdu(tpdu: Uint8Array, bwiMultiplier: number, done: Finish, onWaiting?: (multiplier: number) => void): void {
    const s = this.#s;
    if (s.state === 'negotiable') {
      if (tpdu.length > 0 && tpdu[0] === PPSS) return s.parts.negotiation.hostPps(tpdu, done);
      return s.parts.negotiation.settle(null, (error) => done({ error, response: null }), () => this.transmitTpdu(tpdu, bwiMultiplier, done, onWaiting));
    }
    const protocol = s.parts.protocol;
    this.#run(done, protocol.t1 !== null, (_transport, finish) => {
      if (protocol.t0) return protocol.t0.transmitTpdu(tpdu, bwiMultiplier, finish, onWaiting);
      const t1 = protocol.t1!;
      const multiplier = bwiMultiplier >= 1 ? bwiMultiplier : 1;
      protocol.block!.start(tpdu, t1.bwtEtu * multiplier, t1.cwtEtu, finish);
    });
  }

  /**
   * One exchange with the card. A mute card is deactivated (§10.2 T=0: WT exceeded; §11.6 T=1: the
   * link's recovery exhausted) except after a raw T=1 block, whose recovery (R-blocks,
   * resynchronisation) is the host's.
   */
  #run(done: Finish, rawBlock: boolean, start: (transport: Transport, finish: Finish) => void, refused = commandRefusal(this.#s.state)): void {
    const s = this.#s;
    if (refused) return s.later(() => done({ error: refused, response: null }));
    if (s.attrs.clockStopped) {
      s.begin({ kind: 'exchange', done });
      return s.parts.clock.change(false, () => {
        s.pending = null;
        this.#run(done, rawBlock, start);
      });
    }
    const finish = this.#begin(done, rawBlock);
    start(s.parts.protocol.transport!, finish);
  }

  /** The exchange begins (the card's clock running): the session is busy until the returned `finish`. */
  #begin(done: Finish, rawBlock: boolean): Finish {
    const s = this.#s;
    const op: PendingOperation = { kind: 'exchange', done };
    s.begin(op);
    s.go(rawBlock ? 'raw-block' : 'busy');
    const transport = s.parts.protocol.transport!;
    return (result) => {
      if (s.parts.protocol.transport !== transport || s.pending !== op) return;
      s.pending = null;
      s.go('ready');
      if (result.error === 'ICC_MUTE' && !rawBlock) {
        s.log(TraceCategory.ERROR, 'card mute during a command: deactivating');
        s.deactivateToUnpowered();
      }
      done(result);
    };
  }

  /** Abandon the exchange in progress: its `done` gets CMD_ABORTED (the transport's, or here for a raw block). */
  abort(): void {
    const s = this.#s;
    if (s.state === 'raw-block') {
      s.parts.protocol.block!.cancel();
      s.go('ready');
      return s.failPending('CMD_ABORTED', true);
    }
    if (s.state === 'busy') s.parts.protocol.transport!.abort();
  }
}
