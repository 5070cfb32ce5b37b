/** package.json's engines, what README says about Node.js, and doctor's Node check agree. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import semver from 'semver';

const root = join(import.meta.dirname, '../..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { engines: { node: string } };
const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { engines?: { node?: string } }>;
};
const readme = readFileSync(join(root, 'README.md'), 'utf8');

test('engines is what README says: Node.js 20 from 20.18.1, or 22 and later', () => {
  assert.equal(pkg.engines.node, '^20.18.1 || >=22');
  assert.match(readme, /Node\.js 20 \(20\.18\.1 or newer\) or 22 and later/);
  for (const [v, ok] of [
    ['20.18.0', false],
    ['20.18.1', true],
    ['20.20.2', true],
    ['21.7.3', false],
    ['22.0.0', true],
    ['24.1.0', true],
  ] as const) {
    assert.equal(semver.satisfies(v, pkg.engines.node), ok, v);
  }
});

test('every runtime dependency in the lock accepts each Node.js version engines allows (no EBADENGINE on install)', () => {
  const lowest = ['20.18.1', '22.0.0'];
  const refusing = Object.entries(lock.packages)
    .filter(([path, p]) => path && !(p as { dev?: boolean }).dev && p.engines?.node)
    .flatMap(([path, p]) =>
      lowest
        .filter((v) => !semver.satisfies(v, p.engines!.node!))
        .map((v) => `${path} (${p.engines!.node}) refuses Node ${v}`),
    );
  assert.deepEqual(refusing, []);
});
