/**
 * End-to-end checks of the EMV timing profile (createCardSlot `profile: 'emv'`, EMV Book 1 answer to
 * reset) against the ISO default, read from the simulated line's record in virtual time. Runs under
 * Node (ava) and in XS.
 */
import type { VoltageClass } from '../../hal/interfaces/card-contacts.js';
import type { CardIo, SimCard } from '../../hal/sim/card.js';
import { MuteCard } from '../../hal/sim/cards/mute.js';
import { T0FsCard } from '../../hal/sim/cards/t0-fs.js';
import { bytes, rig } from '../session/rig.js';
import { check, hex, type Scenario } from './scenario.js';

const CLOCK = 4e6;
const NS_PER_CYCLE = 1e9 / CLOCK;
const ETU_NS = (372 / CLOCK) * 1e9;
const EMV = { classes: ['A' as const], slot: { profile: 'emv' as const } };

function same(actual: unknown, expected: unknown, what: string): void {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  check(a === e, `${what}: expected ${e}, got ${a}`);
}

/** T=0, no interface bytes, 15 historical bytes: 17 characters. */
const ATR_LONG = '3B0F' + '00112233445566778899AABBCCDDEE';

/** A card whose ATR characters come `gapEtu` apart: each gap within ISO's 9600 etu, the whole beyond EMV's 20 160. */
class SlowAtrCard implements SimCard {
  readonly name = 'slow-atr';
  readonly description = 'ATR characters 2000 etu apart';
  #io: CardIo | null = null;

  attach(io: CardIo): void {
    this.#io = io;
  }

  power(_voltage: VoltageClass | null): void {}

  reset(): void {
    const io = this.#io;
    if (!io) return;
    io.silence();
    io.setRate(372, 1);
    io.setConvention('direct');
    io.afterCycles(12_000, () => {
      const atr = bytes(ATR_LONG);
      for (let i = 0; i < atr.length; i++) io.send(atr[i], { delayEtu: i === 0 ? 0 : 2_000 });
    });
  }

  resetAsserted(): void {}

  receive(): void {}

  detach(): void {
    this.#io = null;
  }
}

export const scenarios: Scenario[] = [
  {
    name: 'session EMV: EMV Book 1 cold and warm reset hold RST low 40 000–45 000 cycles (ISO: ≥ 400)',
    run() {
      const r = rig(new T0FsCard({ name: 'fs', description: 'T=0', atr: bytes('3B02ABCD'), seed: 1 }), EMV);
      same(r.powerOn().error, null, 'cold reset');
      const clk = r.changes('clk')[0];
      const rise = r.changes('rst').find((c) => c.value === 1)!;
      const cold = (rise.timeNs - clk.timeNs) / NS_PER_CYCLE;
      check(cold >= 40_000 && cold <= 45_000, `cold reset: RST low ${cold} cycles after CLK`);
      const start = r.board.line.record.length;
      same(r.powerOn().error, null, 'warm reset');
      const [fall, up] = r.changes('rst', start);
      const warm = (up.timeNs - fall.timeNs) / NS_PER_CYCLE;
      check(fall.value === 0 && up.value === 1 && warm >= 40_000 && warm <= 45_000, `warm reset: RST low ${warm} cycles`);
      same(hex(r.transmit('00A4000C023F00').response), '9000', 'SELECT MF');
    },
  },
  {
    name: 'session EMV: EMV Book 1 no ATR → deactivation no earlier than 42 001 cycles after RST rose, no warm reset',
    run() {
      const r = rig(new MuteCard(), EMV);
      same(r.powerOn(), { error: 'ICC_MUTE', atr: null }, 'result');
      same(r.changes('rst').map((c) => c.value), [1, 0], 'one reset, then RST low for the deactivation');
      const [rise, fall] = r.changes('rst');
      const waited = (fall.timeNs - rise.timeNs) / NS_PER_CYCLE;
      check(waited >= 42_001 && waited < 42_500, `deactivation began ${waited} cycles after RST rose`);
      same(r.changes('vcc').map((c) => c.value), [5, 0], 'VCC on once, then off');
    },
  },
  {
    name: 'session EMV: EMV Book 1 an ATR longer than 20 160 etu → ICC_MUTE and deactivation; ISO takes it (gaps < 9600 etu)',
    run() {
      const iso = rig(new SlowAtrCard(), { classes: ['A'] });
      same(hex(iso.powerOn().atr), ATR_LONG, 'ISO: the whole ATR');
      const r = rig(new SlowAtrCard(), EMV);
      same(r.powerOn(), { error: 'ICC_MUTE', atr: null }, 'EMV result');
      const ts = r.characters('card')[0];
      const off = r.changes('rst').filter((c) => c.value === 0).at(-1)!;
      const after = (off.timeNs - ts.timeNs) / ETU_NS;
      check(after >= 20_160 && after < 20_200, `deactivation began ${after} etu after TS`);
      check(r.characters('card').length < 17, 'the ATR was cut short');
      same(r.slot.attributes.state, 'SWALLOWED', 'card unpowered');
    },
  },
];
