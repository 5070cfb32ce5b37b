import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * The console's static files, all shipped in the package (no CDN, nothing fetched at run time):
 * `<base>/assets/<name>` serves templates/console/<name>, and `<base>/vendor/<name>` serves a
 * browser library's file from node_modules by an explicit allow-list. Names are matched against a
 * strict pattern (no slashes, no dots but the extension's), so no path can leave those folders.
 * Files are read once and kept (they are small); ETag + `no-cache` lets browsers revalidate cheaply.
 */
export const TEMPLATES_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../templates/console');

const TYPES: Record<string, string> = {
  js: 'text/javascript; charset=utf-8',
  mjs: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
  png: 'image/png',
  woff2: 'font/woff2',
  json: 'application/json; charset=utf-8',
  mp3: 'audio/mpeg',
  ogg: 'audio/ogg',
  wav: 'audio/wav',
};

const ASSET_NAME = /^[a-z0-9][a-z0-9_-]{0,63}\.(js|mjs|css|svg|png|woff2|json|mp3|ogg|wav)$/;

/**
 * Browser libraries a page may load, by the name it is served under: the npm package and the file
 * inside it. Add a line here (and the package to dependencies) to ship another one.
 */
export const VENDOR: Record<string, { pkg: string; file: string }> = {
  'uplot.js': { pkg: 'uplot', file: 'dist/uPlot.esm.js' },
  'uplot.css': { pkg: 'uplot', file: 'dist/uPlot.min.css' },
};

interface Asset {
  body: Buffer;
  etag: string;
  type: string;
}

const require = createRequire(import.meta.url);

/** The folder of an installed package (undefined when it is not installed). */
function packageDir(pkg: string): string | undefined {
  let entry: string;
  try {
    entry = require.resolve(pkg);
  } catch {
    return undefined;
  }
  let dir = dirname(entry);
  for (let i = 0; i < 6; i++) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === pkg) return dir;
      } catch {
        // a package.json of another kind (e.g. {"type":"module"} in dist/): keep walking up
      }
    }
    dir = dirname(dir);
  }
  return undefined;
}

async function load(file: string): Promise<Asset | undefined> {
  const ext = file.slice(file.lastIndexOf('.') + 1);
  const type = TYPES[ext];
  if (!type) return undefined;
  try {
    const body = await readFile(file);
    return { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` };
  } catch {
    return undefined;
  }
}

function send(req: FastifyRequest, reply: FastifyReply, a: Asset) {
  reply
    .header('etag', a.etag)
    .header('cache-control', 'no-cache')
    .header('x-content-type-options', 'nosniff');
  if (req.headers['if-none-match'] === a.etag) return reply.code(304).send();
  return reply.type(a.type).send(a.body);
}

/** Registers the asset routes on the console's scope (no login needed: nothing in them is private). */
export function assetRoutes(
  app: FastifyInstance,
  notFound: (req: FastifyRequest, reply: FastifyReply) => unknown,
) {
  const cache = new Map<string, Asset>();
  const get = async (key: string, file: () => string | undefined) => {
    const hit = cache.get(key);
    if (hit) return hit;
    const path = file();
    const a = path ? await load(path) : undefined;
    if (a) cache.set(key, a);
    return a;
  };
  app.get<{ Params: { name: string } }>('/assets/:name', async (req, reply) => {
    const name = req.params.name;
    if (!ASSET_NAME.test(name)) return notFound(req, reply);
    const a = await get(`a:${name}`, () => join(TEMPLATES_DIR, name));
    return a ? send(req, reply, a) : notFound(req, reply);
  });
  app.get<{ Params: { name: string } }>('/vendor/:name', async (req, reply) => {
    const v = Object.hasOwn(VENDOR, req.params.name) ? VENDOR[req.params.name] : undefined;
    if (!v) return notFound(req, reply);
    const a = await get(`v:${req.params.name}`, () => {
      const dir = packageDir(v.pkg);
      return dir ? join(dir, v.file) : undefined;
    });
    return a ? send(req, reply, a) : notFound(req, reply);
  });
}
