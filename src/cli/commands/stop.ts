import type { Command } from 'commander';
import { loadConfig } from '../../config/load.js';
import { nextCommand } from '../lib/next-command.js';
import { positiveInt } from '../lib/options.js';
import { formatDuration, isAlive, runningServer } from '../lib/runstate.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `wxcoze stop`: SIGTERM to the running server, then wait while it drains answers in flight. */
export function registerStop(program: Command): void {
  program
    .command('stop')
    .description('stop the running server (SIGTERM) and wait until answers in flight are finished')
    .option('--timeout <s>', 'how long to wait for the drain, in seconds', positiveInt('seconds'), 30)
    .action(async (opts: { timeout: number }) => {
      const { config } = loadConfig();
      const running = runningServer(config.dataDir);
      if (!running) {
        console.log(`wxcoze is not running (no live process in ${config.dataDir}/wxcoze.pid).`);
        return;
      }
      const { pid } = running;
      const started = Date.now();
      try {
        process.kill(pid, 'SIGTERM');
      } catch (err) {
        console.error(
          `cannot signal pid ${pid} (${(err as NodeJS.ErrnoException).code}): run \`${nextCommand('stop')}\` as the user that started wxcoze.`,
        );
        process.exitCode = 1;
        return;
      }
      process.stdout.write(`stopping wxcoze (pid ${pid}) `);
      const deadline = started + opts.timeout * 1000;
      while (isAlive(pid) && Date.now() < deadline) await sleep(100);
      if (isAlive(pid)) {
        console.log('');
        console.error(
          `wxcoze (pid ${pid}) is still running after ${opts.timeout} s.\n  → \`kill -9 ${pid}\` forces it; messages in flight are taken up again at the next start.`,
        );
        process.exitCode = 1;
        return;
      }
      console.log(`— stopped after ${formatDuration(Date.now() - started)}.`);
    });
}
