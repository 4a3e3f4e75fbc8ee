import test from 'ava';
import { T0FsCard } from '../../hal/sim/cards/t0-fs.js';
import { bytes, rig } from '../../host-tests/session/rig.js';
import { hex } from '../../host-tests/session/helpers.js';
test('dbg', (t) => {
  const r = rig(new T0FsCard({ name: 'fs', description: 'x', atr: bytes('3B1296ABCD'), seed: 7 }), { classes: ['A'], trace: true });
  const p = r.powerOn();
  const x = r.transmit('00A4000C023F00');
  t.log(p.error, x.error, hex(x.response));
  t.log(r.log.join('\n'));
  for (const e of r.board.line.events) t.log(e.timeNs, e.from, e.byte.toString(16), e.parityOk, e.repeated, e.errorSignalled, e.etuNs);
  t.pass();
});
