/**
 * The `ccid-reader atr --json` object: field names and order are the command's contract (README,
 * "ccid-reader atr"). A host-side view of the firmware's decoded ATR, kept out of the device image.
 */
import type { AtrInfo } from '../../firmware/iso7816/atr/decode.js';
import { toHex } from '../../hal/sim/hex.js';

export function atrToJson(info: AtrInfo): Record<string, unknown> {
  return {
    atr: toHex(info.atr),
    convention: info.convention,
    protocols: [...info.protocols],
    defaultProtocol: info.defaultProtocol,
    fiIndex: info.fiIndex,
    diIndex: info.diIndex,
    fi: info.fi,
    di: info.di,
    fmaxHz: info.fmaxHz,
    n: info.n,
    wi: info.wi,
    specificMode: info.specificMode === null ? null : { ...info.specificMode },
    t1: info.t1 === null ? null : { ...info.t1 },
    classes: [...info.classes],
    clockStop: info.clockStop,
    historical: toHex(info.historical),
    tck: { ...info.tck },
    errors: [...info.errors],
  };
}
