#!/usr/bin/env node
// Runs the test suite with Node's own test runner. TypeScript tests are loaded through tsx,
// so `npm test` needs no prior build. Pass file or folder paths to run a subset:
// `npm test -- test/unit/x.test.ts`, `npm test -- test/unit` (every *.test.ts below it).
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function collect(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...collect(p));
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const args = process.argv.slice(2);
const files = (args.length ? args : ['test']).flatMap((p) =>
  statSync(p).isDirectory() ? collect(p).sort() : [p],
);
if (!files.length) {
  console.error(`no *.test.ts files in ${args.join(' ')}`);
  process.exit(1);
}
const res = spawnSync(
  process.execPath,
  [
    '--import',
    'tsx',
    '--test',
    '--test-concurrency=2',
    // Node applies this to each test file as a whole too, not only to each test: the packed-install
    // e2e (pack, two npm installs) takes about two minutes on a loaded machine.
    '--test-timeout=300000',
    ...files,
  ],
  { stdio: 'inherit', env: { ...process.env, WXCOZE_LOG_LEVEL: process.env.WXCOZE_LOG_LEVEL ?? 'silent' } },
);
process.exit(res.status ?? 1);
