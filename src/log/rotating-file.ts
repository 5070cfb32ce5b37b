/**
 * The server's log file, rotated by size so a server left alone for a year cannot fill the disk:
 * `wxcoze.log` is written; when the next line would take it past `maxBytes` it becomes
 * `wxcoze.log.1` (the older ones move up one, `wxcoze.log.<files-1>` is dropped) and a new
 * `wxcoze.log` is started. At most `files` files, each about `maxBytes`.
 *
 * Written here rather than taken from a library (README, "Dependencies"): pino-roll names files
 * by an ever-growing number (no stable `wxcoze.log` for `wxcoze logs -f`, `status` and the run
 * file) and pulls in date-fns; rotating-file-stream is a Node Writable with its own buffering and
 * history file. This is ~100 lines over pino's own destination (SonicBoom, as before: async
 * writes, no worker thread on the hot path) and its `reopen`, which is what makes a rotation safe:
 * - a line is never split: the decision is taken per line, before it is handed to SonicBoom, and
 *   SonicBoom reopens only between two of its buffers, each made of whole lines;
 * - a line is never lost: renaming a file keeps the open descriptor on it, so a write already in
 *   flight lands, whole, in `wxcoze.log.1`; the lines buffered behind it go to the new file.
 * One process writes the file (the pipeline's thread posts its lines to the main thread,
 * `thread-lines.ts`), so no other writer races the rename.
 */
import {
  copyFileSync,
  existsSync,
  readdirSync,
  renameSync,
  statSync,
  truncateSync,
  unlinkSync,
} from 'node:fs';
import { basename, dirname } from 'node:path';
import pino from 'pino';

export interface RotationOptions {
  file: string;
  /** A file is rotated before a line would take it past this many bytes. */
  maxBytes: number;
  /** How many files are kept, the one being written included (at least 2). */
  files: number;
  /** Called when the file cannot be opened or rotated (lines go to the current file, or are dropped while there is none). */
  onError?: (err: Error) => void;
  /** How often a file that could not be opened is tried again (default 60 s). */
  retryOpenMs?: number;
}

/** `wxcoze.log` for 0, `wxcoze.log.<n>` for older ones. */
export function rotatedName(file: string, n: number): string {
  return n === 0 ? file : `${file}.${n}`;
}

/** The numbers of the rotated files that exist (`wxcoze.log.3` → 3), in any order. */
function rotatedNumbers(file: string): number[] {
  const base = basename(file);
  let names: string[];
  try {
    names = readdirSync(dirname(file));
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const name of names) {
    if (!name.startsWith(`${base}.`)) continue;
    const rest = name.slice(base.length + 1);
    if (/^[1-9]\d{0,5}$/.test(rest)) out.push(Number(rest));
  }
  return out;
}

/**
 * The log's files oldest first: `wxcoze.log.9` … `wxcoze.log.1`, then `wxcoze.log` (when they exist).
 * Numbers above the current WXCOZE_LOG_FILES (left by a larger setting) are included: they are older.
 */
export function logFilesOldestFirst(file: string): string[] {
  const older = rotatedNumbers(file)
    .sort((a, b) => b - a)
    .map((n) => rotatedName(file, n));
  return existsSync(file) ? [...older, file] : older;
}

function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

type Boom = ReturnType<typeof pino.destination>;

/** How often a log file that could not be opened is tried again. */
const RETRY_OPEN_MS = 60_000;

/** A pino destination (for `pino.multistream`) that rotates its file by size. */
export class RotatingFile {
  private boom: Boom;
  private size: number;
  /** SonicBoom is opening a file (at start, after a rotation): no rotation until it is ready. */
  private opening = true;
  /** Bytes handed to SonicBoom, and bytes it reported written: equal when nothing is pending. */
  private accepted = 0;
  private written = 0;
  private waiters: (() => void)[] = [];
  /**
   * The file could not be opened (taken away or made unwritable while running): SonicBoom has no
   * descriptor then, and a write would throw from inside whatever logged. Lines are dropped (the
   * error went to `onError`) and the file is tried again at most once every RETRY_OPEN_MS.
   */
  private unopened = false;
  private lastOpenTry = 0;

  constructor(private readonly opts: RotationOptions) {
    if (opts.files < 2) throw new Error('a rotating log keeps at least 2 files');
    this.size = sizeOf(opts.file);
    // Already full (a restart): rotated before it is opened, like any full file.
    if (this.size >= opts.maxBytes) {
      try {
        this.shift();
        this.size = 0;
      } catch (err) {
        opts.onError?.(err as Error);
      }
    }
    this.boom = this.openBoom();
  }

  private openBoom(): Boom {
    const boom = pino.destination({
      dest: this.opts.file,
      mkdir: true,
      sync: false,
      append: true,
      mode: 0o600,
    });
    boom.on('ready', () => {
      this.opening = false;
      this.unopened = false;
    });
    boom.on('error', (err: Error) => {
      if (boom !== this.boom || this.unopened) return; // a retired one, or the same failure again
      this.opening = false;
      // SonicBoom keeps its descriptor -1 when the open failed (its typings omit `fd`).
      if ((boom as unknown as { fd: number }).fd < 0) this.retire(boom);
      this.opts.onError?.(err);
    });
    boom.on('write', (n: number) => {
      this.written += n;
      this.release();
    });
    return boom;
  }

  /**
   * A SonicBoom that never opened its file is disarmed, as pino itself does on EPIPE: its buffered
   * lines are lost, and pino's exit hook must not flush it (it would throw "sonic boom is not ready
   * yet" as the process ends). The next open is a new one.
   */
  private retire(boom: Boom): void {
    this.unopened = true;
    this.lastOpenTry = Date.now();
    const dead = boom as unknown as Record<'write' | 'flush' | 'flushSync' | 'end' | 'reopen', unknown>;
    dead.write = () => true;
    dead.flushSync = () => {};
    dead.flush = (cb?: () => void) => cb?.();
    dead.end = () => {};
    dead.reopen = () => {};
    this.written = this.accepted;
    this.release();
  }

  private release(): void {
    if (this.written >= this.accepted) for (const w of this.waiters.splice(0)) w();
  }

  write(line: string): boolean {
    if (this.unopened) {
      this.retryOpen();
      if (this.unopened) return true; // not yet time to try again: the line is lost
    }
    const n = Buffer.byteLength(line);
    // An empty file takes the line whatever its size: a line longer than maxBytes is not split.
    // While the new file is being opened, lines wait in SonicBoom's buffer for it (a rotation then
    // would rename files around a file that does not exist yet).
    if (!this.opening && this.size > 0 && this.size + n > this.opts.maxBytes) this.rotate();
    this.size += n;
    this.accepted += n;
    return this.boom.write(line);
  }

  private retryOpen(): void {
    const now = Date.now();
    if (now - this.lastOpenTry < (this.opts.retryOpenMs ?? RETRY_OPEN_MS)) return;
    this.lastOpenTry = now;
    this.unopened = false;
    this.opening = true;
    this.size = sizeOf(this.opts.file);
    this.boom = this.openBoom();
  }

  private rotate(): void {
    try {
      this.shift();
      this.opening = true;
      this.boom.reopen();
    } catch (err) {
      // The disk or a permission refused: keep writing the current file; try again after another maxBytes.
      this.opts.onError?.(err as Error);
    }
    this.size = 0;
  }

  /** Every file moves one number up (`wxcoze.log` → `wxcoze.log.1`); the oldest beyond the count goes. */
  private shift(): void {
    const { file, files } = this.opts;
    // Files beyond the count (a smaller WXCOZE_LOG_FILES than before) go first.
    for (const n of rotatedNumbers(file)) if (n >= files) unlinkSync(rotatedName(file, n));
    // Oldest first, so each rename lands on a name already moved away (the last one is replaced).
    for (let i = files - 1; i >= 1; i--) {
      const from = rotatedName(file, i - 1);
      if (existsSync(from)) renameSync(from, rotatedName(file, i));
    }
  }

  /** Calls back once every line handed over so far is in a file (pino's `flush`). */
  flush(cb?: (err?: Error) => void): void {
    if (this.written >= this.accepted) {
      cb?.();
      return;
    }
    this.waiters.push(() => cb?.());
    this.boom.flush();
  }

  flushSync(): void {
    try {
      this.boom.flushSync();
    } catch {
      // While reopening after a rotation SonicBoom cannot flush synchronously; its async write still lands.
    }
  }

  end(): void {
    this.boom.end();
  }

  /** The descriptor's events (`ready`, `error`, `close`), as pino.destination's. */
  on(event: string, fn: (...args: unknown[]) => void): this {
    this.boom.on(event, fn);
    return this;
  }
}

/**
 * Keeps a file that something else writes with O_APPEND (a daemon's stderr) under `maxBytes`:
 * over it, its content is copied to `<file>.1` and the file emptied. The writer's next write
 * starts at the new end (O_APPEND), so the file does not grow sparse. Returns whether it cut.
 */
export function capAppendedFile(file: string, maxBytes: number): boolean {
  if (sizeOf(file) <= maxBytes) return false;
  copyFileSync(file, `${file}.1`);
  truncateSync(file, 0);
  return true;
}
