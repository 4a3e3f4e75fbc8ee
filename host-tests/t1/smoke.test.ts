import test from 'ava';
import { rig } from '../session/rig.js';
import { T1FsCard } from '../../hal/sim/cards/t1-card.js';
import { hex } from '../scenarios/scenario.js';

test('smoke: T=1 card powers on and answers', (t) => {
  const card = new T1FsCard({ record: true });
  const r = rig(card, { trace: true });
  const p = r.powerOn();
  t.log(p.error, hex(p.atr), r.slot.attributes);
  const x = r.transmit('00A4000C023F00');
  t.log(x.error, hex(x.response));
  const e = r.transmit('80EE000005 0102030405 00');
  t.log(e.error, hex(e.response));
  t.log(card.engine.history.join(' | '));
  t.log(r.log.slice(-20).join('\n'));
  t.pass();
});
