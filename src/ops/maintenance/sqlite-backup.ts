/**
 * A consistent copy of the SQLite database while wxcoze runs: `VACUUM INTO` reads one snapshot
 * (a WAL read transaction: writers go on, nothing is restarted as the online-backup API would be
 * on every write), and writes a compact file. It runs on its own connection, off the server's
 * event loop: in a worker thread (the daily backup in the server) or in the CLI's own process.
 */
import {
  chmodSync,
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { openSqlite } from '../../store/sqlite/driver.js';

export interface BackupResult {
  file: string;
  bytes: number;
}

/** `wxcoze-2026-12-02T04-00-00Z.db`: sorts in time order, readable, no characters a shell minds. */
export function backupFileName(now: number): string {
  return `wxcoze-${new Date(now).toISOString().slice(0, 19).replace(/:/g, '-')}Z.db`;
}

const BACKUP_NAME = /^wxcoze-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ\.db$/;

/** The backups in `dir`, newest first. */
export function listBackups(dir: string): { file: string; mtimeMs: number }[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((n) => BACKUP_NAME.test(n))
    .sort()
    .reverse()
    .map((n) => ({ file: join(dir, n), mtimeMs: statSync(join(dir, n)).mtimeMs }));
}

/** A backup as `doctor` and the health page tell it: when, and which (a file, or the store's record). */
export interface LastBackup {
  at: number;
  what: string | null;
  /** `what` is the path of a file found in the backup folder (else the store's record's text). */
  file: boolean;
}

/**
 * The last backup: the store's record (the daily job, `wxcoze backup`), or the newest file in
 * `dir` when it is newer (a copy made by hand). Throws when `dir` cannot be read.
 */
export function lastBackup(
  dir: string,
  recorded: { at: number; what: string | null } | undefined,
): LastBackup | undefined {
  const newest = listBackups(dir)[0];
  if (newest && (!recorded || newest.mtimeMs > recorded.at))
    return { at: newest.mtimeMs, what: newest.file, file: true };
  return recorded && { ...recorded, file: false };
}

/** Deletes all but the newest `keep` backups in `dir`; returns the deleted files. */
export function pruneBackups(dir: string, keep: number): string[] {
  const old = listBackups(dir).slice(Math.max(0, keep));
  for (const b of old) rmSync(b.file, { force: true });
  return old.map((b) => b.file);
}

const WORKER_CODE = `
const { workerData, parentPort } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.source, { fileMustExist: true });
try {
  db.pragma('busy_timeout = 5000');
  db.prepare('VACUUM INTO ?').run(workerData.target);
} finally {
  db.close();
}
parentPort.postMessage('done');
`;

/**
 * Copies `source` into `target` (refused when it exists), mode 0600. The copy is written as
 * `<target>.partial` and renamed when complete and synced, so a file of the final name is whole.
 */
export async function backupSqlite(
  source: string,
  target: string,
  opts: { offThread: boolean },
): Promise<BackupResult> {
  if (!existsSync(source))
    throw new Error(`there is no database at ${source} yet (it is created at the first start)`);
  if (existsSync(target)) throw new Error(`${target} already exists: choose another file name`);
  mkdirSync(dirname(target), { recursive: true, mode: 0o700 });
  const partial = join(dirname(target), `.${basename(target)}.partial`);
  rmSync(partial, { force: true });
  // VACUUM INTO takes an empty file: creating it first gives it its mode whatever the umask.
  closeSync(openSync(partial, 'wx', 0o600));
  try {
    if (opts.offThread) await vacuumInWorker(source, partial);
    else vacuumHere(source, partial);
    chmodSync(partial, 0o600);
    const fd = openSync(partial, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(partial, target);
  } catch (err) {
    rmSync(partial, { force: true });
    throw err;
  }
  return { file: target, bytes: statSync(target).size };
}

const driverPath = () => createRequire(import.meta.url).resolve('better-sqlite3');

function vacuumHere(source: string, target: string): void {
  const db = openSqlite(source, { fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    db.prepare('VACUUM INTO ?').run(target);
  } finally {
    db.close();
  }
}

function vacuumInWorker(source: string, target: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const w = new Worker(WORKER_CODE, { eval: true, workerData: { driver: driverPath(), source, target } });
    let done = false;
    w.once('message', () => {
      done = true;
      resolve();
    });
    w.once('error', reject);
    w.once('exit', (code) => {
      if (!done) reject(new Error(`the backup thread ended (${code}) before the copy was complete`));
    });
  });
}
