/**
 * Can this user write the data directory and its log folder? Shared by `start` (before the logger
 * and the database open them, which would otherwise die with a raw stack trace) and `doctor`.
 */
import { closeSync, existsSync, mkdirSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { DataPaths } from './paths.js';

export interface WriteProblem {
  /** The folder that could not be written. */
  path: string;
  code: string;
  problem: string;
  fix: string;
}

const WHY: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOTDIR: 'a part of this path is a file, not a folder',
  EROFS: 'the file system is read-only',
  ENOSPC: 'the disk is full',
  EEXIST: 'a file of that name is in the way',
  EISDIR: 'a folder of that name is in the way',
};

/**
 * Undefined when the data directory and its logs folder exist (or were created) and take a file, and
 * the log file, if there is one, can be appended to (one left by `sudo wxcoze start` is root's).
 */
export function writeProblem(paths: Pick<DataPaths, 'dataDir' | 'logFile'>): WriteProblem | undefined {
  for (const dir of [paths.dataDir, dirname(paths.logFile)]) {
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      const probe = join(dir, `.wxcoze-write-check-${process.pid}`);
      writeFileSync(probe, 'ok');
      rmSync(probe);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      const why = WHY[code] ?? (err as Error).message;
      const fix =
        code === 'EACCES' || code === 'EPERM'
          ? `Run wxcoze as the user that owns ${dir}, or give it to this user: \`sudo chown -R $(id -un) ${paths.dataDir}\`; or choose a folder you own with --data-dir (or WXCOZE_DATA_DIR).`
          : code === 'ENOTDIR' || code === 'EEXIST' || code === 'EISDIR'
            ? `Choose a data directory whose parent folders are folders (--data-dir or WXCOZE_DATA_DIR), or move what is in the way.`
            : `Create it (\`mkdir -p ${dir}\`) or choose a writable folder with --data-dir (or WXCOZE_DATA_DIR); check the disk is not full or read-only (\`df -h ${dirname(dir)}\`).`;
      return { path: dir, code, problem: `wxcoze cannot write in ${dir}: ${why} (${code}).`, fix };
    }
  }
  try {
    if (existsSync(paths.logFile)) closeSync(openSync(paths.logFile, 'a'));
  } catch (err) {
    const file = paths.logFile;
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    const why = WHY[code] ?? (err as Error).message;
    const fix =
      code === 'EACCES' || code === 'EPERM'
        ? `It belongs to another user (often root, after \`sudo wxcoze start\`): give it back, \`sudo chown -R $(id -un) ${dirname(file)}\`, or run wxcoze as its owner.`
        : `Move what is at ${file} out of the way (wxcoze makes the log file itself).`;
    return { path: file, code, problem: `wxcoze cannot write its log file ${file}: ${why} (${code}).`, fix };
  }
  return undefined;
}
