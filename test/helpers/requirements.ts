/**
 * What some tests need from the machine (Debian packages, MariaDB, Redis). On a developer's machine a
 * missing one skips those tests LOUDLY, naming what to install; in CI (CI=true, as .ci/run runs) it is a
 * failure instead, so a CI that silently lost a package or a service can never pass.
 *
 *   test('…', { skip: requireTool('caddy') }, async () => { … });
 *   test('…', { skip: await requireMysql('MySQL store tests') }, async () => { … });
 */
import { spawnSync } from 'node:child_process';
import { connect } from 'node:net';
import { test } from 'node:test';
import { mysqlUnavailable, TEST_MYSQL_URL, TEST_REDIS_URL } from './mysql.js';

/** Debian's package for each tool, and the argument that makes it print its version. */
const TOOLS: Record<string, { versionArg: string; install: string }> = {
  caddy: { versionArg: 'version', install: 'apt-get install -y caddy' },
  tmux: { versionArg: '-V', install: 'apt-get install -y tmux' },
  'systemd-analyze': { versionArg: '--version', install: 'apt-get install -y systemd' },
  'redis-server': { versionArg: '--version', install: 'apt-get install -y redis-server' },
  // The console's browser tests (test/helpers/console-browser.ts): Debian's Chromium + a CJK font.
  chromium: { versionArg: '--version', install: 'apt-get install -y chromium fonts-noto-cjk' },
};

/**
 * ffmpeg that decodes and encodes AMR-NB (voice messages both ways): Debian's ffmpeg plus
 * libavcodec-extra (libopencore_amrnb). false when present; otherwise the loud skip reason.
 */
export function requireAmrFfmpeg(): string | false {
  const install = 'apt-get install -y ffmpeg libavcodec-extra';
  const r = spawnSync('ffmpeg', ['-hide_banner', '-encoders'], { encoding: 'utf8', timeout: 10_000 });
  if (r.error || r.status !== 0) return unmet('ffmpeg', 'ffmpeg is not installed (or does not run)', install);
  if (!/\slibopencore_amrnb\s/.test(r.stdout))
    return unmet('ffmpeg AMR encoder', 'ffmpeg cannot encode AMR (no libopencore_amrnb)', install);
  return false;
}

export const inCI = (): boolean => /^(1|true|yes)$/i.test(process.env.CI ?? '');

const reported = new Set<string>();

/**
 * A requirement that is not met: the `skip` reason for the tests that need it. Printed once per test
 * file in a banner; in CI also registered as a failing test of its own.
 */
export function unmet(what: string, why: string, install: string): string {
  const msg = `SKIPPED: needs ${what} — ${why}. Install it: ${install}`;
  if (!reported.has(what)) {
    reported.add(what);
    if (inCI()) {
      test(`CI has ${what}`, () => {
        throw new Error(
          `${why}. CI must run every test: ${install} (.ci/run installs and starts what the tests need).`,
        );
      });
    } else {
      console.warn(`\n${'!'.repeat(80)}\n${msg}\n${'!'.repeat(80)}\n`);
    }
  }
  return msg;
}

/** false when `name` runs here; otherwise the loud skip reason (a failure in CI). */
export function requireTool(name: keyof typeof TOOLS): string | false {
  const tool = TOOLS[name]!;
  const r = spawnSync(name, [tool.versionArg], { stdio: 'ignore', timeout: 10_000 });
  if (!r.error && r.status === 0) return false;
  return unmet(name, `${name} is not installed (or does not run)`, tool.install);
}

function redisUnavailable(): Promise<string | null> {
  const u = new URL(TEST_REDIS_URL);
  return new Promise((resolve) => {
    const sock = connect({ host: u.hostname, port: Number(u.port || 6379) });
    sock.setTimeout(2000, () => sock.destroy(new Error('timed out')));
    sock.once('connect', () => {
      sock.destroy();
      resolve(null);
    });
    sock.once('error', (err) => resolve(err.message));
  });
}

/** false when MariaDB/MySQL and Redis answer; otherwise the loud skip reason (a failure in CI). */
export async function requireMysql(): Promise<string | false> {
  const db = await mysqlUnavailable();
  if (db)
    return unmet(
      'MariaDB/MySQL',
      `not reachable at ${TEST_MYSQL_URL} (${db})`,
      'apt-get install -y mariadb-server, start it, or set WXCOZE_TEST_MYSQL_URL',
    );
  const redis = await redisUnavailable();
  if (redis)
    return unmet(
      'Redis',
      `not reachable at ${TEST_REDIS_URL} (${redis})`,
      'apt-get install -y redis-server, start it, or set WXCOZE_TEST_REDIS_URL',
    );
  return false;
}

/** false when Redis answers; otherwise the loud skip reason (a failure in CI). */
export async function requireRedis(): Promise<string | false> {
  const redis = await redisUnavailable();
  return redis
    ? unmet(
        'Redis',
        `not reachable at ${TEST_REDIS_URL} (${redis})`,
        'apt-get install -y redis-server, start it, or set WXCOZE_TEST_REDIS_URL',
      )
    : false;
}
