/**
 * Reading the log across its rotated files (`src/log/rotating-file.ts`): the past oldest first for
 * `wxcoze logs`, and following the live file through rotations for `wxcoze logs -f`.
 */
import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { logFilesOldestFirst } from '../../log/rotating-file.js';

/** Whole lines of the log's files, oldest first, as many as needed for `want` that `keep` accepts (0 = all). */
export function pastLines<T>(file: string, want: number, keep: (line: string) => T | undefined): T[] {
  const files = logFilesOldestFirst(file);
  const chunks: T[][] = [];
  let count = 0;
  // Newest file first, so a short tail reads one file, not 100 MB.
  for (let i = files.length - 1; i >= 0; i--) {
    let text: string;
    try {
      text = readAll(files[i]!);
    } catch {
      continue; // rotated away between the listing and the read
    }
    const kept: T[] = [];
    for (const l of text.split('\n')) {
      const k = keep(l);
      if (k !== undefined) kept.push(k);
    }
    chunks.unshift(kept);
    count += kept.length;
    if (want > 0 && count >= want) break;
  }
  const all = chunks.flat();
  return want > 0 ? all.slice(-want) : all;
}

function readAll(file: string): string {
  const fd = openSync(file, 'r');
  try {
    return readFrom(fd, 0).text;
  } finally {
    closeSync(fd);
  }
}

function readFrom(fd: number, from: number): { text: string; end: number } {
  const size = fstatSync(fd).size;
  if (size <= from) return { text: '', end: size };
  const buf = Buffer.alloc(size - from);
  const n = readSync(fd, buf, 0, buf.length, from);
  return { text: buf.subarray(0, n).toString('utf8'), end: from + n };
}

function inodeOf(path: string): number | undefined {
  try {
    return statSync(path).ino;
  } catch {
    return undefined;
  }
}

/**
 * Follows `wxcoze.log` from its end. The open descriptor stays on the file it was opened on, so
 * after a rotation (the file renamed to `wxcoze.log.1`) the lines still landing in it are read
 * to the end before moving on, and any file rotated past in between is read too: nothing is
 * skipped, nothing is read twice.
 */
export class LogFollower {
  private fd?: number;
  private ino?: number;
  private offset = 0;
  private partial = '';
  /** The path was seen holding another file: finish this one at the next quiet poll. */
  private rotatedSeen = false;

  constructor(
    private readonly file: string,
    /** Start at the current end (history was printed already) or at the beginning. */
    fromEnd: boolean,
  ) {
    this.open(fromEnd);
  }

  private open(fromEnd: boolean): void {
    try {
      this.fd = openSync(this.file, 'r');
    } catch {
      this.fd = undefined; // not written yet: the next poll tries again
      return;
    }
    const st = fstatSync(this.fd);
    this.ino = st.ino;
    this.offset = fromEnd ? st.size : 0;
    this.partial = '';
    this.rotatedSeen = false;
  }

  /** The complete lines written since the last poll, in order. */
  poll(): string[] {
    if (this.fd === undefined) {
      this.open(false);
      if (this.fd === undefined) return [];
    }
    const out: string[] = [];
    const fd = this.fd!;
    if (fstatSync(fd).size < this.offset) {
      // Truncated in place (by hand): start over.
      this.offset = 0;
      this.partial = '';
    }
    const fresh = this.drain(fd, out);
    const now = inodeOf(this.file);
    if (now !== this.ino) {
      // Rotated (or removed). A write in flight when it was renamed may still land in our file:
      // move on only after a poll that found nothing new in it.
      if (!this.rotatedSeen || fresh) {
        this.rotatedSeen = true;
        return out;
      }
      this.moveOn(out);
    }
    return out;
  }

  /** Reads our file to its end; says whether anything was there. */
  private drain(fd: number, out: string[]): boolean {
    const { text, end } = readFrom(fd, this.offset);
    if (!text) return false;
    this.offset = end;
    const lines = (this.partial + text).split('\n');
    this.partial = lines.pop() ?? '';
    out.push(...lines);
    return true;
  }

  /** Our file is finished: read the ones rotated after it, then follow the live one. */
  private moveOn(out: string[]): void {
    if (this.partial) out.push(this.partial); // pino writes whole lines; never expected
    const files = logFilesOldestFirst(this.file).filter((f) => f !== this.file);
    const at = files.findIndex((f) => inodeOf(f) === this.ino);
    closeSync(this.fd!);
    this.fd = undefined;
    // Our file gone altogether (rotated past the count): every file there is newer than it.
    for (const f of files.slice(at + 1)) {
      try {
        out.push(...readAll(f).split('\n').filter(Boolean));
      } catch {
        /* rotated away meanwhile */
      }
    }
    this.open(false);
    if (this.fd !== undefined) this.drain(this.fd, out);
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
