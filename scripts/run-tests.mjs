#!/usr/bin/env node
// Runs the test suite with Node's own test runner. TypeScript tests are loaded through tsx,
// after dist/ is built here for the tests that run the CLI as a child. Pass file or folder paths to run a subset:
// `npm test -- test/unit/x.test.ts`, `npm test -- test/unit` (every *.test.ts below it).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

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
// Tests that start the CLI as a child run the built dist/ (test/helpers/cli-entry.ts says why): build it
// first, incrementally (a few seconds when little changed), and stamp the time of that build so
// cli-entry.ts can refuse a dist older than src/. The build state lives outside dist/ so it is never
// packed; without dist/ it is dropped, since tsc would otherwise think the deleted output current.
const cache = join('node_modules', '.cache', 'wxcoze');
const buildInfo = join(cache, 'tsbuildinfo');
const stamp = join(cache, 'test-build-stamp');
mkdirSync(cache, { recursive: true });
if (!existsSync(join('dist', 'cli', 'index.js'))) rmSync(buildInfo, { force: true });
const buildStarted = new Date();
const build = spawnSync(
  process.execPath,
  [
    join('node_modules', 'typescript', 'bin', 'tsc'),
    '-p',
    'tsconfig.json',
    '--incremental',
    '--tsBuildInfoFile',
    buildInfo,
  ],
  { stdio: 'inherit' },
);
if (build.status !== 0) {
  console.error('npm test: the build (tsc -p tsconfig.json) failed; fix the errors above first.');
  process.exit(build.status ?? 1);
}
writeFileSync(stamp, '');
utimesSync(stamp, buildStarted, buildStarted);
const res = spawnSync(
  process.execPath,
  [
    '--import',
    'tsx',
    '--test',
    '--test-concurrency=2',
    // Node applies this to each test file as a whole too, not only to each test: the packed-install
    // e2e (pack, two npm installs) takes about two minutes, and a file of several server starts
    // (the alerts suite) about as long; on a machine loaded by other work both took over five.
    '--test-timeout=600000',
    ...files,
  ],
  {
    stdio: 'inherit',
    env: {
      ...process.env,
      WXCOZE_LOG_LEVEL: process.env.WXCOZE_LOG_LEVEL ?? 'silent',
      // The pipeline thread of a server a test starts in-process runs the dist/ just built, not
      // src/ through tsx (src/server/pipeline-host.ts): ~0.3 s less per server start.
      WXCOZE_TEST_WORKER_JS: pathToFileURL(join('dist', 'server', 'pipeline-worker.js')).href,
    },
  },
);
process.exit(res.status ?? 1);
