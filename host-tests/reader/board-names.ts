/**
 * The boards a host reader can run on (`--board`), with the number of card sockets each has: `sim`,
 * the simulated board (its sockets are chosen with `--slots`); `esp32s3` and `esp32s3-2slot`, virtual
 * ESP32-S3 boards wired as the providers under boards/ (boards.ts composes them). Kept free of
 * imports, so argument parsing does not load the boards.
 */
export const ESP32S3_BOARDS = Object.freeze({
  esp32s3: Object.freeze({ folder: 'esp32s3-devkitc', sockets: 1 }),
  'esp32s3-2slot': Object.freeze({ folder: 'esp32s3-devkitc-2slot', sockets: 2 }),
} as const);
export type Esp32s3BoardName = keyof typeof ESP32S3_BOARDS;
export type ReaderBoardName = 'sim' | Esp32s3BoardName;

export const READER_BOARDS: readonly string[] = Object.freeze(['sim', ...Object.keys(ESP32S3_BOARDS)]);

export function isReaderBoard(name: string): name is ReaderBoardName {
  return READER_BOARDS.includes(name);
}

/** The folder under boards/ a board's wiring and USB identity come from (`host-setup --board`). */
export function boardFolder(name: ReaderBoardName): string {
  return name === 'sim' ? 'sim' : ESP32S3_BOARDS[name].folder;
}

/**
 * The board `--board NAME --slots N` means: `esp32s3` names the ESP32-S3 family, so with `--slots 2`
 * it is the two-socket board (esp32s3-devkitc-2slot); any other count must be the board's own.
 * Returns the board and its slots, or an error.
 */
export function boardWithSlots(name: ReaderBoardName, slots: number | null): { board: ReaderBoardName; slots: number } | { error: string } {
  const board = name === 'esp32s3' && slots === ESP32S3_BOARDS['esp32s3-2slot'].sockets ? 'esp32s3-2slot' : name;
  const wired = fixedSockets(board);
  if (wired === null) return { board, slots: slots ?? 1 };
  if (slots !== null && slots !== wired) {
    return { error: `the ${board} board has ${wired} slot${wired === 1 ? '' : 's'}${name === 'esp32s3' ? ' (the esp32s3 boards: 1 or 2 slots)' : ''}` };
  }
  return { board, slots: wired };
}

/** The sockets of a virtual ESP32-S3 board (fixed by its wiring); null for `sim`, whose count is chosen. */
export function fixedSockets(name: ReaderBoardName): number | null {
  return name === 'sim' ? null : ESP32S3_BOARDS[name].sockets;
}
