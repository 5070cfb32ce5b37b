/** Where things live: the data directory layout and the package's own files (templates, launcher). */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface DataPaths {
  dataDir: string;
  configFile: string;
  pidFile: string;
  /** JSON written by a running server: pid, start time, url, version. */
  runFile: string;
  logFile: string;
  /** stderr of a daemon (crashes before the logger exists). */
  daemonErrFile: string;
  caddyfile: string;
  systemdUnit: string;
  database: string;
}

export function dataPaths(dataDir: string): DataPaths {
  return {
    dataDir,
    configFile: join(dataDir, 'config.json'),
    pidFile: join(dataDir, 'wxcoze.pid'),
    runFile: join(dataDir, 'wxcoze.run.json'),
    logFile: join(dataDir, 'logs', 'wxcoze.log'),
    daemonErrFile: join(dataDir, 'logs', 'daemon.err'),
    caddyfile: join(dataDir, 'Caddyfile'),
    systemdUnit: join(dataDir, 'wxcoze.service'),
    database: join(dataDir, 'wxcoze.db'),
  };
}

let root: string | undefined;

/** The wxcoze package folder (holds package.json, bin/, templates/), from src/ or dist/ alike. */
export function packageRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'wxcoze')
          return (root = dir);
      } catch {
        /* keep looking */
      }
    }
    dir = dirname(dir);
  }
  throw new Error('cannot find the wxcoze package folder (package.json named "wxcoze")');
}

export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string })
    .version;
}
