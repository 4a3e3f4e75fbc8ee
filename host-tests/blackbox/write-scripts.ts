// Writes the scripted cards of cards.ts to host-tests/blackbox/scripts/*.json.
// Run: npx tsx host-tests/blackbox/write-scripts.ts
import { writeFileSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { scenarios, scriptText } from './cards.js';

const dir = fileURLToPath(new URL('./scripts/', import.meta.url));
mkdirSync(dir, { recursive: true });
for (const s of Object.values(scenarios)) writeFileSync(dir + s.file, scriptText(s));
console.log(`${Object.keys(scenarios).length} scripts written to ${dir}`);
