/**
 * The project packed as `npm publish` would (a copy without dist/, so the pack's `prepare` builds
 * it), variants of that tarball with another version or a file replaced (re-tarred, no second
 * build), and better-sqlite3's prebuilt binary in the name and layout a binary mirror serves, for
 * installing the tarball with no internet (test/helpers/local-registry.ts).
 * Used by test/e2e/package-install.test.ts and test/e2e/update.test.ts.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import type { Manifest } from './local-registry.js';

export const NPM_ENV = {
  npm_config_update_notifier: 'false',
  npm_config_audit: 'false',
  npm_config_fund: 'false',
  npm_config_loglevel: 'warn',
};

export async function packProject(
  root: string,
  work: string,
): Promise<{ tarball: string; packageJson: Manifest; files: string[] }> {
  const src = join(work, 'src-copy');
  cpSync(root, src, {
    recursive: true,
    filter: (p) => !/[/\\](node_modules|dist|\.git|test|bench)$/.test(p),
  });
  symlinkSync(join(root, 'node_modules'), join(src, 'node_modules'));
  const pack = await execa('npm', ['pack', '--json', '--pack-destination', work], {
    cwd: src,
    env: { ...process.env, ...NPM_ENV },
    reject: false,
    all: true,
    timeout: 240_000,
  });
  assert.equal(pack.exitCode, 0, String(pack.all));
  const out = String(pack.stdout);
  const packed = (
    JSON.parse(out.slice(out.indexOf('['))) as { filename: string; files: { path: string }[] }[]
  )[0]!;
  const tarball = join(work, packed.filename);
  const packageJson = JSON.parse(
    (await execa('tar', ['-xzOf', tarball, 'package/package.json'])).stdout,
  ) as Manifest;
  return { tarball, packageJson, files: packed.files.map((f) => f.path) };
}

/** A copy of `tarball` as version `version`, with `files` (path under package/ → content) replaced. */
export async function variantTarball(
  tarball: string,
  work: string,
  version: string,
  files: Record<string, string> = {},
): Promise<string> {
  const dir = join(work, `variant-${version}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  await execa('tar', ['-xzf', tarball, '-C', dir]);
  const pkgFile = join(dir, 'package/package.json');
  const pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as Manifest;
  writeFileSync(pkgFile, `${JSON.stringify({ ...pkg, version }, null, 2)}\n`);
  for (const [path, content] of Object.entries(files)) writeFileSync(join(dir, 'package', path), content);
  const out = join(work, `wxcoze-${version}.tgz`);
  await execa('tar', ['-czf', out, '-C', dir, 'package']);
  return out;
}

/** better-sqlite3's binary as prebuild-install asks a mirror for it: { path under the mirror: bytes }. */
export async function prebuiltSqlite(root: string, work: string): Promise<Record<string, Buffer>> {
  const bs = JSON.parse(readFileSync(join(root, 'node_modules/better-sqlite3/package.json'), 'utf8')) as {
    version: string;
  };
  const stage = join(work, 'stage');
  mkdirSync(join(stage, 'build/Release'), { recursive: true });
  cpSync(
    join(root, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node'),
    join(stage, 'build/Release/better_sqlite3.node'),
  );
  const binTgz = join(work, 'prebuilt.tar.gz');
  await execa('tar', ['-czf', binTgz, '-C', stage, 'build']);
  const name = `v${bs.version}/better-sqlite3-v${bs.version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
  return { [name]: readFileSync(binTgz) };
}
