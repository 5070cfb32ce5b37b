/**
 * Where this wxcoze is installed, which decides how `update` installs another version in its place:
 * - a global npm prefix (`npm install -g wxcoze`): <prefix>/lib/node_modules/wxcoze → `npm install -g --prefix <prefix>`;
 * - a project's node_modules (`npm install wxcoze` in a folder with a package.json) → `npm install --prefix <project>`.
 * Refused, with what to do instead: a git checkout (`git pull && npm ci`), npx's cache (npx runs
 * whatever version it is asked for), and init's copy under <data dir>/app/<version> (`npx wxcoze@latest init`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join, sep } from 'node:path';

export type Location =
  | { kind: 'global'; root: string; prefix: string }
  | { kind: 'project'; root: string; project: string }
  | { kind: 'refused'; root: string; why: string; fix: string };

export interface FsProbe {
  exists(path: string): boolean;
  readJson(path: string): unknown;
}

const realFs: FsProbe = {
  exists: existsSync,
  readJson: (p) => JSON.parse(readFileSync(p, 'utf8')) as unknown,
};

function dependsOnWxcoze(pkg: unknown): boolean {
  const p = pkg as Record<string, Record<string, unknown> | undefined> | null;
  return Boolean(p && ['dependencies', 'optionalDependencies', 'devDependencies'].some((k) => p[k]?.wxcoze));
}

/** `root` is the wxcoze package folder (packageRoot()); `dataDir` the data directory. */
export function locateInstall(root: string, dataDir: string, fs: FsProbe = realFs): Location {
  if (fs.exists(join(root, '.git')))
    return {
      kind: 'refused',
      root,
      why: `this wxcoze runs from a git checkout (${root}), not from an npm install`,
      fix: `update it with git: \`cd ${root} && git pull && npm ci\`, then restart it (\`wxcoze stop && wxcoze start --daemon\`, or \`sudo systemctl restart wxcoze\`)`,
    };
  const modules = dirname(root);
  if (basename(modules) !== 'node_modules')
    return {
      kind: 'refused',
      root,
      why: `this wxcoze (${root}) is not inside a node_modules folder, so npm did not install it`,
      fix: 'install wxcoze with npm (`npm install -g wxcoze`), or update this copy the way it was made',
    };
  if (root.split(sep).includes('_npx'))
    return {
      kind: 'refused',
      root,
      why: "this wxcoze runs from npx's cache, which npx fills with whatever version it is asked for",
      fix: 'run the new version through npx: `npx wxcoze@latest init` (Enter keeps each answer; it copies the new version for the service and rewrites the unit), then restart it',
    };
  if (root.startsWith(join(dataDir, 'app') + sep))
    return {
      kind: 'refused',
      root,
      why: `this wxcoze is the copy \`wxcoze init\` made for the service under ${join(dataDir, 'app')}`,
      fix: 'get the new version with `npx wxcoze@latest init` (Enter keeps each answer; it copies it next to this one and rewrites the unit), then restart the service',
    };
  const above = dirname(modules);
  const projectPkg = join(above, 'package.json');
  if (fs.exists(projectPkg) && dependsOnWxcoze(fs.readJson(projectPkg)))
    return { kind: 'project', root, project: above };
  if (basename(above) === 'lib') return { kind: 'global', root, prefix: dirname(above) };
  return {
    kind: 'refused',
    root,
    why: `cannot tell how wxcoze in ${root} was installed (no package.json naming wxcoze in ${above}, and not a global prefix's lib/node_modules)`,
    fix: `install the new version the way this one was installed (\`npm install -g wxcoze@<version>\` for a global install), then restart wxcoze`,
  };
}

/** npm's arguments that install `spec` where `loc` is (the same prefix or project). */
export function npmInstallArgs(loc: Exclude<Location, { kind: 'refused' }>, spec: string): string[] {
  return loc.kind === 'global'
    ? ['install', '--global', '--prefix', loc.prefix, spec]
    : ['install', '--prefix', loc.project, spec];
}

/** For messages: "globally in /usr/local" / "in the project /srv/shop". */
export function describeLocation(loc: Exclude<Location, { kind: 'refused' }>): string {
  return loc.kind === 'global' ? `globally in ${loc.prefix}` : `in the project ${loc.project}`;
}
