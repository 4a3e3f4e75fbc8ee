/**
 * A capture file for the pcap writers (host-only: Node fs). Writes go straight to the file, so a
 * capture of a server that is killed is still readable up to its last record.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import type { PcapSink } from './pcap.js';

export interface PcapFile {
  readonly sink: PcapSink;
  /** Idempotent; writes after close are dropped. */
  close(): void;
}

export function openPcapFile(path: string): PcapFile {
  let fd: number | null = openSync(path, 'w');
  return {
    sink: (bytes) => {
      if (fd !== null) writeSync(fd, bytes);
    },
    close: () => {
      if (fd === null) return;
      closeSync(fd);
      fd = null;
    },
  };
}
