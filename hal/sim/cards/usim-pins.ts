/**
 * The secret codes of the simulated UICC and their retry counters (ETSI TS 102 221 §9.5, §11.1.9 to
 * §11.1.13; TS 51.011 §9.2.9 to §9.2.13 call them CHV1, CHV2 and UNBLOCK CHV):
 *
 *   key reference  TS 102 221      TS 51.011        default       enabled   unblocked by
 *   '01'           PIN1 (appl.)    CHV1             1234          no        PUK1 12345678
 *   '81'           PIN2 (local)    CHV2             5678          yes       PUK2 87654321
 *   '0A'           ADM1            —                88888888      yes       —
 *
 * PIN1 is disabled as cards ship from sysmocom (the PS_DO of their FCPs marks key reference 01 off),
 * so a SIM tool reads EF IMSI without a VERIFY until someone enables it. Values are 8 bytes, ASCII
 * digits padded with 'FF' (§9.5.2). Counters are non-volatile ("not necessarily in the same card
 * session", §11.1.9.1.1): 3 for a PIN, 10 for its UNBLOCK PIN; a verification lasts until reset.
 */
export type PinOutcome =
  | { readonly kind: 'ok' }
  /** A wrong value: `left` tries remain (0: now blocked). */
  | { readonly kind: 'wrong'; readonly left: number }
  | { readonly kind: 'blocked' }
  /** The code is disabled and the command needs it enabled (or the reverse). */
  | { readonly kind: 'contradiction' }
  /** Retry counter query (no data): verified or not needed (ok) is reported above; this is the count. */
  | { readonly kind: 'remaining'; readonly left: number };

interface Secret {
  value: Uint8Array;
  left: number;
  readonly max: number;
}

interface Code {
  readonly reference: number;
  readonly pin: Secret;
  readonly unblock: Secret | null;
  enabled: boolean;
  /** Only the application PIN may be disabled (TS 102 221 §11.1.11). */
  readonly canDisable: boolean;
  verified: boolean;
}

export const PIN_LENGTH = 8;
const PIN_TRIES = 3;
const UNBLOCK_TRIES = 10;

function padded(digits: string): Uint8Array {
  const out = new Uint8Array(PIN_LENGTH).fill(0xff);
  for (let i = 0; i < digits.length; i++) out[i] = digits.charCodeAt(i);
  return out;
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function secret(digits: string, max: number): Secret {
  return { value: padded(digits), left: max, max };
}

export class PinStore {
  readonly #codes: Code[] = [
    { reference: 0x01, pin: secret('1234', PIN_TRIES), unblock: secret('12345678', UNBLOCK_TRIES), enabled: false, canDisable: true, verified: false },
    { reference: 0x81, pin: secret('5678', PIN_TRIES), unblock: secret('87654321', UNBLOCK_TRIES), enabled: true, canDisable: false, verified: false },
    { reference: 0x0a, pin: secret('88888888', PIN_TRIES), unblock: null, enabled: true, canDisable: false, verified: false },
  ];

  /** The key references this card knows, in PS_DO order. */
  get references(): number[] {
    return this.#codes.map((c) => c.reference);
  }

  knows(reference: number): boolean {
    return this.#find(reference) !== undefined;
  }

  enabled(reference: number): boolean {
    return this.#find(reference)?.enabled ?? false;
  }

  /** Tries left for the PIN (or its UNBLOCK PIN); 0 when blocked. */
  left(reference: number, unblock = false): number {
    const code = this.#find(reference);
    const s = unblock ? code?.unblock : code?.pin;
    return s ? s.left : 0;
  }

  /** Whether an access condition naming this key is met: verified, or not needed because disabled. */
  satisfied(reference: number): boolean {
    const code = this.#find(reference);
    return code !== undefined && (!code.enabled || code.verified);
  }

  /** A reset ends every verification (the security status is volatile). */
  reset(): void {
    for (const code of this.#codes) code.verified = false;
  }

  /** §11.1.9 VERIFY PIN; no data is the retry counter query (ISO/IEC 7816-4 §11.5.6). */
  verify(reference: number, value: Uint8Array | null): PinOutcome {
    const code = this.#get(reference);
    if (value === null) {
      if (code.pin.left === 0) return { kind: 'blocked' };
      return !code.enabled || code.verified ? { kind: 'ok' } : { kind: 'remaining', left: code.pin.left };
    }
    if (code.pin.left === 0) return { kind: 'blocked' };
    if (!code.enabled) return { kind: 'contradiction' };
    const outcome = this.#present(code.pin, value);
    if (outcome.kind === 'ok') code.verified = true;
    return outcome;
  }

  /** §11.1.10 CHANGE PIN: the old value, then the new one. */
  change(reference: number, old: Uint8Array, replacement: Uint8Array): PinOutcome {
    const code = this.#get(reference);
    if (code.pin.left === 0) return { kind: 'blocked' };
    if (!code.enabled) return { kind: 'contradiction' };
    const outcome = this.#present(code.pin, old);
    if (outcome.kind === 'ok') {
      code.pin.value = replacement.slice();
      code.verified = true;
    }
    return outcome;
  }

  /** §11.1.11 DISABLE PIN / §11.1.12 ENABLE PIN, both proving the current value. */
  setEnabled(reference: number, enable: boolean, value: Uint8Array): PinOutcome {
    const code = this.#get(reference);
    if (code.pin.left === 0) return { kind: 'blocked' };
    if (!code.canDisable || code.enabled === enable) return { kind: 'contradiction' };
    const outcome = this.#present(code.pin, value);
    if (outcome.kind === 'ok') {
      code.enabled = enable;
      code.verified = enable;
    }
    return outcome;
  }

  /** §11.1.13 UNBLOCK PIN: the UNBLOCK PIN and a new PIN; no data is the retry counter query. */
  unblock(reference: number, puk: Uint8Array | null, replacement: Uint8Array | null): PinOutcome {
    const code = this.#get(reference);
    const unblock = code.unblock;
    if (unblock === null) return { kind: 'contradiction' };
    if (unblock.left === 0) return { kind: 'blocked' };
    if (puk === null || replacement === null) return { kind: 'remaining', left: unblock.left };
    const outcome = this.#present(unblock, puk);
    if (outcome.kind === 'ok') {
      // "After a successful unblocking attempt the PIN is enabled and the relevant access condition
      // level is satisfied" (§11.1.13.1.1).
      code.pin.value = replacement.slice();
      code.pin.left = code.pin.max;
      code.enabled = true;
      code.verified = true;
    }
    return outcome;
  }

  #present(s: Secret, value: Uint8Array): PinOutcome {
    if (same(s.value, value)) {
      s.left = s.max;
      return { kind: 'ok' };
    }
    s.left = Math.max(0, s.left - 1);
    return { kind: 'wrong', left: s.left };
  }

  #find(reference: number): Code | undefined {
    return this.#codes.find((c) => c.reference === reference);
  }

  #get(reference: number): Code {
    const code = this.#find(reference);
    if (code === undefined) throw new RangeError(`no key reference ${reference}`);
    return code;
  }
}
