/**
 * The ESP32-S3 boards' providers (boards/esp32s3*\/host/provider.js, the device's
 * embedded:provider/builtin) loaded on the host with stand-ins for the platform modules they import:
 * constructors that only exist. Host-only (Node).
 */
import { build, type Plugin } from 'esbuild';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../../', import.meta.url));

/** The ESP32-S3 board folders, sorted. */
export const esp32s3Boards: readonly string[] = readdirSync(join(root, 'boards')).filter((name) => name.startsWith('esp32s3')).sort();

const platformStubs: Plugin = {
  name: 'platform-stubs',
  setup(b) {
    b.onResolve({ filter: /^(embedded:|hal\/moddable\/)/ }, (args) => ({ path: args.path, namespace: 'stub' }));
    b.onLoad({ filter: /.*/, namespace: 'stub' }, (args) => {
      const statics = 'static Input = 0; static InputPullUp = 1; static InputPullDown = 2; static Output = 8; static Rising = 1; static Falling = 2;';
      const contents: Record<string, string> = {
        'embedded:io/digital': `export default class Digital { ${statics} }`,
        'embedded:io/pwm': 'export default class PWM {}',
        'hal/moddable/card-uart': 'export class Esp32CardUart {}',
        'hal/moddable/usb-device': 'export class Esp32UsbDevice {}',
      };
      if (!(args.path in contents)) throw new Error(`provider imports ${args.path}`);
      return { contents: contents[args.path], loader: 'js' };
    });
  },
};

export async function loadProvider(board: string): Promise<Record<string, unknown>> {
  const result = await build({
    entryPoints: [join(root, 'boards', board, 'host/provider.js')],
    bundle: true, write: false, format: 'esm', platform: 'neutral', plugins: [platformStubs], logLevel: 'silent',
  });
  const code = result.outputFiles[0].text;
  const module = await import(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`);
  return module.default as Record<string, unknown>;
}
