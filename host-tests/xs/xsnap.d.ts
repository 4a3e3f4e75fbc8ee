// The part of @agoric/xsnap (plain JavaScript, no typings shipped) that host-tests/xs uses.
declare module '@agoric/xsnap' {
  import type { spawn } from 'node:child_process';

  export interface XsnapMeterUsage {
    meterType: string;
    compute: number | null;
    allocate: number | null;
    currentHeapCount: number | null;
  }

  export interface XsnapOptions {
    os: string;
    spawn: typeof spawn;
    fs: object;
    name?: string;
    meteringLimit?: number;
    stdout?: 'ignore' | 'inherit' | 'pipe';
    stderr?: 'ignore' | 'inherit' | 'pipe';
    handleCommand?(request: Uint8Array): Promise<Uint8Array>;
  }

  export interface XsnapWorker {
    evaluate(code: string): Promise<{ reply: Uint8Array; meterUsage: XsnapMeterUsage }>;
    issueCommand(message: Uint8Array): Promise<{ reply: Uint8Array; meterUsage: XsnapMeterUsage }>;
    close(): Promise<void>;
    terminate(): Promise<void>;
  }

  export function xsnap(options: XsnapOptions): Promise<XsnapWorker>;
}
