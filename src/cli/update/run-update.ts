/**
 * The sequence of `wxcoze update` and its way back, after ghost-cli's `update`: check → backup →
 * install → migrate → restart → ready, each stage printed as it runs. Once the server was stopped,
 * any failure rolls back: the previous version is installed again from the tarball kept in the
 * backup, the data copy is put back (SQLite; MySQL's data stays, see data-backup.ts), the server is
 * started again and checked, and the user is told what failed and what runs now. Every effect is a
 * port (`UpdateSteps`), so the order and the rollback are tested without npm or a server.
 */
import semver from 'semver';
import type { DataBackup } from './data-backup.js';
import type { Ready } from './readiness.js';
import type { RunMode } from './service.js';
import type { Target } from './target.js';
import { StageError } from './types.js';

export interface UpdatePlan {
  current: string;
  target: Target;
  /** "globally in /usr/local", "in the project /srv/shop". */
  where: string;
  mode: RunMode;
  /** How the server runs, in words (describeMode). */
  modeText: string;
  store: 'sqlite' | 'mysql';
  /** The npm command that installs a spec where wxcoze is, for the rollback's by-hand steps. */
  installCommand(spec: string): string;
}

export interface UpdateSteps {
  /** Reads where and how wxcoze runs and what to install; throws StageError to refuse. */
  check(): Promise<UpdatePlan>;
  /** Keeps the installed version as a tarball (npm pack of the installed copy); returns its path. */
  keepPackage(): Promise<string>;
  stop(): Promise<void>;
  backupData(): Promise<DataBackup>;
  install(spec: string): Promise<void>;
  migrate(): Promise<void>;
  start(): Promise<void>;
  ready(version: string): Promise<Ready>;
  /** One line from `wxcoze status` of the running server, if it says anything. */
  status(): Promise<string | undefined>;
  restoreData(backup: DataBackup): Promise<void>;
}

export interface Printer {
  stage(n: number, title: string): void;
  ok(line: string): void;
  fail(line: string): void;
  info(line: string): void;
}

const STAGES = ['check', 'backup', 'install', 'migrate', 'restart', 'ready'] as const;
type Stage = (typeof STAGES)[number];

export interface UpdateResult {
  /** 0 updated (or nothing to do), 1 failed (rolled back, or not even started). */
  exitCode: number;
  failedAt?: Stage;
  rolledBack?: boolean;
}

const why = (err: unknown) =>
  err instanceof StageError ? `${err.message}${err.detail ? `\n${err.detail}` : ''}` : (err as Error).message;

export async function runUpdate(
  steps: UpdateSteps,
  out: Printer,
  next: (cmd: string) => string,
): Promise<UpdateResult> {
  let stage: Stage = 'check';
  const begin = (s: Stage) => {
    stage = s;
    out.stage(STAGES.indexOf(s) + 1, s);
  };
  const help = `\`${next('logs')}\` shows the server's log; \`${next('doctor')}\` checks the setup.`;

  begin('check');
  let plan: UpdatePlan;
  try {
    plan = await steps.check();
  } catch (err) {
    out.fail(`${why(err)}\nNothing was changed.`);
    return { exitCode: 1, failedAt: 'check' };
  }
  out.ok(`wxcoze ${plan.current}, installed ${plan.where}, ${plan.modeText}; store: ${plan.store}`);
  if (plan.target.version === plan.current) {
    out.ok(`already at ${plan.current}: nothing to do`);
    return { exitCode: 0 };
  }
  out.ok(`update to ${plan.target.version} from ${plan.target.from}`);
  if (semver.valid(plan.current) && semver.lt(plan.target.version, plan.current))
    out.info(
      `${plan.target.version} is older than ${plan.current}: a downgrade. The database keeps the newer schema, which the older version reads (migrations only add).`,
    );
  const running = plan.mode.kind !== 'stopped';

  begin('backup');
  let kept: string;
  try {
    kept = await steps.keepPackage();
    out.ok(`wxcoze ${plan.current} kept as ${kept} (to install again if the update fails)`);
  } catch (err) {
    out.fail(`could not keep the installed version: ${why(err)}\nNothing was changed.`);
    return { exitCode: 1, failedAt: 'backup' };
  }
  try {
    await steps.stop();
    if (running)
      out.ok(
        `wxcoze stopped (pid ${(plan.mode as { pid: number }).pid}) so the copy holds every message; WeCom keeps new ones until it is back`,
      );
  } catch (err) {
    out.fail(`could not stop wxcoze: ${why(err)}\nNothing was changed${running ? '; it still runs' : ''}.`);
    return { exitCode: 1, failedAt: 'backup' };
  }
  let backup: DataBackup;
  try {
    backup = await steps.backupData();
    if (backup.database) out.ok(`database copied to ${backup.database}`);
    if (backup.config) out.ok(`configuration copied to ${backup.config}`);
    if (backup.mysqlDump)
      out.info(
        `MySQL/MariaDB: the database is not copied and not rolled back (the previous version reads the new schema: migrations only add). For a copy of your own first: ${backup.mysqlDump}`,
      );
  } catch (err) {
    out.fail(`could not copy the data: ${why(err)}`);
    return restartOld(steps, out, plan, help, 'backup');
  }

  let installing = false;
  try {
    begin('install');
    installing = true;
    await steps.install(plan.target.spec);
    out.ok(`wxcoze ${plan.target.version} installed ${plan.where}`);
    begin('migrate');
    await steps.migrate();
    out.ok('schema up to date');
    if (running) {
      begin('restart');
      await steps.start();
      out.ok(
        `wxcoze ${plan.target.version} started (${plan.mode.kind === 'systemd' ? 'systemctl start wxcoze' : next('start --daemon')})`,
      );
      begin('ready');
      const ready = await steps.ready(plan.target.version);
      if (!ready.ok) throw new StageError(ready.why);
      out.ok(`wxcoze ${plan.target.version} answers ${ready.path} at ${ready.url} (pid ${ready.pid})`);
      const status = await steps.status();
      if (status) out.info(status);
    } else {
      out.info(
        `wxcoze was not running: start it with \`${next('start --daemon')}\` (or \`sudo systemctl start wxcoze\`).`,
      );
    }
  } catch (err) {
    out.fail(`${stage} failed: ${why(err)}`);
    return rollback(steps, out, plan, { kept, backup, installing }, help, stage);
  }
  out.info(
    `Updated ${plan.current} → ${plan.target.version}. The backup stays in ${backup.dir} (delete it when you no longer need it).`,
  );
  return { exitCode: 0 };
}

/** The data could not be copied, nothing was installed: the same version starts again. */
async function restartOld(
  steps: UpdateSteps,
  out: Printer,
  plan: UpdatePlan,
  help: string,
  failedAt: Stage,
): Promise<UpdateResult> {
  if (plan.mode.kind === 'stopped') {
    out.info('Nothing was installed.');
    return { exitCode: 1, failedAt };
  }
  try {
    await steps.start();
    const ready = await steps.ready(plan.current);
    if (!ready.ok) throw new StageError(ready.why);
    out.info(`Nothing was installed; wxcoze ${plan.current} runs again (pid ${ready.pid}).`);
  } catch (err) {
    out.fail(`and wxcoze ${plan.current} did not start again: ${why(err)}\n→ ${help}`);
  }
  return { exitCode: 1, failedAt };
}

async function rollback(
  steps: UpdateSteps,
  out: Printer,
  plan: UpdatePlan,
  saved: { kept: string; backup: DataBackup; installing: boolean },
  help: string,
  failedAt: Stage,
): Promise<UpdateResult> {
  out.stage(0, `rollback to ${plan.current}`);
  const undone: string[] = [];
  const left: string[] = [];
  try {
    // The new version may be up but not ready, or restarting under systemd: stop it first.
    await steps
      .stop()
      .catch((err: unknown) => left.push(`stopping wxcoze ${plan.target.version}: ${why(err)}`));
    if (saved.installing) {
      await steps.install(saved.kept);
      undone.push(`wxcoze ${plan.current} installed again from ${saved.kept}`);
      out.ok(undone.at(-1)!);
    }
    if (saved.backup.database || saved.backup.config) {
      await steps.restoreData(saved.backup);
      undone.push(`data restored from ${saved.backup.dir}`);
      out.ok(undone.at(-1)!);
    }
    if (saved.backup.mysqlDump)
      out.info('MySQL/MariaDB data is not rolled back: the previous version reads the new schema.');
    if (plan.mode.kind !== 'stopped') {
      await steps.start();
      const ready = await steps.ready(plan.current);
      if (!ready.ok) throw new StageError(ready.why);
      out.ok(
        `wxcoze ${plan.current} runs again and answers ${ready.path} at ${ready.url} (pid ${ready.pid})`,
      );
    }
  } catch (err) {
    out.fail(
      `the rollback did not finish: ${why(err)}${left.length ? `\n${left.join('\n')}` : ''}\nBy hand: install the kept version (\`${plan.installCommand(saved.kept)}\`), ${
        saved.backup.database ? `copy ${saved.backup.database} over the database (wxcoze stopped), ` : ''
      }then start wxcoze.\n→ ${help}`,
    );
    return { exitCode: 1, failedAt, rolledBack: false };
  }
  out.fail(
    `The update to ${plan.target.version} failed at "${failedAt}" and was rolled back: wxcoze ${plan.current} ${
      plan.mode.kind === 'stopped'
        ? 'is installed again (not started: it was not running)'
        : 'is running again'
    }${saved.backup.database ? ', with its data as it was before the update' : ''}.\n→ ${help}`,
  );
  return { exitCode: 1, failedAt, rolledBack: true };
}
