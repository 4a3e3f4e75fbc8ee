/**
 * Protocol set-up: the link the negotiation chose (or the host's parameters) put in force. The
 * turnaround after the last character at the old rate, the UART at the new F, D, N and convention,
 * the transport — T=0 (§10, with the waiting time of §10.2) or the T=1 link (§11, with its S(IFS)
 * request first, §11.4.2) — and the attributes that show it.
 */
import { TraceCategory } from '../../../hal/common/trace.js';
import { ECHO_CLASS, T0Transport } from '../t0/transport.js';
import { T1BlockExchange } from '../t1/block-exchange.js';
import { T1Link } from '../t1/link.js';
import { Dd, etuToNs, Fd, TURNAROUND_ETU_T0, TURNAROUND_ETU_T1, workWaitingEtu } from '../timing.js';
import type { Transport } from '../transport.js';
import type { LinkParameters } from './atr-plan.js';
import type { SessionCore } from './core.js';

/** T=0 character repetitions before a parity error is reported (hardware readers use 3–7). */
const DEFAULT_REPETITIONS = 4;
/** §11.4.2: the largest IFSD, announced by S(IFS request) as the first T=1 block. */
const DEFAULT_IFSD = 254;

export class ProtocolSetup {
  readonly #s: SessionCore;
  /** The link in force and its transport, by protocol (the TPDU level and class bytes need the concrete one). */
  link: LinkParameters | null = null;
  transport: Transport | null = null;
  t0: T0Transport | null = null;
  t1: T1Link | null = null;
  /** TPDU level under T=1: raw blocks, bypassing the T=1 link. */
  block: T1BlockExchange | null = null;
  #classGetResponse: number;
  #classEnvelope: number;

  constructor(core: SessionCore) {
    this.#s = core;
    this.#classGetResponse = core.options.classGetResponse ?? ECHO_CLASS;
    this.#classEnvelope = core.options.classEnvelope ?? ECHO_CLASS;
  }

  /** CCID T0APDU: the class bytes of the GET RESPONSE and ENVELOPE that the T=0 mapping sends. */
  setClassBytes(getResponse: number, envelope: number): void {
    this.#classGetResponse = getResponse;
    this.#classEnvelope = envelope;
    this.t0?.setClassBytes(getResponse, envelope);
  }

  /** New parameters on the card in force (CCID SetParameters at the same rate): the link is rebuilt. */
  reopen(next: LinkParameters, before: LinkParameters): void {
    this.#s.go('protocol-setup');
    this.close();
    this.openAfterTurnaround(next, before);
  }

  /**
   * The last character received may still be inside its error-signal window when it is read, and a
   * new UART cannot know when it started: release the line, let the turnaround pass at the rate of
   * the old UART (`before`; absent: the ATR's Fd/Dd), then open the link. The turnaround counts from
   * `sinceNs`: after the ATR, from its completion, so the wait for quiet after it (ATR_QUIET_ETU)
   * overlaps the turnaround instead of adding to it.
   */
  openAfterTurnaround(link: LinkParameters, before?: LinkParameters, sinceNs = this.#s.scheduler.now()): void {
    const s = this.#s;
    s.go('protocol-setup');
    s.closeUart();
    const etu = link.protocol === 1 ? TURNAROUND_ETU_T1 : TURNAROUND_ETU_T0;
    const wait = before ? etuToNs(etu, before.F, before.D, before.clockHz) : etuToNs(etu, Fd, Dd, s.atrClockHz);
    s.after(Math.max(0, sinceNs + wait - s.scheduler.now()), () => this.#open(link));
  }

  /** The attributes of `link` (slot.ts SlotAttributes), without touching the line. */
  show(link: LinkParameters): void {
    const attrs = this.#s.attrs;
    attrs.protocol = link.protocol;
    attrs.fiIndex = link.fiIndex;
    attrs.diIndex = link.diIndex;
    attrs.F = link.F;
    attrs.D = link.D;
    attrs.waitFi = link.waitFi;
    attrs.N = link.N;
    attrs.WI = link.WI;
    attrs.ifsc = link.ifsc;
    attrs.bwi = link.bwi;
    attrs.cwi = link.cwi;
    attrs.edc = link.edc;
  }

  #open(link: LinkParameters): void {
    const s = this.#s;
    this.link = link;
    const attrs = s.attrs;
    const requested = s.parts.negotiation.requested;
    if (requested) attrs.nad = requested.parameters.nad;
    this.show(link);
    s.closeUart();
    if (link.clockHz !== attrs.clockHz) {
      s.contacts.setClock(link.clockHz);
      attrs.clockHz = link.clockHz;
    }
    const protocol = link.protocol;
    const uart = s.openUart({
      clockHz: link.clockHz, F: link.F, D: link.D, convention: s.convention, N: link.N, protocol,
      repetitions: protocol === 0 ? s.options.repetitions ?? DEFAULT_REPETITIONS : 0,
      edc: link.edc,
    });
    s.log(TraceCategory.PROTOCOL, `T=${protocol} at F ${link.F} D ${link.D} f ${link.clockHz} Hz (${link.mode} mode)`);
    if (protocol === 0) {
      this.t0 = new T0Transport({
        uart, scheduler: s.scheduler, trace: s.trace,
        waitingEtu: workWaitingEtu(link.WI, link.waitFi, link.F, link.D),
        classGetResponse: this.#classGetResponse, classEnvelope: this.#classEnvelope,
        maxResponseLength: s.options.maxResponseLength,
      });
      this.transport = this.t0;
      s.go('ready');
      return s.finish(null);
    }
    const t1: T1Link = new T1Link({
      uart, scheduler: s.scheduler, trace: s.trace, clockHz: link.clockHz, F: link.F, D: link.D,
      ifsc: link.ifsc, cwi: link.cwi, bwi: link.bwi, edc: link.edc, nad: attrs.nad, ifsd: s.options.ifsd ?? DEFAULT_IFSD,
      maxResponseLength: s.options.maxResponseLength,
      onFatal: (error) => {
        if (this.transport !== t1) return;
        // §11.6 rule 6.4: resynchronisation failed; the link is dead.
        s.log(TraceCategory.ERROR, `T=1 link lost (${error}): deactivating`);
        s.deactivateToUnpowered();
        // A command the host started from the failed one's callback ends with the same error.
        s.failPending(error, true);
      },
    });
    this.transport = t1;
    this.t1 = t1;
    this.block = new T1BlockExchange(uart, s.scheduler);
    if (s.parts.negotiation.mode === 'host') {
      // The host runs T=1 itself, its own S(IFS request) included (slot.ts PowerOnOptions).
      s.go('ready');
      return s.finish(null);
    }
    // §11.4.2: the reader announces its IFSD with S(IFS request) as its first block.
    t1.negotiateIfsd((error) => {
      if (this.transport !== t1 || s.state !== 'protocol-setup') return;
      if (error !== null) {
        s.log(TraceCategory.ERROR, `T=1 S(IFS) exchange failed (${error})`);
        s.deactivateToUnpowered();
        return s.finish(error);
      }
      s.attrs.ifsd = t1.ifsd;
      s.go('ready');
      s.finish(null);
    });
  }

  /** No link in force (warm reset, deactivation): the transport stops for good. */
  close(): void {
    this.transport?.close();
    this.block?.cancel();
    this.transport = null;
    this.t0 = null;
    this.t1 = null;
    this.block = null;
    this.link = null;
  }
}
