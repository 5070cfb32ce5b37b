/** `npm run docs:settings`: rewrites README.md's settings table from src/config/schema.ts. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { withSettingsTable } from '../src/config/settings-doc.js';

const path = join(import.meta.dirname, '..', 'README.md');
const before = readFileSync(path, 'utf8');
const after = withSettingsTable(before);
if (after === before) console.log('README.md settings table is up to date.');
else {
  writeFileSync(path, after);
  console.log('README.md settings table rewritten from src/config/schema.ts.');
}
