/**
 * The built-in simulated cards (`ccid-reader cards`, `--card NAME`, control socket `insert NAME`).
 * One entry per card; a protocol module adds its cards by appending entries here.
 * ATR sources: pcsc-tools' smartcard_list.txt (Ludovic Rousseau), as named in each description.
 */
import type { SimCard } from '../card.js';
import { hex } from '../hex.js';
import { MuteCard } from './mute.js';
import { T0FsCard } from './t0-fs.js';
import { dualCard, t1Card, t1CrcCard, t1FastCard } from './t1-card.js';
import { ATR_SYSMO_USIM_SJS1, UsimCard } from './usim.js';

export interface BuiltInCard {
  readonly name: string;
  readonly description: string;
  create(seed: number): SimCard;
}

/** smartcard_list.txt: "3B 02 14 50  Schlumberger Multiflex 3k" — T=0, direct, no TA1. */
const ATR_MULTIFLEX = '3B 02 14 50';
/** smartcard_list.txt: "3F 2F 00 36 AF 69 02 04 01 80 00 00 0A 0E 83 3E 9F 16  SIM Card GSM" — inverse convention, T=0. */
const ATR_GSM_SIM = '3F 2F 00 36 AF 69 02 04 01 80 00 00 0A 0E 83 3E 9F 16';
/** smartcard_list.txt: "3B 16 18 AF 01 02 02 02 00  SIM Virgin Mobile (Australia)" — TA1 = 18: Fi 372, Di 12. */
const ATR_TA1_18 = '3B 16 18 AF 01 02 02 02 00';
/** smartcard_list.txt: "3B 16 11 72 04 01 3F 02 00  Vodafone Romania SIM card" — TA1 = 11: Fi 372, Di 1, f max 5 MHz. */
const ATR_TA1_11 = '3B 16 11 72 04 01 3F 02 00';
/** smartcard_list.txt: "3B 95 96 40 F0 0F 10 0A 09 6A  Zain Usim Card" — TA1 = 96: Fi 512, Di 32; TC2 = F0 (WI 240). */
const ATR_TA1_96 = '3B 95 96 40 F0 0F 10 0A 09 6A';

function fsCard(name: string, description: string, atr: string, extra: { pps?: 'echo' | 'mute'; engine?: { byteByByte: boolean } } = {}) {
  return {
    name,
    description,
    create: (seed: number) => new T0FsCard({ name, description, atr: hex(atr), seed, ...extra }),
  };
}

const cards: BuiltInCard[] = [
  fsCard('t0-fs', `T=0 ISO 7816-4 file system (MF 3F00, DF 1000, EFs 2F00 0001 1001 1002), ENVELOPE for extended APDUs; ATR ${ATR_MULTIFLEX} (Schlumberger Multiflex 3k)`, ATR_MULTIFLEX),
  fsCard('t0-inverse', `the t0-fs file system in the inverse convention; ATR ${ATR_GSM_SIM} (GSM SIM)`, ATR_GSM_SIM),
  fsCard('t0-pps', `the t0-fs file system, TA1=18 (Fi 372, Di 12), accepts PPS by echo; ATR ${ATR_TA1_18} (Virgin Mobile SIM)`, ATR_TA1_18),
  fsCard('t0-5mhz', `the t0-fs file system, TA1=11 (Fi 372, Di 1, f max 5 MHz: 13.4 kbit/s at 5 MHz), accepts PPS by echo; ATR ${ATR_TA1_11} (Vodafone Romania SIM)`, ATR_TA1_11),
  fsCard('t0-pps-fast', `the t0-fs file system, TA1=96 (Fi 512, Di 32), WI 240, accepts PPS by echo; ATR ${ATR_TA1_96} (Zain USIM)`, ATR_TA1_96),
  fsCard('t0-bytewise', `the t0-fs file system moving every data byte behind its own INS ⊕ FF procedure byte; ATR ${ATR_MULTIFLEX}`, ATR_MULTIFLEX, { engine: { byteByByte: true } }),
  fsCard('t0-pps-refused', `the t0-fs file system, TA1=18 but mute on PPS: the reader must cold reset and go on at Fd/Dd; ATR ${ATR_TA1_18}`, ATR_TA1_18, { pps: 'mute' }),
  { name: 't1', description: 'T=1 ISO 7816-4 file system, LRC, IFSC 254, TA1=13 (Di 4); ATR 3B F8 13 00 00 81 31 FE 15 59 75 62 69 6B 65 79 34 D4 (Yubico Yubikey 4)', create: (seed: number) => t1Card({ seed }) },
  { name: 't1-crc', description: 'the t1 card with CRC (TC3=01 added to the Yubikey 4 ATR)', create: (seed: number) => t1CrcCard({ seed }) },
  { name: 't1-fast', description: 'the t1 card with TA1=17 (Fi 372, Di 64, f max 5 MHz): 860 kbit/s, the ISO 7816-3 maximum at 5 MHz; no listed card offers it (Yubikey 4 ATR, TA1 13 → 17)', create: (seed: number) => t1FastCard({ seed }) },
  { name: 'dual', description: 'T=0 and T=1 file system, TA1=18 (Di 12); PPS selects T=1; ATR 3B F7 18 00 00 80 31 FE 45 73 66 74 65 2D 6E 66 C4 (SmartCafe Expert 3.2)', create: (seed: number) => dualCard({ seed }) },
  {
    name: 'usim',
    description: `UICC with a USIM (TS 102 221 class 00/80 and TS 51.011 class A0, 4 logical channels, PIN1 1234 disabled, PIN2 5678, ADM1 88888888); ICCID and IMSI from the seed; ATR ${ATR_SYSMO_USIM_SJS1} (sysmoUSIM-SJS1)`,
    create: (seed: number) => new UsimCard({ serial: seed }),
  },
  { name: 'mute', description: 'never answers reset (no ATR within 40 000 cycles)', create: () => new MuteCard() },
];

export function builtInCards(): readonly BuiltInCard[] {
  return cards;
}

export function findCard(name: string): BuiltInCard | undefined {
  return cards.find((c) => c.name === name);
}
