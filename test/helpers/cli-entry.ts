/**
 * How tests run the real CLI as a child process: node on the built `dist/cli/index.js` (what
 * `bin/wxcoze.js` imports, so what users run), not `src/cli/index.ts` through tsx. tsx compiles the
 * ~200 modules of the CLI at every start, about 3 s of CPU each time on the CI machine, and the suite
 * starts the CLI well over a hundred times. `npm test` builds dist first (scripts/run-tests.mjs) and
 * stamps when; a test file run another way after src/ changed fails here with what to do, never on
 * stale code.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '../..');

/** The CLI's entry in dist: `process.execPath, [CLI_JS, ...args]` runs `wxcoze ...args`. */
export const CLI_JS = join(ROOT, 'dist/cli/index.js');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

const STAMP = join(ROOT, 'node_modules/.cache/wxcoze/test-build-stamp');
const HOW = 'run tests through `npm test -- <file>`, which builds dist/ first';
if (!existsSync(CLI_JS) || !existsSync(STAMP)) throw new Error(`dist/ was not built for the tests: ${HOW}.`);
if (newestMtime(join(ROOT, 'src')) > statSync(STAMP).mtimeMs)
  throw new Error(`src/ changed after dist/ was built, so the CLI would run old code: ${HOW}.`);
