/**
 * What wxcoze writes that holds customer data or secrets (config, database, logs, unit, run files):
 * owner-only, 0600 files in a 0700 directory, however wxcoze was started. The CLI sets a 077 umask
 * before anything is written (foreground, --daemon and systemd alike); `start` also tightens files an
 * older version or another tool left readable; doctor's file-modes check lists the same files.
 */
import { chmodSync, existsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DataPaths } from './paths.js';

/** New files 0600, new directories 0700. */
export const PRIVATE_UMASK = 0o077;

export interface PrivatePath {
  path: string;
  /** The mode it should have (0700 for directories, 0600 for files). */
  want: number;
}

/** The data directory and everything in it that wxcoze writes, with the modes they should have. */
export function privatePaths(paths: DataPaths): PrivatePath[] {
  const logsDir = dirname(paths.logFile);
  return [
    { path: paths.dataDir, want: 0o700 },
    { path: paths.configFile, want: 0o600 },
    { path: paths.database, want: 0o600 },
    { path: `${paths.database}-wal`, want: 0o600 },
    { path: `${paths.database}-shm`, want: 0o600 },
    { path: logsDir, want: 0o700 },
    { path: paths.logFile, want: 0o600 },
    { path: paths.daemonErrFile, want: 0o600 },
    { path: paths.pidFile, want: 0o600 },
    { path: paths.runFile, want: 0o600 },
    { path: paths.systemdUnit, want: 0o600 },
  ];
}

export const octal = (mode: number): string => (mode & 0o777).toString(8).padStart(3, '0');

/** Existing private paths that others (group or world) may read or write: `path` and its mode. */
export function looseModes(list: PrivatePath[]): { path: string; mode: number; want: number }[] {
  const out: { path: string; mode: number; want: number }[] = [];
  for (const p of list) {
    if (!existsSync(p.path)) continue;
    const mode = statSync(p.path).mode & 0o777;
    if (mode & 0o077) out.push({ path: p.path, mode, want: p.want });
  }
  return out;
}

/** Takes group and world bits away from what this user owns; returns what it could not fix. */
export function tighten(list: PrivatePath[]): { path: string; mode: number; want: number }[] {
  const failed: { path: string; mode: number; want: number }[] = [];
  for (const p of looseModes(list)) {
    try {
      chmodSync(p.path, p.mode & ~0o077);
    } catch {
      failed.push(p);
    }
  }
  return failed;
}
