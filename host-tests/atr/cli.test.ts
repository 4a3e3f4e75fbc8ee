import test from 'ava';
import { run } from '../cli/atr-command.js';
import { runCli } from '../cli/run-cli.js';

/** Run `ccid-reader …` as a user would (a process, the built command), feeding `stdin`. */
const spawnCli = (args: string[], stdin = '') => runCli(args, stdin);

/** Run the subcommand in this process (cheaper than a spawn), capturing what it writes. */
async function runCaptured(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = process.stdout.write;
  const err = process.stderr.write;
  let stdout = '';
  let stderr = '';
  process.stdout.write = ((s: string) => { stdout += s; return true; }) as typeof out;
  process.stderr.write = ((s: string) => { stderr += s; return true; }) as typeof err;
  try {
    return { code: await run(args), stdout, stderr };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}

test('`ccid-reader atr --json HEX` (spawned): the contract object; colons and lower case accepted [pcsc-tools L7929]', async (t) => {
  const r = await spawnCli(['atr', '--json', '3b:90:96:91:81:b1:fe:55:1f:c7:d4']);
  t.is(r.code, 0, r.stderr);
  t.deepEqual(JSON.parse(r.stdout), {
    atr: '3B90969181B1FE551FC7D4', convention: 'direct', protocols: [1], defaultProtocol: 1, fiIndex: 9, diIndex: 6,
    fi: 512, di: 32, fmaxHz: 5_000_000, n: 0, wi: 10, specificMode: { protocol: 1, canChange: false, implicit: false },
    t1: { ifsc: 254, cwi: 5, bwi: 5, edc: 'lrc' }, classes: ['A', 'B', 'C'], clockStop: 'no-preference', historical: '',
    tck: { required: true, present: true, valid: true }, errors: [],
  });
});

test('`ccid-reader atr --json -` (spawned): one object per non-blank line, a non-hex line gets {input, error} and exit 1', async (t) => {
  const r = await spawnCli(['atr', '--json', '-'], '3B 02 14 50\n\n  \nnot hex\n3F 65 25 00 24 09 6B 90 00\n12 34\n3B 02 1\n3B 02 14 50 11\n');
  t.is(r.code, 1);
  t.regex(r.stderr, /stdin line 4: not hex: 'n' at character 1/);
  t.regex(r.stderr, /stdin line 7: odd length: 5 hex digits/);
  const out = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as { atr?: string; errors?: string[]; input?: string; error?: string });
  t.deepEqual(out[1], { input: 'not hex', error: 'not hex' });
  t.deepEqual(out[4], { input: '3B 02 1', error: 'odd length' });
  t.deepEqual(out.map((o) => [o.atr, o.errors]), [
    ['3B021450', []], [undefined, undefined], ['3F65250024096B9000', []], ['1234', ['bad-ts']], [undefined, undefined], ['3B02145011', ['trailing-bytes']],
  ]);
});

test.serial('`atr HEX`: ATR errors are results, exit 0; hex split over several operands is one ATR [pcsc-tools L72]', async (t) => {
  const r = await runCaptured(['--json', '3B', '02', '14', '50', '11']);
  t.is(r.code, 0);
  t.deepEqual(JSON.parse(r.stdout).errors, ['trailing-bytes']);
});

test.serial('`atr HEX` readable analysis: interface bytes with meaning, COMPACT-TLV historical bytes, TCK [pcsc-tools L12888]', async (t) => {
  const r = await runCaptured(['3B FE 18 00 00 80 31 FE 45 80 31 80 66 40 90 A4 16 2A 00 83 0F 90 00 EF']);
  t.is(r.code, 0, r.stderr);
  for (const line of [
    'TS = 3B: direct convention',
    'T0 = FE: TA1, TB1, TC1, TD1 follow; K = 14 historical bytes',
    'TA1 = 18: FI = 1: Fi = 372, fmax = 5 MHz; DI = 8: Di = 12',
    'TD2 = 31: TA3, TB3 follow; T = 1',
    'TA3 = FE: T=1 IFSC = 254',
    'TB3 = 45: T=1 BWI = 4, CWI = 5',
    'Protocols: T=0, T=1; default T=0 (negotiable mode)',
    '    31 card service data: 80',
    '    83 status indicator: 0F 90 00',
    'TCK = EF: correct',
    'Errors: none',
  ]) t.true(r.stdout.split('\n').includes(line), `missing line: ${line}\n${r.stdout}`);
});

test.serial('`atr HEX` readable analysis names the errors and the T=15 class indicator [pcsc-tools L5852, L10056]', async (t) => {
  const bad = await runCaptured(['3B 86 80 01 06 75 77 81 02 8F 00']);
  t.true(bad.stdout.includes('TCK = 00: wrong (XOR of T0 … TCK is not 0)\nErrors: bad-tck\n'), bad.stdout);
  const classes = await runCaptured(['3B 9F 96 C0 0A 3F C6 A0 80 31 E0 73 FE 21 1B 65 D0 01 74 0E EB 81 0F D7']);
  t.true(classes.stdout.includes('TA3 = C6: clock stop no preference, classes B, C\n'), classes.stdout);
  t.true(classes.stdout.includes('TB3 = A0: SPU (use of C6) = A0\n'), classes.stdout);
});

test.serial('`atr` usage errors exit 2: no operand, odd digit count, not hex, unknown option', async (t) => {
  for (const args of [[], ['3B0'], ['zz'], ['--xml', '3B00'], ['3B', '-']]) {
    const r = await runCaptured(args);
    t.is(r.code, 2, args.join(' '));
    t.regex(r.stderr, /usage: ccid-reader atr/);
  }
  t.regex((await runCaptured(['3B0'])).stderr, /^ccid-reader atr: odd length: 3 hex digits/);
  t.regex((await runCaptured(['zz'])).stderr, /^ccid-reader atr: not hex: 'z' at character 1/);
});

