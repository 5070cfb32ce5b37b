import { Command } from 'commander';
import { createRequire } from 'node:module';
import { resolve as resolvePath } from 'node:path';
import { registerDemo } from './commands/demo.js';
import { registerMigrate } from './commands/migrate.js';
import { registerMigrateStore } from './commands/migrate-store.js';
import { registerStart } from './commands/start.js';
import { registerDoctor } from './commands/doctor.js';
import { registerFakes } from './commands/fakes.js';
import { registerInit } from './commands/init.js';
import { registerLogs } from './commands/logs.js';
import { registerStatus } from './commands/status.js';
import { registerStop } from './commands/stop.js';
import { registerUsers } from './commands/users.js';
import { registerVerify } from './commands/verify.js';

const pkg = createRequire(import.meta.url)('../../package.json') as { version: string };

const program = new Command()
  .name('wxcoze')
  .description('Bridge WeCom customer service (微信客服) to Coze bots')
  .version(pkg.version)
  .option('--data-dir <dir>', 'data directory (config, database, logs); default $WXCOZE_DATA_DIR or ~/.wxcoze')
  .hook('preAction', (cmd) => {
    // Every command finds the data directory through WXCOZE_DATA_DIR: the flag just sets it.
    const dir = cmd.opts<{ dataDir?: string }>().dataDir;
    if (dir) process.env.WXCOZE_DATA_DIR = resolvePath(dir);
  });

registerInit(program);
registerStart(program);
registerStop(program);
registerStatus(program);
registerLogs(program);
registerVerify(program);
registerDoctor(program);
registerUsers(program);
registerFakes(program);
registerDemo(program);
registerMigrate(program);
registerMigrateStore(program);

program.parseAsync(process.argv).catch((err: Error) => {
  console.error(`wxcoze: ${err.message}`);
  process.exit(1);
});
