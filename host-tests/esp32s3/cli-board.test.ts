/**
 * `ccid-reader sim --board` and `serve --board` (the `ccid-reader` command's contract): the options, and the
 * virtual ESP32-S3 boards behind them — one session run through the real command on the esp32s3 board
 * gives the answers the sim board gives (a different composition and different drivers: the sim
 * board is the oracle of the CLI's wiring), with the contact waveform and the USB capture written;
 * the control lines drive the two-socket board's sockets.
 */
import test from 'ava';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { findCard } from '../../hal/sim/cards/registry.js';
import { controlCommand, parseServeArgs } from '../cli/serve-command.js';
import { parseSimArgs } from '../cli/sim-args.js';
import { runCli } from '../cli/run-cli.js';
import { createReader, prepareReaderBoard } from '../reader/boards.js';
import './built-first.js';

const isError = (parsed: unknown): boolean => typeof parsed === 'object' && parsed !== null && 'error' in parsed;

test('sim --board: sim by default; an ESP32-S3 board has the slots it is wired with (esp32s3 --slots 2: the two-slot board)', (t) => {
  t.like(parseSimArgs([]), { board: 'sim', slots: 1 });
  t.like(parseSimArgs(['--board', 'esp32s3']), { board: 'esp32s3', slots: 1 });
  t.like(parseSimArgs(['--board=esp32s3-2slot', '--card', 't1', '--card', 'usim']), { board: 'esp32s3-2slot', slots: 2, cards: ['t1', 'usim'] });
  t.like(parseSimArgs(['--board', 'esp32s3-2slot', '--slots', '2']), { slots: 2 });
  t.like(parseSimArgs(['--board', 'esp32s3', '--slots', '2']), { board: 'esp32s3-2slot', slots: 2 }, 'esp32s3 with two slots is the two-slot board');
  t.true(isError(parseSimArgs(['--board', 'esp32s3', '--slots', '3'])));
  t.true(isError(parseSimArgs(['--board', 'esp32s3-2slot', '--slots', '1'])));
  t.true(isError(parseSimArgs(['--board', 'esp32'])));
  t.true(isError(parseSimArgs(['--board'])));
});

test('serve --board: the ESP32-S3 boards run the device firmware, which offers the extended level only', (t) => {
  const serve = (...args: string[]) => parseServeArgs(['--usbip', 'unix:/run/ccid/u', ...args]);
  t.like(serve(), { board: 'sim', slots: 1 });
  t.like(serve('--board', 'esp32s3-2slot'), { board: 'esp32s3-2slot', slots: 2 });
  t.like(serve('--board', 'esp32s3', '--level', 'extended'), { board: 'esp32s3', level: 'extended-apdu' });
  t.true(isError(serve('--board', 'esp32s3', '--level', 'tpdu')));
  t.true(isError(serve('--board', 'esp32s3', '--level', 'short')));
  t.true(isError(serve('--board', 'esp32s3', '--slots', '3')));
  t.like(serve('--board', 'esp32s3', '--slots', '2'), { board: 'esp32s3-2slot', slots: 2 });
  t.true(isError(serve('--board', 'esp32s3-2slot', '--slots', '1')));
  t.true(isError(serve('--board', 'nucleo')));
});

test('sim --board esp32s3 --json answers as the sim board does, and writes the VCD and the USB capture', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'ccid-esp32s3-cli-'));
  const apdus = ['--apdu', '00A4000C023F00', '--apdu', '00B0000004', '--apdu', '00CA000000'];
  const vcd = path.join(dir, 'line.vcd');
  const pcap = path.join(dir, 'usb.pcap');
  const [onSim, onEsp] = await Promise.all([
    runCli(['sim', '--json', '--card', 't0-fs', ...apdus]),
    runCli(['sim', '--json', '--board', 'esp32s3', '--card', 't0-fs', ...apdus, '--vcd', vcd, '--pcap', pcap]),
  ]);
  t.is(onEsp.code, 0, onEsp.stderr);
  const a = JSON.parse(onSim.stdout) as { atr: string; protocol: number; exchanges: { response: string | null; error: string | null }[] };
  const b = JSON.parse(onEsp.stdout) as typeof a;
  t.is(b.atr, a.atr);
  t.is(b.protocol, a.protocol);
  t.deepEqual(b.exchanges.map((x) => [x.response, x.error]), a.exchanges.map((x) => [x.response, x.error]));
  const waveform = await readFile(vcd, 'utf8');
  t.regex(waveform, /\$version ccid-reader sim --card t0-fs --seed 1 --board esp32s3 \$end/);
  t.true(waveform.split('\n').length > 100, 'I/O edges recorded');
  const capture = await readFile(pcap);
  t.is(capture.readUInt32LE(0), 0xa1b2c3d4, 'a pcap file');
  t.true(capture.length > 1000);
});

test('serve control lines drive the sockets of the two-socket ESP32-S3 board', async (t) => {
  await prepareReaderBoard('esp32s3-2slot');
  const reader = createReader('esp32s3-2slot', { cards: [findCard('t0-fs')!.create(1)], recording: false });
  try {
    // Slot 0's state is the firmware's view of the detect pad at time 0 (the card is in already).
    t.regex(await controlCommand(reader, 'status', 1), /^ok slot=0 card=t0-fs state=[A-Z]+ configured=0\nok slot=1 card=none state=ABSENT configured=0$/);
    t.is(await controlCommand(reader, 'insert 1 t1', 1), 'ok inserted t1 in slot 1');
    t.is(reader.board.sockets[1].sim.card?.name, 't1');
    t.is(await controlCommand(reader, 'remove 0', 1), 'ok removed from slot 0');
    t.is(await controlCommand(reader, 'insert 2 t1', 1), 'error: no slot 2 (slots 0–1)');
    t.is(reader.board.sockets[0].sim.line.events.length, 0, 'nothing recorded in a served reader');
  } finally {
    reader.close();
  }
});
