import type { Command } from 'commander';
import { join } from 'node:path';
import { formatProblems, loadConfig } from '../../config/load.js';
import { createLogger } from '../../log/logger.js';
import { startServer } from '../../server/start-server.js';

/** `wxcoze start`: runs the server in the foreground until SIGTERM/SIGINT, then drains and exits. */
export function registerStart(program: Command): void {
  program
    .command('start')
    .description('run the server in the foreground (logs to the terminal and <data dir>/logs/wxcoze.log)')
    .option('--drain-ms <ms>', 'how long in-flight answers may finish on shutdown', '10000')
    .action(async (opts: { drainMs: string }) => {
      const { config, problems } = loadConfig();
      if (problems.length) {
        console.error(formatProblems(problems));
        process.exitCode = 2;
        return;
      }
      const logger = createLogger({ level: config.logLevel, file: join(config.dataDir, 'logs', 'wxcoze.log'), pretty: process.stdout.isTTY });
      const server = await startServer(config, logger).catch((err: Error & { code?: string }) => {
        if (err.code === 'EADDRINUSE') throw new Error(`port ${config.server.port} is already in use. Stop the other program or set PORT to a free port (\`wxcoze doctor\` checks this).`);
        throw err;
      });
      let signals = 0;
      const shutdown = (sig: string) => {
        signals += 1;
        if (signals > 1) { logger.warn('second signal: exiting now'); process.exit(1); }
        logger.info({ signal: sig }, 'shutting down: finishing answers in flight');
        void server.stop(Number(opts.drainMs)).then(() => { logger.flush?.(); setTimeout(() => process.exit(0), 50); });
      };
      process.on('SIGTERM', () => shutdown('SIGTERM'));
      process.on('SIGINT', () => shutdown('SIGINT'));
      if (process.send) process.send({ type: 'ready', url: server.url });
      console.log(`wxcoze is listening on ${server.url} (callback path /wechat/hook)`);
    });
}
