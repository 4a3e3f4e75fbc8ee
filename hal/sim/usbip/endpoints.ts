/**
 * Which endpoint address is which pipe, read from a configuration descriptor set (USB 2.0 §9.6.6):
 * the USB/IP server routes URBs by endpoint address, the capture writer labels them.
 */
export type PipeKind = 'bulk-out' | 'bulk-in' | 'interrupt-in';

export interface EndpointMap {
  /** Endpoint address (bit 7 = IN) → pipe; only the pipes a SimUsbHost offers. */
  readonly byAddress: ReadonlyMap<number, PipeKind>;
  /** Address of each pipe, for recording URBs made through SimUsbHost. */
  readonly addressOf: Readonly<Record<PipeKind, number>>;
}

const DESCRIPTOR_ENDPOINT = 5;
const TRANSFER_BULK = 2;
const TRANSFER_INTERRUPT = 3;

export function endpointsOf(configuration: Uint8Array): EndpointMap {
  const byAddress = new Map<number, PipeKind>();
  const addressOf: Record<PipeKind, number> = { 'bulk-out': 0x01, 'bulk-in': 0x82, 'interrupt-in': 0x83 };
  for (let i = 0; i + 1 < configuration.length && configuration[i] >= 2; i += configuration[i]) {
    if (configuration[i + 1] !== DESCRIPTOR_ENDPOINT || configuration[i] < 7 || i + 3 >= configuration.length) continue;
    const address = configuration[i + 2];
    const type = configuration[i + 3] & 3;
    const input = (address & 0x80) !== 0;
    const kind: PipeKind | null =
      type === TRANSFER_BULK ? (input ? 'bulk-in' : 'bulk-out') : type === TRANSFER_INTERRUPT && input ? 'interrupt-in' : null;
    if (kind === null) continue;
    byAddress.set(address, kind);
    addressOf[kind] = address;
  }
  return { byAddress, addressOf };
}
