import type { Command } from 'commander';
import { spawn } from 'node:child_process';
import { SERVER_V8_FLAGS, withServerEnv } from '../../server/v8-flags.js';
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { formatProblems, loadConfig } from '../../config/load.js';
import { createLogger } from '../../log/logger.js';
import { capAppendedFile } from '../../log/rotating-file.js';
import { startServer } from '../../server/start-server.js';
import { nextCommand, withDataDir } from '../lib/next-command.js';
import { countInt } from '../lib/options.js';
import { dataPaths, packageVersion } from '../lib/paths.js';
import { privatePaths, tighten } from '../lib/private-files.js';
import { loadPrivateKeyFile, PrivateKeyError } from '../../coze/private-key.js';
import { clearRunState, runningServer, writeRunState } from '../lib/runstate.js';
import { writeProblem } from '../lib/writable.js';

/** A repeat of the first shutdown signal within this is not the "second signal" that exits at once. */
const SAME_SIGNAL_MS = 500;

interface StartOptions {
  drainMs: number;
  daemon?: boolean;
}

/**
 * `wxcoze start`: the server in the foreground until SIGTERM/SIGINT, then drain and exit.
 * `--daemon`: the same, detached, after it is listening; `wxcoze stop` ends it.
 * Either way a pid file and a run file in the data directory tell status/stop/doctor about it.
 */
export function registerStart(program: Command): void {
  program
    .command('start')
    .description('run the server (foreground; logs to the terminal and <data dir>/logs/wxcoze.log)')
    .option('--daemon', 'run in the background (pid file in the data directory); stop it with `wxcoze stop`')
    .option(
      '--drain-ms <ms>',
      'how long answers in flight may take to finish on shutdown, in milliseconds',
      countInt('milliseconds'),
      10000,
    )
    .action(async (opts: StartOptions) => {
      const { config, problems } = loadConfig();
      if (problems.length) {
        console.error(withDataDir(formatProblems(problems)));
        process.exitCode = 2;
        return;
      }
      // The OAuth app's private key: owner-only and a real key, or nothing starts (as ssh refuses a loose key).
      if (config.coze.oauth) {
        try {
          loadPrivateKeyFile(config.coze.oauth.privateKeyFile);
        } catch (err) {
          if (!(err instanceof PrivateKeyError)) throw err;
          console.error(`wxcoze cannot start: ${err.problem}\n  → ${err.fix}`);
          process.exitCode = 2;
          return;
        }
      }
      const running = runningServer(config.dataDir);
      if (running) {
        console.error(
          `wxcoze is already running for ${config.dataDir} (pid ${running.pid}${running.info ? `, ${running.info.url}` : ''}).\n  → \`${nextCommand('status')}\` shows it; \`${nextCommand('stop')}\` stops it.`,
        );
        process.exitCode = 1;
        return;
      }
      const paths = dataPaths(config.dataDir);
      // Before the logger and the database open files there: they would die with a raw stack trace.
      const unwritable = writeProblem(paths);
      if (unwritable) {
        console.error(`${unwritable.problem}\n  → ${unwritable.fix}`);
        process.exitCode = 1;
        return;
      }
      if (opts.daemon) return startDaemon(config.dataDir, opts);

      const daemon = process.env.WXCOZE_DAEMON === '1';
      // Files an older version (or a copy made by hand) left readable by others become owner-only.
      tighten(privatePaths(paths));
      const logger = createLogger({
        level: config.logLevel,
        file: paths.logFile,
        rotation: config.logRotation,
        pretty: !daemon && process.stdout.isTTY,
        // A daemon's stdout is not kept (startDaemon): its log is the rotated file.
        stdout: !daemon,
      });
      if (daemon) capDaemonStderr(paths.daemonErrFile, config.logRotation.maxBytes);
      const server = await startServer(config, logger).catch((err: Error & { code?: string }) => {
        if (err.code === 'EADDRINUSE')
          throw new Error(
            `port ${config.server.port} is already in use. Stop the other program or set PORT to a free port (\`${nextCommand('doctor')}\` checks this).`,
          );
        throw err;
      });
      const port = Number(new URL(server.url).port);
      writeRunState(config.dataDir, {
        pid: process.pid,
        startedAt: Date.now(),
        url: server.url,
        port,
        version: packageVersion(),
        logFile: paths.logFile,
        daemon,
      });
      process.on('exit', () => clearRunState(config.dataDir, process.pid));
      let signals = 0;
      let first: { sig: string; at: number } | undefined;
      const shutdown = (sig: string) => {
        // The same signal again within a moment is the same request: Ctrl-C reaches both a
        // launcher (lib/heap-flags.ts) and this process, and the launcher passes it on too.
        if (first && first.sig === sig && Date.now() - first.at < SAME_SIGNAL_MS) return;
        first ??= { sig, at: Date.now() };
        signals += 1;
        if (signals > 1) {
          logger.warn('second signal: exiting now');
          process.exit(1);
        }
        logger.info({ signal: sig }, 'shutting down: finishing answers in flight');
        server
          .stop(opts.drainMs)
          .then(() => {
            clearRunState(config.dataDir, process.pid);
            logger.flush?.();
            setTimeout(() => process.exit(0), 50);
          })
          .catch((err: unknown) => {
            logger.error(
              { err: { message: (err as Error).message } },
              'shutdown did not finish cleanly; exiting (unfinished answers resume at the next start)',
            );
            clearRunState(config.dataDir, process.pid);
            logger.flush?.();
            setTimeout(() => process.exit(1), 50);
          });
      };
      // The pipeline's thread died (logged by startServer): exit non-zero so systemd (Restart=on-failure)
      // starts wxcoze again; that start takes up every unfinished message and pulls every account.
      server.crashed
        .then(async () => {
          if (signals > 0) return;
          clearRunState(config.dataDir, process.pid);
          logger.flush?.();
          setTimeout(() => process.exit(1), 3000); // even if closing hangs
          await server.stop(0).catch(() => {}); // already logged by startServer; exiting anyway
          setTimeout(() => process.exit(1), 50);
        })
        .catch(() => process.exit(1));
      process.on('SIGTERM', () => shutdown('SIGTERM'));
      process.on('SIGINT', () => shutdown('SIGINT'));
      if (process.send) process.send({ type: 'ready', url: server.url, pid: process.pid });
      if (!daemon) console.log(`wxcoze is listening on ${server.url} (callback path /wechat/hook)`);
    });
}

/**
 * A daemon's stderr (what is written before the logger exists, a crash's stack, V8's fatal errors)
 * goes to daemon.err, which no rotation renames (the descriptor would follow the file). It is kept
 * under the log's file size instead: checked once a minute, and over it, moved to daemon.err.1.
 */
function capDaemonStderr(file: string, maxBytes: number): void {
  const timer = setInterval(() => {
    try {
      capAppendedFile(file, maxBytes);
    } catch {
      // The disk refused: the next minute tries again.
    }
  }, 60_000);
  timer.unref();
}

/** Re-runs this CLI's `start` detached; returns once the child is listening (or has failed). */
async function startDaemon(dataDir: string, opts: StartOptions): Promise<void> {
  const paths = dataPaths(dataDir);
  mkdirSync(dirname(paths.daemonErrFile), { recursive: true, mode: 0o700 });
  // Emptied for this run, then appended to (O_APPEND): the daemon can cut it without leaving a hole.
  writeFileSync(paths.daemonErrFile, '', { mode: 0o600 });
  const errFd = openSync(paths.daemonErrFile, 'a', 0o600);
  // The daemon gets the server's heap flags unless the caller chose its own, and its malloc arena cap.
  const v8 = process.execArgv.some((a) => a.startsWith('--max-old-space-size')) ? [] : SERVER_V8_FLAGS;
  const child = spawn(
    process.execPath,
    [...v8, ...process.execArgv, process.argv[1]!, 'start', '--drain-ms', String(opts.drainMs)],
    {
      detached: true,
      stdio: ['ignore', 'ignore', errFd, 'ipc'],
      env: { ...withServerEnv(process.env), WXCOZE_DAEMON: '1', WXCOZE_DATA_DIR: dataDir },
    },
  );
  closeSync(errFd);
  const result = await new Promise<{ ok: true; url: string } | { ok: false; why: string }>((resolve) => {
    const timer = setTimeout(
      () => resolve({ ok: false, why: 'it did not report ready within 30 s' }),
      30_000,
    );
    child.on('message', (m: { type?: string; url?: string }) => {
      if (m?.type === 'ready') {
        clearTimeout(timer);
        resolve({ ok: true, url: String(m.url) });
      }
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ ok: false, why: `it exited with ${signal ?? `code ${code}`}` });
    });
  });
  if (!result.ok) {
    let err = '';
    try {
      err = readFileSync(paths.daemonErrFile, 'utf8').trim();
    } catch {
      /* nothing written */
    }
    if (child.exitCode === null) child.kill('SIGTERM');
    console.error(
      `wxcoze did not start: ${result.why}.${err ? `\n${err}` : ''}\n  → \`${nextCommand('logs')}\` shows the server log; \`${nextCommand('doctor')}\` checks the setup.`,
    );
    process.exitCode = 1;
    return;
  }
  child.disconnect();
  child.unref();
  console.log(
    `wxcoze started in the background (pid ${child.pid}), listening on ${result.url}.\n  logs: ${nextCommand('logs -f')}    status: ${nextCommand('status')}    stop: ${nextCommand('stop')}`,
  );
}
