import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { request } from 'undici';
import { loadConfig } from '../../config/load.js';
import { probeCache } from '../../store/coordination/probe.js';
import { openStore } from '../../store/index.js';
import { PENDING_STATES } from '../../store/types.js';
import { lastErrorLine } from '../lib/logfile.js';
import { last24hText } from '../lib/messages-text.js';
import { nextCommand } from '../lib/next-command.js';
import { shownDatabaseUrl } from '../../store/sql/mysql-unreachable.js';
import { dataPaths, packageVersion } from '../lib/paths.js';
import { formatDuration, runningServer } from '../lib/runstate.js';
import { bold, dim, green, red } from '../lib/ui.js';

export interface StatusReport {
  running: boolean;
  pid?: number;
  uptimeMs?: number;
  startedAt?: number;
  url?: string;
  ping?: boolean;
  /** The running server's /readyz: ready, or the problems it names (a running server may not be ready). */
  readiness?: { ready: boolean; problems: string[] };
  version: string;
  runningVersion?: string;
  port: number;
  dataDir: string;
  store: { kind: string; where: string; reachable: boolean; error?: string };
  cache?: { kind: string; where: string; reachable: boolean; error?: string };
  /** Waiting messages (all of them), and the last 24 hours' messages by the state they are in now. */
  messages?: { pending: number; last24h: Record<string, number> };
  accounts?: { openKfId: string; lastPullAgoMs: number | null; lastError: string | null }[];
  lastError?: { time?: string; msg: string };
}

async function ping(url: string): Promise<boolean> {
  try {
    const res = await request(`${url}/ping`, { headersTimeout: 2000, bodyTimeout: 2000 });
    await res.body.dump();
    return res.statusCode === 200;
  } catch {
    return false;
  }
}

/** /readyz's answer: ready, or the problems it names (its JSON body), or why it could not be asked. */
async function readyz(url: string): Promise<{ ready: boolean; problems: string[] }> {
  try {
    const res = await request(`${url}/readyz`, { headersTimeout: 5000, bodyTimeout: 5000 });
    const body = (await res.body.json().catch(() => ({}))) as { problems?: unknown };
    const problems = Array.isArray(body.problems) ? body.problems.map(String) : [];
    if (res.statusCode !== 200 && problems.length === 0)
      problems.push(`/readyz answered HTTP ${res.statusCode}`);
    return { ready: res.statusCode === 200, problems };
  } catch (err) {
    return { ready: false, problems: [`${url}/readyz did not answer (${(err as Error).message})`] };
  }
}

/** After the listening line: ready, or not and why (a server can answer /ping yet not reach its store). */
function readinessText(r: StatusReport['readiness']): string {
  if (!r) return '';
  if (r.ready) return green('  ready');
  return red(`  ✗ not ready: ${r.problems.join('; ') || 'no reason given'}`);
}

/**
 * `wxcoze status --wait-ready <s>`: polls the running server's /readyz until it says ready (exit 0)
 * or the time is up (exit 1, saying why). The systemd unit runs it as ExecStartPost, so the unit is
 * "started" only once wxcoze can work.
 */
async function waitReady(seconds: number): Promise<void> {
  const { config } = loadConfig();
  const deadline = Date.now() + seconds * 1000;
  let problems = ['wxcoze is not running (no server answers for this data directory)'];
  for (;;) {
    const running = runningServer(config.dataDir);
    if (running?.info) {
      const r = await readyz(running.info.url);
      if (r.ready) {
        console.log(`wxcoze is ready: ${running.info.url} (pid ${running.pid})`);
        return;
      }
      problems = r.problems;
    }
    if (Date.now() >= deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  console.error(
    [`wxcoze is not ready after ${seconds} s:`, ...problems.map((p) => `  - ${p}`)].join('\n') +
      `\nRun \`${nextCommand('doctor')}\` to see what to fix, and \`${nextCommand('logs')}\` for the server's own words.`,
  );
  process.exitCode = 1;
}

export async function collectStatus(): Promise<StatusReport> {
  const { config } = loadConfig();
  const paths = dataPaths(config.dataDir);
  const running = runningServer(config.dataDir);
  const report: StatusReport = {
    running: Boolean(running),
    version: packageVersion(),
    port: running?.info?.port ?? config.server.port,
    dataDir: config.dataDir,
    store: config.store?.databaseUrl
      ? { kind: 'mysql', where: shownDatabaseUrl(config.store.databaseUrl), reachable: false }
      : { kind: 'sqlite', where: paths.database, reachable: false },
  };
  if (running) {
    report.pid = running.pid;
    if (running.info) {
      report.startedAt = running.info.startedAt;
      report.uptimeMs = Date.now() - running.info.startedAt;
      report.url = running.info.url;
      report.runningVersion = running.info.version;
      report.ping = await ping(running.info.url);
      if (report.ping) report.readiness = await readyz(running.info.url);
    }
  }
  if (report.store.kind === 'sqlite' && !existsSync(paths.database)) {
    report.store.error = 'no database yet (it is created at the first start)';
  } else {
    try {
      const store = await openStore({ dataDir: config.dataDir, databaseUrl: config.store?.databaseUrl });
      try {
        const now = Date.now();
        const waiting = await store.countWaiting();
        const pending = PENDING_STATES.reduce((n, s) => n + (waiting[s] ?? 0), 0);
        report.messages = { pending, last24h: await store.countSince(now - 24 * 3600_000) };
        report.accounts = (await store.listAccounts()).map((a) => ({
          openKfId: a.openKfId,
          lastPullAgoMs: a.lastPullAt ? now - a.lastPullAt : null,
          lastError: a.lastError,
        }));
        report.store.reachable = true;
      } finally {
        await store.close();
      }
    } catch (err) {
      report.store.error = (err as Error).message;
    }
  }
  report.cache = await probeCache(config.store?.redisUrl, config.store?.redisPrefix);
  const last = lastErrorLine(paths.logFile);
  if (last) report.lastError = last;
  return report;
}

/** `wxcoze status`: exit 0 when running, 3 when not (like LSB init scripts). */
export function registerStatus(program: Command): void {
  program
    .command('status')
    .description(
      'is wxcoze running? pid, uptime, version, port, store, messages pending/failed, per-account pulls, last error',
    )
    .option('--json', 'machine-readable output')
    .option(
      '--wait-ready <seconds>',
      "wait until the running server is ready (/readyz: store and cache answer); exit 1 with the reason if it is not within that time (the systemd unit's ExecStartPost)",
    )
    .action(async (opts: { json?: boolean; waitReady?: string }) => {
      if (opts.waitReady !== undefined) {
        const seconds = Number(opts.waitReady);
        if (!Number.isFinite(seconds) || seconds < 0) {
          console.error(`--wait-ready takes a number of seconds (got "${opts.waitReady}")`);
          process.exitCode = 2;
          return;
        }
        return waitReady(seconds);
      }
      const r = await collectStatus();
      process.exitCode = r.running ? 0 : 3;
      if (opts.json) {
        console.log(JSON.stringify(r, null, 2));
        return;
      }
      const head = r.running
        ? `${green('● running')}  pid ${r.pid}${r.uptimeMs !== undefined ? `, up ${formatDuration(r.uptimeMs)}` : ''}`
        : `${red('○ not running')}  (start it with \`${nextCommand('start --daemon')}\`)`;
      const lines = [`${bold('wxcoze')} ${r.version}  ${head}`];
      if (r.runningVersion && r.runningVersion !== r.version)
        lines.push(
          `  ${red('!')} the running server is version ${r.runningVersion}: restart it (\`${nextCommand('stop')} && ${nextCommand('start --daemon')}\`)`,
        );
      // Only a running server listens: a stopped one has nothing to show here.
      if (r.running)
        lines.push(
          `  listening   ${r.url ?? `port ${r.port}`}${r.ping ? dim('  (/ping ok)') : red('  (/ping does not answer)')}${readinessText(r.readiness)}`,
        );
      lines.push(`  data dir    ${r.dataDir}`);
      lines.push(
        `  store       ${r.store.kind} ${r.store.where}${r.store.reachable ? '' : `  ${red(`✗ ${(r.store.error ?? 'unreachable').replace(/\n/g, '\n              ')}`)}`}`,
      );
      if (r.cache)
        lines.push(
          `  cache/locks ${r.cache.kind} ${r.cache.where}${r.cache.reachable ? '' : `  ${red(`✗ ${r.cache.error ?? 'unreachable'}`)}\n              pulls wait until it answers (nothing is lost): start Redis or fix WXCOZE_REDIS_URL; \`${nextCommand('doctor')}\` checks it`}`,
        );
      if (r.messages) {
        lines.push(`  messages    ${r.messages.pending} waiting; ${last24hText(r.messages.last24h)}`);
      }
      if (r.accounts) {
        if (r.accounts.length === 0)
          lines.push('  accounts    none yet (an account appears with its first callback)');
        for (const a of r.accounts) {
          lines.push(
            `  account     ${a.openKfId}  last pull ${a.lastPullAgoMs === null ? 'never' : `${formatDuration(a.lastPullAgoMs)} ago`}${a.lastError ? `  ${red(`last error: ${a.lastError}`)}` : ''}`,
          );
        }
      }
      lines.push(
        `  last error  ${r.lastError ? `${r.lastError.time ?? ''} ${r.lastError.msg}`.trim() : 'none in the log'}`,
      );
      console.log(lines.join('\n'));
    });
}
