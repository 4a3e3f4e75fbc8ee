#!/usr/bin/env node
// The `ccid-reader` command (package.json "bin"). The sources are TypeScript; tsx loads them.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./main.ts');
process.exitCode = await main(process.argv.slice(2));
