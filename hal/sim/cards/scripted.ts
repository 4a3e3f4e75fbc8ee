/**
 * Scripted cards (`ccid-reader sim --card FILE`, `serve --card FILE`). The file is one JSON object:
 * - `name` (string, optional) and `atr` (HEX, the answer to every reset);
 * - `atrDelayCycles` (number ≥ 0, optional): clock cycles from the end of reset to the ATR's first
 *   character (default 12 000; ISO 7816-3 §8.1 allows 400 to 40 000);
 * - `pps` (optional): "echo" (default: a request the card can honour is echoed, §9.3), "mute" (no
 *   answer to any PPS request), or HEX (the bytes answered, whatever was asked);
 * - `steps`: an array of `{ "expect": HEX or "*", "reply": [...] }`, played in order; `"*"` accepts
 *   any transmission. A reply item is HEX (bytes sent), `{ "waitEtu": n }` (silence first),
 *   `{ "badParity": HEX }` (bytes sent with wrong parity) or `{ "mute": true }` (the card stops
 *   answering). HEX is hex digits, spaces or colons allowed between bytes.
 * Examples: host-tests/blackbox/scripts/*.json.
 *
 * The card answers reset with the script's ATR, handles
 * PPS as the script says, then checks each transmission of the reader against the next step's
 * `expect` and plays its `reply`. Framing of one transmission:
 * - T=1 (ISO 7816-3 §11.3): one block, NAD PCB LEN INF EDC, with LRC or CRC as the ATR announces.
 * - T=0 (§10.3): a 5-byte command header, or the data bytes after a procedure byte: all remaining
 *   (P3 minus those already sent) after INS, one after INS ⊕ FF. A HEX `expect` sets the length itself.
 * A reset replays ATR and PPS without consuming a step. On a mismatch the script fails with the
 * 1-based step number and a reason, and the card goes mute for good. A script that simply was not
 * played to its end reports `completed: false`, no failed step, and the reason `ended before step N`.
 *
 * `{ "badParity": HEX }` sends those bytes with wrong parity on every transmission, repetitions
 * included (CardSendOptions.badParity). T=0 (§7.3): the reader signals the error, the card repeats,
 * and once the reader's repetition bound is reached it gives up on the exchange with a parity error;
 * so in T=0 a badParity item ends the reply: what follows it in `reply` is not sent (it could only
 * collide with the reader's next command), and the card waits for the next command header, the
 * next step. T=1 has no error signal: the block goes out whole, bad bytes and all, and the reader
 * answers it with an R-block (§11.6.2), which the next step can expect.
 */
import type { ScriptStatus, SimCard } from '../card.js';
import { parseHex, toHex } from '../hex.js';
import { BaseCard, type PpsPolicy } from './base.js';

type ReplyItem = { bytes: Uint8Array; bad: boolean } | { waitEtu: number } | { mute: true };

interface Step {
  expect: Uint8Array | '*';
  reply: ReplyItem[];
}

interface Script {
  name: string;
  atr: Uint8Array;
  atrDelayCycles?: number;
  pps: PpsPolicy;
  steps: Step[];
}

export type ScriptedCard = SimCard & { status(): ScriptStatus };

const MAX_STEPS = 100_000;

export function parseScriptedCard(json: unknown): { card: ScriptedCard } | { error: string } {
  const script = parseScript(json);
  if (typeof script === 'string') return { error: script };
  return { card: new ScriptCard(script) };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseScript(json: unknown): Script | string {
  if (!isObject(json)) return 'the script must be a JSON object';
  const name = json.name ?? 'scripted';
  if (typeof name !== 'string' || name.length === 0) return 'name: must be a non-empty string';
  if (typeof json.atr !== 'string') return 'atr: must be a HEX string';
  const atr = nonEmptyHex(json.atr, 'atr');
  if (typeof atr === 'string') return atr;
  let atrDelayCycles: number | undefined;
  if (json.atrDelayCycles !== undefined) {
    const d = json.atrDelayCycles;
    if (typeof d !== 'number' || !Number.isFinite(d) || d < 0) return 'atrDelayCycles: must be a number ≥ 0';
    atrDelayCycles = d;
  }
  let pps: PpsPolicy = 'echo';
  if (json.pps !== undefined) {
    if (json.pps === 'echo' || json.pps === 'mute') pps = json.pps;
    else {
      const bytes = typeof json.pps === 'string' ? parseHex(json.pps) : null;
      if (bytes === null || 'error' in bytes || bytes.bytes.length === 0) {
        return `pps: must be "echo", "mute" or non-empty HEX${bytes !== null && 'error' in bytes ? ` (${bytes.error})` : ''}`;
      }
      pps = bytes.bytes;
    }
  }
  if (!Array.isArray(json.steps)) return 'steps: must be an array';
  if (json.steps.length > MAX_STEPS) return `steps: at most ${MAX_STEPS}`;
  const steps: Step[] = [];
  for (let i = 0; i < json.steps.length; i++) {
    const step = parseStep(json.steps[i], `steps[${i}]`);
    if (typeof step === 'string') return step;
    steps.push(step);
  }
  return { name, atr, atrDelayCycles, pps, steps };
}

/** A HEX field that must hold at least one byte: the bytes, or the message naming the field. */
function nonEmptyHex(text: string, field: string, wanted = 'non-empty HEX'): Uint8Array | string {
  const parsed = parseHex(text);
  if ('error' in parsed) return `${field}: ${parsed.error}`;
  return parsed.bytes.length > 0 ? parsed.bytes : `${field}: must be ${wanted}`;
}

function parseStep(raw: unknown, at: string): Step | string {
  if (!isObject(raw)) return `${at}: must be an object`;
  let expect: Step['expect'];
  if (raw.expect === '*') expect = '*';
  else {
    if (typeof raw.expect !== 'string') return `${at}.expect: must be "*" or non-empty HEX`;
    const bytes = nonEmptyHex(raw.expect, `${at}.expect`, '"*" or non-empty HEX');
    if (typeof bytes === 'string') return bytes;
    expect = bytes;
  }
  const reply: ReplyItem[] = [];
  const items = raw.reply ?? [];
  if (!Array.isArray(items)) return `${at}.reply: must be an array`;
  for (let k = 0; k < items.length; k++) {
    const item = items[k];
    const where = `${at}.reply[${k}]`;
    if (typeof item === 'string') {
      const parsed = parseHex(item);
      if ('error' in parsed) return `${where}: ${parsed.error}`;
      reply.push({ bytes: parsed.bytes, bad: false });
    } else if (isObject(item) && 'waitEtu' in item) {
      const w = item.waitEtu;
      if (typeof w !== 'number' || !Number.isFinite(w) || w < 0) return `${where}.waitEtu: must be a number ≥ 0`;
      reply.push({ waitEtu: w });
    } else if (isObject(item) && 'badParity' in item) {
      if (typeof item.badParity !== 'string') return `${where}.badParity: must be HEX`;
      const parsed = parseHex(item.badParity);
      if ('error' in parsed) return `${where}.badParity: ${parsed.error}`;
      reply.push({ bytes: parsed.bytes, bad: true });
    } else if (isObject(item) && item.mute === true) {
      reply.push({ mute: true });
    } else return `${where}: must be HEX, {"waitEtu": n}, {"badParity": HEX} or {"mute": true}`;
  }
  return { expect, reply };
}

class ScriptCard extends BaseCard implements ScriptedCard {
  readonly #steps: Step[];
  #index = 0;
  #failed: { step: number; reason: string } | null = null;
  #rx: number[] = [];
  /** T=0 framing: INS and P3 of the last header, and data bytes received for it. */
  #ins = 0;
  #p3 = 0;
  #dataIn = 0;
  #t0Want = 5;

  constructor(script: Script) {
    super({
      name: script.name,
      description: `scripted card (${script.steps.length} steps)`,
      atr: script.atr,
      atrDelayCycles: script.atrDelayCycles,
      pps: script.pps,
    });
    this.#steps = script.steps;
  }

  status(): ScriptStatus {
    return {
      completed: this.#failed === null && this.#index === this.#steps.length,
      failedStep: this.#failed?.step ?? null,
      reason: this.#failed?.reason ?? (this.#index < this.#steps.length ? `ended before step ${this.#index + 1} of ${this.#steps.length}` : null),
    };
  }

  protected override isMute(): boolean {
    return this.#failed !== null;
  }

  protected resetProtocol(): void {
    this.#rx = [];
    this.#t0Want = 5;
    this.#dataIn = 0;
  }

  protected protocolStart(): void {
    this.resetProtocol();
  }

  protected protocolReceive(byte: number): void {
    if (this.#failed) return;
    this.#rx.push(byte);
    const step = this.#steps[this.#index];
    if (!step) {
      this.#fail(this.#index + 1, `unexpected transmission after the last step: ${toHex(this.#rx)}`);
      return;
    }
    const expect = step.expect;
    if (expect !== '*') {
      const k = this.#rx.length - 1;
      if (expect[k] !== byte) {
        this.#fail(this.#index + 1, `expected ${toHex(expect)}, got ${toHex(this.#rx)}`);
        return;
      }
      if (this.#rx.length < expect.length) return;
    } else if (this.#rx.length < this.#wanted()) return;
    const got = Uint8Array.from(this.#rx);
    this.#rx = [];
    this.#index++;
    if (this.protocol !== 1) this.#t0Received(got);
    this.#play(step.reply);
  }

  /** Bytes in the transmission being received, by the protocol's framing. */
  #wanted(): number {
    if (this.protocol === 1) {
      // §11.3.1: prologue NAD PCB LEN, LEN bytes of INF, one LRC or two CRC bytes.
      if (this.#rx.length < 3) return 3;
      return 3 + this.#rx[2] + (this.atrInfo.edc === 'crc' ? 2 : 1);
    }
    return this.#t0Want;
  }

  #t0Received(got: Uint8Array): void {
    if (this.#t0Want === 5 && got.length === 5) {
      this.#ins = got[1];
      this.#p3 = got[4];
      this.#dataIn = 0;
    } else this.#dataIn += got.length;
  }

  #play(reply: ReplyItem[]): void {
    const io = this.io;
    if (!io) return;
    let delayEtu: number | undefined;
    let last: number | undefined;
    for (const item of reply) {
      if ('waitEtu' in item) {
        delayEtu = (delayEtu ?? 0) + item.waitEtu;
      } else if ('mute' in item) {
        this.goMute(false);
        break;
      } else {
        for (const byte of item.bytes) {
          io.send(byte, { delayEtu, badParity: item.bad });
          delayEtu = undefined;
          last = byte;
        }
        if (item.bad && this.protocol !== 1) {
          last = undefined;
          break;
        }
      }
    }
    if (this.protocol !== 1) {
      // §10.3.3: after INS the reader sends the rest of the data, after INS ⊕ FF one byte.
      const left = this.#p3 - this.#dataIn;
      if (last === this.#ins && left > 0) this.#t0Want = left;
      else if (last === (this.#ins ^ 0xff) && left > 0) this.#t0Want = 1;
      else {
        this.#t0Want = 5;
        this.#dataIn = 0;
      }
    }
  }

  #fail(step: number, reason: string): void {
    this.#failed = { step, reason };
    this.goMute();
  }
}
