/**
 * The USB/IP server on a Unix socket (for the libusb stand-in) or TCP (for `usbip attach`, port
 * 3240 by convention): the same byte stream on both. Host-only (Node `net`).
 */
import { rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { UsbipConnection, type UsbipExport } from './connection.js';

export type ListenAddress = { kind: 'unix'; path: string } | { kind: 'tcp'; host: string; port: number };

/** `unix:PATH` or `tcp:HOST:PORT` (`ccid-reader serve --usbip`). Throws on anything else. */
export function parseListenAddress(text: string): ListenAddress {
  if (text.startsWith('unix:') && text.length > 5) return { kind: 'unix', path: text.slice(5) };
  const tcp = /^tcp:(.+):(\d{1,5})$/.exec(text);
  if (tcp && Number(tcp[2]) < 65536) return { kind: 'tcp', host: tcp[1].replace(/^\[(.*)\]$/, '$1'), port: Number(tcp[2]) };
  throw new Error(`bad address '${text}': expected unix:PATH or tcp:HOST:PORT`);
}

export interface Listener {
  /** Where clients connect: the socket path, or HOST:PORT with the port actually bound. */
  readonly address: string;
  close(): Promise<void>;
}

/** Listens on a Unix or TCP address; `onSocket` gets each accepted connection. */
export async function listen(address: ListenAddress, onSocket: (socket: Socket) => void): Promise<Listener> {
  const server: Server = createServer(onSocket);
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  // A stale socket file from an earlier run would make listen() fail with EADDRINUSE.
  if (address.kind === 'unix') rmSync(address.path, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    if (address.kind === 'unix') server.listen(address.path, resolve);
    else server.listen(address.port, address.host, resolve);
  });
  const bound = server.address();
  const where = address.kind === 'unix' ? address.path : `${address.host}:${typeof bound === 'object' && bound ? bound.port : address.port}`;
  return {
    address: where,
    close: () => new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => {
        if (address.kind === 'unix') rmSync(address.path, { force: true });
        resolve();
      });
    }),
  };
}

export interface UsbipServerOptions {
  exported: UsbipExport;
  onActivity?(): void;
  log?(message: string): void;
}

/** Serves `exported` over USB/IP at `address`. */
export function listenUsbip(address: ListenAddress, options: UsbipServerOptions): Promise<Listener> {
  return listen(address, (socket) => {
    socket.setNoDelay(true);
    const connection = new UsbipConnection({
      exported: options.exported,
      send: (bytes) => {
        if (!socket.destroyed) socket.write(bytes);
      },
      end: () => socket.end(),
      onActivity: options.onActivity,
      log: options.log,
    });
    socket.on('data', (chunk: Buffer) => {
      // What the chunk's URBs answer at once (a bulk OUT and the bulk IN queued behind it) leaves in
      // one write: corked until the chunk is handled.
      socket.cork();
      try {
        connection.receive(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        socket.uncork();
      } catch (error) {
        // A request the simulated device could not handle ends this client, never the server.
        options.log?.(`usbip: ${error instanceof Error ? error.stack ?? error.message : String(error)}; closing the connection`);
        socket.destroy();
        connection.closed();
      }
    });
    socket.on('close', () => connection.closed());
    // A client that vanishes mid-write is an ordinary event for a server: 'close' follows.
    socket.on('error', (error) => options.log?.(`usbip: connection error: ${error.message}`));
  });
}
