// Shared assertions for the black-box tests.
import type { ExecutionContext } from 'ava';
import { type Scenario } from './cards.js';
import { hx } from './iso.js';
import { commandLine, runScenario, type SimResult } from './run.js';

const context = (s: Scenario, r: SimResult): string =>
  `\n  command: ${commandLine(s)}\n  script: ${JSON.stringify(r.script)}\n  atr ${r.atr} T=${r.protocol} fi ${r.fi} di ${r.di}`;

/** Asserts APDU number `i` of the scenario: its response, or its error, as cards.ts states. */
export async function checkApdu(t: ExecutionContext, s: Scenario, i: number): Promise<SimResult> {
  const r = await runScenario(s);
  const a = s.apdus[i];
  const e = r.exchanges[i];
  t.truthy(e, `exchange ${i} missing${context(s, r)}`);
  if (!e) return r;
  t.is(e.command, hx(a.command), 'command echoed');
  if (a.error) {
    t.is(e.response, null, `no response data on error (${a.clause})${context(s, r)}`);
    t.is(e.error, a.error, `error (${a.clause})${context(s, r)}`);
  } else {
    t.is(e.error, null, `no error (${a.clause})${context(s, r)}`);
    t.is(e.response, hx(a.response!), `response (${a.clause})${context(s, r)}`);
  }
  return r;
}

/** Asserts that every step of the script was played (the reader sent exactly what ISO says). */
export async function checkScriptCompleted(t: ExecutionContext, s: Scenario): Promise<SimResult> {
  const r = await runScenario(s);
  t.deepEqual(r.script, { completed: true, failedStep: null, reason: null }, `script${context(s, r)}`);
  return r;
}

export const durationUs = (r: SimResult, i: number): number => r.exchanges[i].endUs - r.exchanges[i].startUs;
