import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import pino from 'pino';
import { unhandledRejectionLogger } from '../../src/server/unhandled-rejections.js';

test('with the listener installed, a rejection nobody caught is logged and the process lives on', () => {
  const script = `
    import pino from 'pino';
    import { catchUnhandledRejections } from './src/server/unhandled-rejections.ts';
    catchUnhandledRejections(pino());
    Promise.reject(new Error('database went away'));
    setTimeout(() => console.log('still running'), 100);
  `;
  const res = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(res.status, 0, res.stderr);
  assert.match(res.stdout, /unhandled promise rejection/);
  assert.match(res.stdout, /database went away/);
  assert.match(res.stdout, /still running/);
});

test('a rejection firing in a loop logs at most 10 lines a minute, then says how many it left out', () => {
  const lines: Record<string, any>[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  let t = 0;
  const listener = unhandledRejectionLogger(pino(sink), () => t);
  for (let i = 0; i < 50; i++) listener(new Error(`boom ${i}`));
  assert.equal(lines.length, 10);
  t = 61_000;
  listener(new Error('later'));
  assert.equal(lines.length, 12);
  assert.equal(lines[10]!.dropped, 40);
  assert.equal(lines[11]!.err.message, 'later');
});
