import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { prettyFactory } from 'pino-pretty';
import { loadConfig } from '../../config/load.js';
import { logFilesOldestFirst } from '../../log/rotating-file.js';
import { LogFollower, pastLines } from '../lib/log-follow.js';
import { levelNumber, matchLine, type LogFilter } from '../lib/logfile.js';
import { nextCommand } from '../lib/next-command.js';
import { countInt } from '../lib/options.js';
import { dataPaths } from '../lib/paths.js';

interface LogsOptions extends LogFilter {
  follow?: boolean;
  json?: boolean;
  lines: number;
  file?: string;
}

/** `wxcoze logs`: the server's log file, filtered; pretty on a terminal, JSON lines with --json. */
export function registerLogs(program: Command): void {
  program
    .command('logs')
    .description(
      'show the log (<data dir>/logs/wxcoze.log and its rotated files), filtered by level, customer or msgid',
    )
    .option('-f, --follow', 'keep printing new lines as they are written')
    .option('-l, --level <level>', 'minimum level: debug, info, warn, error')
    .option('-c, --customer <id>', 'only lines about this customer (external_userid, or the internal u_… id)')
    .option('-m, --msgid <msgid>', 'only lines about this message')
    .option(
      '-n, --lines <n>',
      'how many matching lines of the past to show (0 = all)',
      countInt('lines'),
      200,
    )
    .option(
      '--json',
      'print the JSON lines as they are (default when not on a terminal: pretty only on a terminal)',
    )
    .option('--file <path>', 'read this log file instead')
    .action(async (opts: LogsOptions) => {
      levelNumber(opts.level); // fails early on an unknown level
      const file = opts.file ?? dataPaths(loadConfig().config.dataDir).logFile;
      const json = opts.json || !process.stdout.isTTY;
      const pretty = json
        ? undefined
        : prettyFactory({
            colorize: true,
            translateTime: 'SYS:yyyy-mm-dd HH:MM:ss',
            ignore: 'pid,hostname,app',
          });
      const print = (m: { obj?: Record<string, unknown>; raw: string }) => {
        process.stdout.write(pretty && m.obj ? pretty(m.obj) : `${m.raw}\n`);
      };
      const filter: LogFilter = {
        ...(opts.level ? { level: opts.level } : {}),
        ...(opts.customer ? { customer: opts.customer } : {}),
        ...(opts.msgid ? { msgid: opts.msgid } : {}),
      };

      if (!existsSync(file) && !logFilesOldestFirst(file).length && !opts.follow) {
        console.error(
          `no log file at ${file} yet: wxcoze writes it once started (\`${nextCommand('start')}\`).`,
        );
        process.exitCode = 1;
        return;
      }
      // Opened before the history is read, at the live file's end: a line written meanwhile is
      // printed by the follower, not lost between the two.
      const follower = opts.follow ? new LogFollower(file, true) : undefined;
      // The past, oldest first, across the rotated files (wxcoze.log.9 … wxcoze.log.1, wxcoze.log).
      for (const m of pastLines(file, opts.lines, (l) => matchLine(l, filter))) print(m);
      if (!follower) return;
      // Following a log that does not exist yet is fine (start comes next), but say so instead of a blank wait.
      if (!existsSync(file))
        console.error(
          `no log file at ${file} yet: waiting for wxcoze to write one (start it with \`${nextCommand('start')}\`; Ctrl-C stops waiting).`,
        );

      // Follow: poll the file; through a rotation the follower finishes the old file, then goes on.
      await new Promise<void>((resolve) => {
        const stop = () => {
          clearInterval(timer);
          follower.close();
          resolve();
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        const timer = setInterval(() => {
          for (const l of follower.poll()) {
            const m = matchLine(l, filter);
            if (m) print(m);
          }
        }, 200);
      });
    });
}
