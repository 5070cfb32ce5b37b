/**
 * The systemd unit `init` writes, and the wxcoze install it points at. The unit must outlive the
 * command that wrote it: `npx wxcoze init` runs from npx's cache (~/.npm/_npx/<hash>), which npm
 * prunes, so from there wxcoze first copies itself (with its node_modules, native binary included)
 * to <data dir>/app/<version> and points the unit at the copy. A global install or a clone stays
 * where it is and is used in place.
 */
import { cpSync, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join, sep } from 'node:path';
import { SERVER_ENV, SERVER_V8_FLAGS } from '../../server/v8-flags.js';
import { packageRoot, packageVersion } from './paths.js';
import { renderTemplateFile } from './template.js';

export interface ServiceInstall {
  /** bin/wxcoze.js of the install the unit runs. */
  launcher: string;
  /** Set when the service runs a copy under the data directory (wxcoze was running from npx's cache). */
  copiedTo?: string;
  /** The copy of this version was already there. */
  reused?: boolean;
}

/** True when `dir` is inside npx's cache (npm removes those folders when it cleans its cache). */
export function isNpxCache(dir: string): boolean {
  return dir.split(sep).includes('_npx');
}

/**
 * The install the service should run: this one, or (from npx's cache) a copy under the data
 * directory. The copy goes to a temporary folder first and is renamed into place, so a half copy
 * is never used; an existing copy of the same version is reused.
 */
export function ensureServiceInstall(dataDir: string, root = packageRoot()): ServiceInstall {
  if (!isNpxCache(root)) return { launcher: join(root, 'bin', 'wxcoze.js') };
  const modules = dirname(root);
  if (basename(modules) !== 'node_modules')
    throw new Error(
      `wxcoze runs from npx's cache (${root}) but not from a node_modules folder, so it cannot copy itself for the service. Install it globally (\`npm install -g wxcoze\`) and run \`wxcoze init\` again.`,
    );
  const dest = join(dataDir, 'app', packageVersion());
  const launcher = join(dest, 'node_modules', basename(root), 'bin', 'wxcoze.js');
  if (existsSync(launcher)) return { launcher, copiedTo: dest, reused: true };
  const tmp = `${dest}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true, mode: 0o700 });
  try {
    // verbatimSymlinks keeps node_modules/.bin's relative links pointing inside the copy.
    cpSync(modules, join(tmp, 'node_modules'), { recursive: true, verbatimSymlinks: true });
    rmSync(dest, { recursive: true, force: true });
    renameSync(tmp, dest);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw new Error(
      `could not copy wxcoze from npx's cache to ${dest} for the service (${(err as Error).message}). Free some disk space or fix that folder's permissions, or install wxcoze globally (\`npm install -g wxcoze\`), then run \`wxcoze init\` again.`,
    );
  }
  return { launcher, copiedTo: dest };
}

/**
 * One systemd command-line word: quoted when it holds blanks or quotes; `%` (specifiers) and `$`
 * (variables) doubled so systemd passes them through (systemd.syntax(7), systemd.service(5)).
 */
export function systemdWord(s: string, { variables = true } = {}): string {
  let escaped = s.replace(/%/g, '%%');
  if (variables) escaped = escaped.replace(/\$/g, '$$$$');
  return /[\s"'\\;]/.test(escaped) ? `"${escaped.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"` : escaped;
}

/** How long systemd waits for a started wxcoze to be ready (below the unit's TimeoutStartSec=90). */
const WAIT_READY_S = 60;

export interface UnitValues {
  unitFile: string;
  user: string;
  workDir: string;
  dataDir: string;
  node: string;
  launcher: string;
}

export function renderSystemdUnit(v: UnitValues): string {
  return renderTemplateFile('wxcoze.service', {
    UNIT_FILE: v.unitFile,
    USER: v.user,
    WORKDIR: v.workDir.replace(/%/g, '%%'),
    // Environment= expands specifiers but not $variables.
    DATA_ENV: systemdWord(`WXCOZE_DATA_DIR=${v.dataDir}`, { variables: false }),
    SERVER_ENV: Object.entries(SERVER_ENV)
      .map(([k, val]) => systemdWord(`${k}=${val}`, { variables: false }))
      .join(' '),
    EXEC_START: [v.node, ...SERVER_V8_FLAGS, v.launcher, 'start'].map((w) => systemdWord(w)).join(' '),
    // Polls /readyz (`wxcoze status --wait-ready`): systemd reports the unit started once it is ready.
    EXEC_WAIT_READY: [v.node, v.launcher, 'status', '--wait-ready', String(WAIT_READY_S)]
      .map((w) => systemdWord(w))
      .join(' '),
  });
}
