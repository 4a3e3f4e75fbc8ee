import test from 'ava';
import { offAttributes, sameAttributes, type MutableAttributes } from '../../firmware/iso7816/session/attributes.js';

// The session hands out a cached frozen snapshot of its attributes while sameAttributes says nothing
// changed: it must notice a change in every attribute there is, or a host would read stale values.
test('sameAttributes notices a change in each attribute', (t) => {
  const current = offAttributes('POWERED');
  const snapshot = Object.freeze({ ...current });
  t.true(sameAttributes(snapshot, current));
  const keys = Object.keys(current) as (keyof MutableAttributes)[];
  t.true(keys.length >= 20);
  for (const key of keys) {
    const changed: Record<string, unknown> = { ...current };
    changed[key] = typeof current[key] === 'number' ? (current[key] as number) + 1 : `changed ${key}`;
    t.false(sameAttributes(snapshot, changed as unknown as MutableAttributes), key);
  }
});
