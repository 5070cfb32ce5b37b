import type { Command } from 'commander';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../config/load.js';
import { last24hText } from '../lib/messages-text.js';
import { nextCommand, withDataDir } from '../lib/next-command.js';
import { positiveInt } from '../lib/options.js';
import { packageRoot, packageVersion } from '../lib/paths.js';
import { bold, FAIL, OK } from '../lib/ui.js';
import { backupData, restoreData } from '../update/data-backup.js';
import { describeLocation, locateInstall, npmInstallArgs } from '../update/location.js';
import { realReadyProbe, waitReady } from '../update/readiness.js';
import { realRun } from '../update/real-run.js';
import { runUpdate, type Printer, type UpdatePlan, type UpdateSteps } from '../update/run-update.js';
import {
  describeMode,
  detectRunMode,
  realServiceProbe,
  serviceControl,
  type RunMode,
} from '../update/service.js';
import { resolveTarget } from '../update/target.js';
import { StageError, tail, type Run } from '../update/types.js';

interface UpdateOptions {
  timeout: number;
}

/**
 * `wxcoze update [version|tarball]`: backs up, installs the new version where this one is, migrates,
 * restarts the server the way it runs, checks it is ready, and rolls back to the previous version
 * and data when it is not (src/cli/update/run-update.ts has the stages). Every module the command
 * needs is imported before npm replaces this install's files.
 */
export function registerUpdate(program: Command): void {
  program
    .command('update [target]')
    .description(
      'update wxcoze to a version from the registry (default: latest) or a local tarball, with a backup, and a rollback if the new version does not come up',
    )
    .option(
      '--timeout <s>',
      'how long the new version may take to answer /readyz, in seconds',
      positiveInt('seconds'),
      60,
    )
    .action(async (target: string | undefined, opts: UpdateOptions) => {
      const result = await runUpdate(realSteps(target, opts, realRun), printer(), nextCommand);
      process.exitCode = result.exitCode;
    });
}

function printer(): Printer {
  return {
    stage: (n, title) => console.log(`\n${bold(n > 0 ? `[${n}/6] ${title}` : title)}`),
    ok: (line) => console.log(`  ${OK()} ${withDataDir(line)}`),
    fail: (line) => console.error(`  ${FAIL()} ${withDataDir(line).replace(/\n/g, '\n    ')}`),
    info: (line) => console.log(`  ${withDataDir(line)}`),
  };
}

const stamp = () => new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);

export function realSteps(arg: string | undefined, opts: UpdateOptions, run: Run): UpdateSteps {
  const root = packageRoot();
  const launcher = join(root, 'bin', 'wxcoze.js');
  const node = process.execPath;
  const current = packageVersion();
  const { config } = loadConfig();
  const dataDir = config.dataDir;
  const backupDir = join(dataDir, 'backups', `update-${stamp()}-from-${current}`);
  // Filled by check(): how the server runs, the environment it runs with, the store it uses.
  let mode: RunMode = { kind: 'stopped' };
  let env: NodeJS.ProcessEnv = { ...process.env, WXCOZE_DATA_DIR: dataDir };
  let cwd = process.cwd();
  let databaseUrl: string | undefined;
  let install: string[] = [];
  const service = () => serviceControl(mode, launcher, run, node);

  return {
    async check(): Promise<UpdatePlan> {
      const loc = locateInstall(root, dataDir);
      if (loc.kind === 'refused') throw new StageError(`cannot update: ${loc.why}.`, `→ ${loc.fix}`);
      const probe = realServiceProbe(dataDir, run);
      mode = await detectRunMode(probe);
      if (mode.kind === 'foreground')
        throw new StageError(
          `wxcoze ${describeMode(mode)} in a terminal, where update cannot start it again.`,
          `→ stop it (Ctrl-C), run \`${nextCommand('update')}\` again, then start it; or run it with \`${nextCommand('start --daemon')}\` or systemd, which update restarts itself`,
        );
      if (mode.kind === 'daemon') ({ env, cwd } = mode);
      else if (mode.kind === 'systemd') {
        env = { ...(probe.processEnv(mode.pid) ?? env), WXCOZE_DATA_DIR: dataDir };
        cwd = probe.processCwd(mode.pid) ?? cwd;
      }
      // The store of the server as it runs (its environment and its .env), not of this shell.
      databaseUrl = loadConfig({ env, cwd }).config.store.databaseUrl;
      const target = await resolveTarget(arg, run, process.cwd());
      install = npmInstallArgs(loc, target.spec);
      return {
        current,
        target,
        where: describeLocation(loc),
        mode,
        modeText: describeMode(mode),
        store: databaseUrl ? 'mysql' : 'sqlite',
        installCommand: (spec) => ['npm', ...npmInstallArgs(loc, spec)].join(' '),
      };
    },
    async keepPackage() {
      mkdirSync(backupDir, { recursive: true, mode: 0o700 });
      // --ignore-scripts: packing a folder runs its prepack script, which would delete dist/ here.
      const r = await run(
        'npm',
        ['pack', '--ignore-scripts', '--json', '--pack-destination', backupDir, root],
        {
          timeoutMs: 120_000,
        },
      );
      if (r.exitCode !== 0) throw new StageError('`npm pack` of the installed wxcoze failed', tail(r));
      const packed = JSON.parse(r.stdout.slice(r.stdout.indexOf('['))) as { filename: string }[];
      return join(backupDir, packed[0]!.filename);
    },
    stop: () => service().stop(),
    backupData: () => backupData({ dataDir, databaseUrl, dir: backupDir }),
    async install(spec) {
      const args = spec === install.at(-1) ? install : [...install.slice(0, -1), spec];
      const r = await run('npm', args, { timeoutMs: 15 * 60_000 });
      if (r.exitCode !== 0)
        throw new StageError(
          `\`npm ${args.join(' ')}\` failed`,
          `${tail(r)}\n→ for SQLite's native part from mainland China, see the README section "Installing where GitHub is unreachable"`,
        );
    },
    async migrate() {
      const r = await run(node, [launcher, 'migrate'], { env, cwd, timeoutMs: 10 * 60_000 });
      if (r.exitCode !== 0) throw new StageError('the migration failed', tail(r));
    },
    start: () => service().start(),
    ready: (version) => waitReady(realReadyProbe(dataDir), version, opts.timeout * 1000),
    async status() {
      const r = await run(node, [launcher, 'status', '--json'], { env, cwd, timeoutMs: 60_000 });
      try {
        const s = JSON.parse(r.stdout) as {
          runningVersion?: string;
          // A version rolled back to may print the older figures (failed/done over all time).
          messages?: { pending: number; last24h?: Record<string, number>; failed?: number; done?: number };
        };
        const m = s.messages;
        const figures = !m
          ? ''
          : m.last24h
            ? `, messages ${m.pending} waiting; ${last24hText(m.last24h)}`
            : `, messages ${m.pending} pending, ${m.failed ?? 0} failed, ${m.done ?? 0} done`;
        return `status: running ${s.runningVersion ?? '?'}${figures}`;
      } catch {
        return undefined;
      }
    },
    restoreData: async (b) => restoreData(b, dataDir),
  };
}
