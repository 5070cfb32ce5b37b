import { Command } from 'commander';
import { createRequire } from 'node:module';
import { resolve as resolvePath } from 'node:path';
import { rememberDataDirFlag, withDataDir } from './lib/next-command.js';
import { PRIVATE_UMASK } from './lib/private-files.js';

// Before anything is written: config, database (and its -wal/-shm), logs and the unit hold secrets or
// customer data, so they are owner-only however wxcoze is started (a --daemon child inherits this).
process.umask(PRIVATE_UMASK);

const pkg = createRequire(import.meta.url)('../../package.json') as { version: string };

type Register = (program: Command) => void;

/**
 * Commands, loaded on demand: `wxcoze start` does not pay (in start-up time and memory) for the
 * modules of `init`, `doctor` or `migrate-store`. Help and unknown commands load them all.
 */
const COMMANDS: Record<string, () => Promise<Register>> = {
  init: async () => (await import('./commands/init.js')).registerInit,
  start: async () => (await import('./commands/start.js')).registerStart,
  stop: async () => (await import('./commands/stop.js')).registerStop,
  status: async () => (await import('./commands/status.js')).registerStatus,
  logs: async () => (await import('./commands/logs.js')).registerLogs,
  verify: async () => (await import('./commands/verify.js')).registerVerify,
  doctor: async () => (await import('./commands/doctor.js')).registerDoctor,
  users: async () => (await import('./commands/users.js')).registerUsers,
  fakes: async () => (await import('./commands/fakes.js')).registerFakes,
  demo: async () => (await import('./commands/demo.js')).registerDemo,
  migrate: async () => (await import('./commands/migrate.js')).registerMigrate,
  'migrate-store': async () => (await import('./commands/migrate-store.js')).registerMigrateStore,
  admin: async () => (await import('./commands/admin.js')).registerAdmin,
  alerts: async () => (await import('./commands/alerts.js')).registerAlerts,
  backup: async () => (await import('./commands/backup.js')).registerBackup,
  restore: async () => (await import('./commands/restore.js')).registerRestore,
  customers: async () => (await import('./commands/customers.js')).registerCustomers,
  update: async () => (await import('./commands/update.js')).registerUpdate,
};

/** The subcommand named on the command line (skipping global options), if it is one we know. */
function requestedCommand(argv: string[]): string | undefined {
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--data-dir') {
      i++;
      continue;
    }
    if (a.startsWith('-')) continue;
    return a in COMMANDS ? a : undefined;
  }
  return undefined;
}

const program = new Command()
  .name('wxcoze')
  .description('Bridge WeCom customer service (微信客服) to Coze bots')
  .version(pkg.version)
  .option(
    '--data-dir <dir>',
    'data directory (config, database, logs); default $WXCOZE_DATA_DIR or ~/.wxcoze',
  )
  .hook('preAction', (cmd) => {
    // Every command finds the data directory through WXCOZE_DATA_DIR: the flag just sets it.
    const dir = cmd.opts<{ dataDir?: string }>().dataDir;
    if (dir) process.env.WXCOZE_DATA_DIR = resolvePath(dir);
    // Hints name the same folder, so the command they suggest acts on the same configuration.
    rememberDataDirFlag(dir ? resolvePath(dir) : undefined);
  });

async function main(): Promise<void> {
  const wanted = requestedCommand(process.argv);
  if (wanted === 'start' && !process.argv.includes('--daemon')) {
    // Before the server's modules load: the launcher, if needed, stays small (lib/heap-flags.ts).
    const heap = await import('./lib/heap-flags.js');
    if (heap.needsHeapFlags()) return heap.relaunchWithHeapFlags();
    heap.followLauncher();
  }
  for (const name of wanted ? [wanted] : Object.keys(COMMANDS)) (await COMMANDS[name]!())(program);
  await program.parseAsync(process.argv);
}

main().catch((err: Error) => {
  console.error(`wxcoze: ${withDataDir(err.message)}`);
  process.exit(1);
});
