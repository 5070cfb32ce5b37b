/**
 * What to install: a local tarball (its version read from the package.json inside it) or a version,
 * range or tag of wxcoze from npm's configured registry (its exact version asked with `npm view`).
 * Knowing the exact version before anything changes lets `check` say "already at 0.2.0", and lets
 * `ready` confirm the server that answers is the new one.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import semver from 'semver';
import { StageError, tail, type Run } from './types.js';

export interface Target {
  /** What npm installs: an absolute tarball path or wxcoze@<exact version>. */
  spec: string;
  version: string;
  /** For messages: "the tarball /tmp/wxcoze-0.2.0.tgz" or "wxcoze@0.2.0 from the registry". */
  from: string;
}

const isTarballArg = (arg: string) => /\.(tgz|tar\.gz)$/i.test(arg) || existsSync(arg);

export async function resolveTarget(arg: string | undefined, run: Run, cwd: string): Promise<Target> {
  if (arg && isTarballArg(arg)) {
    const file = resolve(cwd, arg);
    if (!existsSync(file))
      throw new StageError(
        `there is no file ${file}`,
        'give the path of a wxcoze tarball (`npm pack` makes one) or a version',
      );
    const r = await run('tar', ['-xzOf', file, 'package/package.json']);
    let pkg: { name?: string; version?: string } = {};
    try {
      pkg = JSON.parse(r.stdout) as typeof pkg;
    } catch {
      /* reported below */
    }
    if (r.exitCode !== 0 || pkg.name !== 'wxcoze' || !semver.valid(pkg.version ?? ''))
      throw new StageError(
        `${file} is not a wxcoze package tarball (no package/package.json naming wxcoze with a version inside)`,
        'give a tarball made by `npm pack` of wxcoze, or a version to fetch from the registry',
      );
    return { spec: file, version: pkg.version!, from: `the tarball ${file}` };
  }
  const wanted = arg ?? 'latest';
  const r = await run('npm', ['view', `wxcoze@${wanted}`, 'version', '--json'], { timeoutMs: 60_000 });
  let versions: string[] = [];
  try {
    const parsed = JSON.parse(r.stdout || '[]') as string | string[];
    versions = Array.isArray(parsed) ? parsed : [parsed];
  } catch {
    /* reported below */
  }
  const version = versions.filter((v) => semver.valid(v)).at(-1);
  if (r.exitCode !== 0 || !version)
    throw new StageError(
      `npm found no wxcoze version "${wanted}" in its registry`,
      `${tail(r, 2, 4) || '(npm said nothing)'}\n→ check the version (\`npm view wxcoze versions\`) and npm's registry (\`npm config get registry\`; from mainland China, https://registry.npmmirror.com)`,
    );
  return { spec: `wxcoze@${version}`, version, from: `wxcoze@${version} from the registry` };
}
