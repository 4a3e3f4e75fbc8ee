import { createSimReader } from '../../hal/sim/reader.js';
import { findCard } from '../../hal/sim/cards/registry.js';
import { CcidHost } from './ccid-host.js';
import { drive } from './drive.js';
import { toHex } from '../../firmware/iso7816/atr.js';
const reader = createSimReader({ seed: 1 });
const s = reader.board.scheduler;
const host = new CcidHost({ usb: reader.usb.host, onEvent: (e) => console.log('EVENT', JSON.stringify(e)) });
host.open();
reader.board.sim.insert(findCard(process.argv[2] ?? 't0-fs')!.create(1));
s.advance(50e6);
const p = drive(s, (d) => host.powerOn(d), 60e9);
console.log('powerOn', p.error, p.atr && toHex(p.atr), s.now());
for (const apdu of process.argv.slice(3)) {
  const h = Uint8Array.from(apdu.match(/../g)!.map((x) => parseInt(x, 16)));
  const t0 = s.now();
  const r = drive(s, (d) => host.transmit(h, d), 600e9);
  console.log(apdu.slice(0, 40), '->', r.error, r.response && (r.response.length > 40 ? r.response.length + ' bytes ' + toHex(r.response.subarray(-2)) : toHex(r.response)), ((s.now() - t0) / 1e6).toFixed(3), 'ms');
}
