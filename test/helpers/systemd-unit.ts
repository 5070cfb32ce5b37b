/**
 * Runs a systemd unit the way systemd would, without systemd: its ExecStart command line (split
 * and unescaped as systemd.syntax(7) says), its Environment= and WorkingDirectory=. And
 * `systemd-analyze verify`, where Debian's systemd package provides it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { execa } from 'execa';

/** One key's value(s) from the [Service] section. */
function values(unit: string, key: string): string[] {
  return unit
    .split('\n')
    .filter((l) => l.startsWith(`${key}=`))
    .map((l) => l.slice(key.length + 1));
}

/** Splits a systemd command line into words: double quotes, backslash escapes, %% and $$. */
export function splitSystemdWords(line: string): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === '\\') {
      cur += line[++i] ?? '';
      inWord = true;
      continue;
    }
    if (c === '"') {
      quoted = !quoted;
      inWord = true;
      continue;
    }
    if (!quoted && /\s/.test(c)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
      continue;
    }
    if ((c === '%' || c === '$') && line[i + 1] === c) i++;
    cur += c;
    inWord = true;
  }
  if (quoted) throw new Error(`unbalanced quotes in ${line}`);
  if (inWord) words.push(cur);
  return words;
}

export interface UnitCommand {
  argv: string[];
  env: Record<string, string>;
  cwd: string;
}

export function unitCommand(unit: string, key: 'ExecStart' | 'ExecStartPost' = 'ExecStart'): UnitCommand {
  const exec = values(unit, key);
  if (exec.length !== 1) throw new Error(`expected one ${key} line, found ${exec.length}`);
  const env: Record<string, string> = {};
  for (const v of values(unit, 'Environment')) {
    for (const assignment of splitSystemdWords(v)) {
      const eq = assignment.indexOf('=');
      env[assignment.slice(0, eq)] = assignment.slice(eq + 1);
    }
  }
  return {
    argv: splitSystemdWords(exec[0]!),
    env,
    cwd: (values(unit, 'WorkingDirectory')[0] ?? '/').replace(/%%/g, '%'),
  };
}

/** Starts the unit's ExecStart (as systemd would: no shell, the unit's environment on top of `base`). */
export function spawnUnit(
  unit: string,
  base: Record<string, string>,
): { child: ChildProcess; output: () => string } {
  const { argv, env, cwd } = unitCommand(unit);
  const child = spawn(argv[0]!, argv.slice(1), {
    env: { ...base, ...env },
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => {
    out += d;
  });
  child.stderr!.on('data', (d) => {
    out += d;
  });
  return { child, output: () => out };
}

const ANALYZE = '/usr/bin/systemd-analyze';

/**
 * `systemd-analyze verify` on the unit file: undefined when it is clean, else its complaint. Where
 * the tool is absent the caller skips loudly (t.skip with this reason).
 */
export async function verifyUnit(
  file: string,
): Promise<{ skipped: string } | { ok: boolean; output: string }> {
  if (!existsSync(ANALYZE))
    return {
      skipped: `${ANALYZE} is not installed (Debian: apt install systemd), so the unit was not verified`,
    };
  const r = await execa(ANALYZE, ['verify', file], { reject: false, all: true, timeout: 30_000 });
  return { ok: r.exitCode === 0 && !String(r.all ?? '').trim(), output: String(r.all ?? '') };
}
