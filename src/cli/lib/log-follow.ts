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
 * to the end, then the files rotated after it one by one, then the live one: nothing is skipped,
 * nothing is read twice. A finished file stays open until the next one is opened, so it marks
 * the place even while the writer is between files.
 */
export class LogFollower {
  private fd?: number;
  private ino?: number;
  private offset = 0;
  private partial = '';
  /** Our file was seen as the newest rotated one: finish it at the next quiet poll. */
  private rotatedSeen = false;

  constructor(
    private readonly file: string,
    /** Start at the current end (history was printed already) or at the beginning. */
    fromEnd: boolean,
  ) {
    this.openAt(file, fromEnd);
  }

  /** Opens `path` in place of the current file; false (current kept) when it is not there. */
  private openAt(path: string, fromEnd: boolean): boolean {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch {
      return false;
    }
    if (this.fd !== undefined) closeSync(this.fd);
    const st = fstatSync(fd);
    this.fd = fd;
    this.ino = st.ino;
    this.offset = fromEnd ? st.size : 0;
    this.partial = '';
    this.rotatedSeen = false;
    return true;
  }

  /** The complete lines written since the last poll, in order. */
  poll(): string[] {
    const out: string[] = [];
    // Bounded: at most every file once per poll.
    for (let step = 0; step < 10_000; step++) {
      if (this.fd === undefined) {
        // Nothing opened yet (the log did not exist): the live file from its start.
        if (!this.openAt(this.file, false)) return out;
      }
      const fd = this.fd!;
      if (fstatSync(fd).size < this.offset) {
        // Truncated in place (by hand): start over.
        this.offset = 0;
        this.partial = '';
      }
      const fresh = this.drain(fd, out);
      if (inodeOf(this.file) === this.ino) return out; // following the live file
      // Ours was rotated. The newest rotated file may still get a write that was in flight when it
      // was renamed: finish it only after a poll that found nothing new in it.
      const rotated = logFilesOldestFirst(this.file).filter((f) => f !== this.file);
      const at = rotated.findIndex((f) => inodeOf(f) === this.ino);
      if (at === rotated.length - 1 && (fresh || !this.rotatedSeen)) {
        this.rotatedSeen = true;
        return out;
      }
      if (this.partial) out.push(this.partial); // pino writes whole lines; never expected
      this.partial = '';
      // The next file: the one rotated after ours, or the live one. Ours gone altogether
      // (rotated past the count): every file there is newer, the oldest comes next.
      const next = rotated[at + 1] ?? this.file;
      if (!this.openAt(next, false)) return out; // the writer is between files: keep our place
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

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
