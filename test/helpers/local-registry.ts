/**
 * An npm registry and a better-sqlite3 binary mirror on 127.0.0.1, for installing the packed
 * wxcoze the way a user does (`npm install wxcoze` from a registry mirror) with no internet.
 *
 * Packuments are built from package-lock.json (each package at the versions locked there; the
 * manifest is the installed package.json where there is one, as the real registry serves the
 * whole package.json, install scripts included), plus
 * wxcoze's own from the packed tarball, plus `newer` manifests standing for what the public
 * registry offers beyond the lock. Dependency tarballs are not served: npm reads them from its
 * cache by integrity (`npm ci` filled it); one it would really download answers 404, so the
 * install fails loudly instead of reaching out. Every request is logged.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

export type Manifest = Record<string, unknown> & { name: string; version: string };

export interface LocalRegistry {
  url: string;
  /** Where prebuild-install should look (npm_config_better_sqlite3_binary_host_mirror). */
  binaryMirror: string;
  requests: string[];
  close(): Promise<void>;
}

export interface RegistryOptions {
  /** The project root: package-lock.json and node_modules. */
  root: string;
  /** The packed wxcoze tarball and the package.json inside it. */
  tarball: string;
  packageJson: Manifest;
  /** Served under /-/binary/better-sqlite3/ (npmmirror's layout): path → bytes. */
  binaries: Record<string, Buffer>;
  newer?: Manifest[];
}

const LOCK_FIELDS = [
  'dependencies',
  'optionalDependencies',
  'peerDependencies',
  'peerDependenciesMeta',
  'engines',
  'os',
  'cpu',
  'bin',
];

export async function startLocalRegistry(opts: RegistryOptions): Promise<LocalRegistry> {
  const requests: string[] = [];
  const packuments = new Map<string, Map<string, Record<string, unknown>>>();
  let base = '';
  const add = (m: Manifest, dist: Record<string, string>) => {
    if (!packuments.has(m.name)) packuments.set(m.name, new Map());
    packuments.get(m.name)!.set(m.version, {
      ...m,
      dist: { tarball: `${base}/${m.name}/-/${m.name.split('/').pop()}-${m.version}.tgz`, ...dist },
    });
  };

  const tgz = readFileSync(opts.tarball);
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? '/').split('?')[0]!);
    requests.push(`${req.method} ${path}`);
    const binary = path.startsWith('/-/binary/better-sqlite3/')
      ? opts.binaries[path.slice('/-/binary/better-sqlite3/'.length)]
      : undefined;
    if (binary) return void res.end(binary);
    if (path === `/wxcoze/-/wxcoze-${opts.packageJson.version}.tgz`) return void res.end(tgz);
    const versions = packuments.get(path.slice(1));
    if (!versions) {
      res.statusCode = 404;
      return void res.end(JSON.stringify({ error: 'not found' }));
    }
    const sorted = [...versions.keys()].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
    res.setHeader('content-type', 'application/json');
    res.end(
      JSON.stringify({
        name: path.slice(1),
        'dist-tags': { latest: sorted.at(-1) },
        versions: Object.fromEntries(versions),
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const lock = JSON.parse(readFileSync(join(opts.root, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, Record<string, unknown>>;
  };
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (!path || !entry.integrity || entry.link) continue;
    const name = path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
    let m: Manifest = { name, version: String(entry.version) };
    const installed = join(opts.root, path, 'package.json');
    if (existsSync(installed)) m = JSON.parse(readFileSync(installed, 'utf8')) as Manifest;
    else for (const f of LOCK_FIELDS) if (entry[f]) m[f] = entry[f];
    if (m.version !== entry.version)
      throw new Error(`${installed} is ${m.version}, the lock says ${String(entry.version)}: run npm ci`);
    add(m, { integrity: String(entry.integrity) });
  }
  for (const m of opts.newer ?? []) add(m, {});
  add(opts.packageJson, { integrity: `sha512-${createHash('sha512').update(tgz).digest('base64')}` });
  return {
    url: `${base}/`,
    binaryMirror: `${base}/-/binary/better-sqlite3`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
