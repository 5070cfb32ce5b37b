/** Reading wxcoze's JSON log file (pino lines): filters for `wxcoze logs`, the last error for `status`. */
import { closeSync, existsSync, fstatSync, openSync, readSync } from 'node:fs';

export const LEVELS: Record<string, number> = {
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
};

export interface LogFilter {
  /** Minimum level name or number. */
  level?: string;
  /** A customer's external_userid (or internal user id): matches any field holding it. */
  customer?: string;
  /** A WeCom msgid (inbound or outbound). */
  msgid?: string;
}

export function levelNumber(level: string | undefined): number | undefined {
  if (!level) return undefined;
  const n = Number(level);
  if (Number.isFinite(n)) return n;
  const v = LEVELS[level.toLowerCase()];
  if (v === undefined)
    throw new Error(`unknown level "${level}": use one of ${Object.keys(LEVELS).join(', ')}`);
  return v;
}

function holds(value: unknown, wanted: string, depth = 0): boolean {
  if (typeof value === 'string') return value === wanted;
  if (depth > 3 || value === null || typeof value !== 'object') return false;
  for (const v of Object.values(value as Record<string, unknown>))
    if (holds(v, wanted, depth + 1)) return true;
  return false;
}

/** The parsed line when it passes the filter; undefined otherwise (non-JSON lines pass only without filters). */
export function matchLine(
  line: string,
  f: LogFilter,
): { obj?: Record<string, unknown>; raw: string } | undefined {
  if (!line.trim()) return undefined;
  let obj: Record<string, unknown> | undefined;
  try {
    obj = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return f.level || f.customer || f.msgid ? undefined : { raw: line };
  }
  const min = levelNumber(f.level);
  if (min !== undefined && Number(obj.level ?? 0) < min) return undefined;
  if (f.customer && !holds(obj, f.customer)) return undefined;
  if (f.msgid && !holds(obj, f.msgid)) return undefined;
  return { obj, raw: line };
}

/**
 * The newest error-or-worse line of the log's last 256 KiB, in the live file or, just after a
 * rotation, the one before it (`wxcoze.log.1`).
 */
export function lastErrorLine(file: string): { time?: string; msg: string } | undefined {
  return lastErrorIn(file) ?? lastErrorIn(`${file}.1`);
}

function lastErrorIn(file: string): { time?: string; msg: string } | undefined {
  if (!existsSync(file)) return undefined;
  const fd = openSync(file, 'r');
  let text: string;
  try {
    const size = fstatSync(fd).size;
    const from = Math.max(0, size - 256 * 1024);
    const buf = Buffer.alloc(size - from);
    readSync(fd, buf, 0, buf.length, from);
    text = buf.toString('utf8');
  } finally {
    closeSync(fd);
  }
  const lines = text.split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const m = matchLine(lines[i]!, { level: 'error' });
    if (m?.obj) {
      const err = m.obj.err as { message?: string } | undefined;
      return {
        ...(typeof m.obj.time === 'string' ? { time: m.obj.time } : {}),
        msg: `${String(m.obj.msg ?? '')}${err?.message ? `: ${err.message}` : ''}`,
      };
    }
  }
  return undefined;
}
