import { Command } from 'commander';
import { createRequire } from 'node:module';
import { registerDemo } from './commands/demo.js';
import { registerMigrate } from './commands/migrate.js';
import { registerMigrateStore } from './commands/migrate-store.js';
import { registerStart } from './commands/start.js';

const pkg = createRequire(import.meta.url)('../../package.json') as { version: string };

const program = new Command()
  .name('wxcoze')
  .description('Bridge WeCom customer service (微信客服) to Coze bots')
  .version(pkg.version);

registerStart(program);
registerDemo(program);
registerMigrate(program);
registerMigrateStore(program);

program.parseAsync(process.argv).catch((err: Error) => {
  console.error(`wxcoze: ${err.message}`);
  process.exit(1);
});
