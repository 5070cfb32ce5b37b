import type { Command } from 'commander';
import { operatorNameProblem } from '../../console/auth/password.js';
import { loadConfig } from '../../config/load.js';
import type { WxcozeConfig } from '../../config/types.js';
import { openStore } from '../../store/index.js';
import type { Store } from '../../store/types.js';
import { nextCommand } from '../lib/next-command.js';
import {
  cliActor,
  consoleUrl,
  readNewPassword,
  setOperatorPassword,
  type PasswordSource,
} from '../lib/operators.js';
import { bold, dim, OK, WARN } from '../lib/ui.js';

/**
 * `wxcoze admin …`: who may log in to the operator console. The console stays off until the first
 * operator exists (`wxcoze admin password`); each operator logs in with a name and a password,
 * stored as a scrypt hash in the store (src/console/auth/password.ts).
 */
async function withStore<T>(fn: (store: Store, config: WxcozeConfig) => Promise<T>): Promise<T> {
  const { config } = loadConfig();
  const store = await openStore({ dataDir: config.dataDir, databaseUrl: config.store?.databaseUrl });
  try {
    return await fn(store, config);
  } finally {
    await store.close();
  }
}

function checkName(name: string): string {
  const problem = operatorNameProblem(name);
  if (problem) throw new Error(`The name "${name}" ${problem}. Example: wxcoze admin add xiaowang`);
  return name;
}

interface PasswordFlags {
  generate?: boolean;
  passwordStdin?: boolean;
}
const source = (o: PasswordFlags): PasswordSource => ({
  ...(o.generate ? { generate: true } : {}),
  ...(o.passwordStdin ? { stdin: true } : {}),
});

function report(
  name: string,
  r: { created: boolean; endedSessions: number },
  pw: { password: string; generated: boolean },
  config: WxcozeConfig,
) {
  console.log(
    `${OK()} ${r.created ? `operator ${bold(name)} added` : `password of ${bold(name)} changed`}` +
      (r.endedSessions ? ` (${r.endedSessions} open login(s) ended)` : ''),
  );
  if (pw.generated)
    console.log(
      `  password: ${bold(pw.password)}\n  ${dim('shown only now: keep it in a password manager')}`,
    );
  console.log(`  console: ${consoleUrl(config)}  (log in as ${name})`);
}

export function registerAdmin(program: Command): void {
  const admin = program.command('admin').description('operators of the web console (who may log in)');
  const pwOptions = (c: Command) =>
    c
      .option('--generate', 'make up a strong password and print it once')
      .option('--password-stdin', 'read the password from standard input (scripts)');

  pwOptions(
    admin
      .command('password')
      .description('set or reset an operator password (creates the operator if needed; turns the console on)')
      .option('--name <name>', 'the operator', 'admin'),
  ).action(async (o: PasswordFlags & { name: string }) => {
    const name = checkName(o.name);
    const pw = await readNewPassword(source(o));
    await withStore(async (store, config) =>
      report(name, await setOperatorPassword(store, name, pw.password), pw, config),
    );
  });

  pwOptions(
    admin.command('add').description('add a named operator (each person their own login)').argument('<name>'),
  ).action(async (nameArg: string, o: PasswordFlags) => {
    const name = checkName(nameArg);
    await withStore(async (store, config) => {
      if (await store.consoleAccess.getOperator(name))
        throw new Error(
          `operator "${name}" already exists. To give it a new password: ${nextCommand(`admin password --name ${name}`)}`,
        );
      const pw = await readNewPassword(source(o));
      report(name, await setOperatorPassword(store, name, pw.password), pw, config);
    });
  });

  admin
    .command('list')
    .description('list the operators')
    .action(async () => {
      await withStore(async (store, config) => {
        const ops = await store.consoleAccess.listOperators();
        if (!ops.length) {
          console.log(
            `${WARN()} no operator yet: the console is off. Turn it on: ${nextCommand('admin password')}`,
          );
          return;
        }
        for (const op of ops)
          console.log(
            `${op.name}  ${dim(`added ${new Date(op.createdAt).toISOString().slice(0, 10)}, password set ${new Date(op.updatedAt).toISOString().slice(0, 16).replace('T', ' ')} UTC`)}`,
          );
        console.log(dim(`console: ${consoleUrl(config)}`));
      });
    });

  admin
    .command('remove')
    .description('remove an operator (their open logins end at once)')
    .argument('<name>')
    .action(async (name: string) => {
      await withStore(async (store) => {
        if (!(await store.consoleAccess.removeOperator(name)))
          throw new Error(`there is no operator "${name}". ${nextCommand('admin list')} shows them.`);
        await store.consoleAccess.audit({
          at: Date.now(),
          operator: cliActor(),
          action: 'operator_removed',
          detail: JSON.stringify({ name }),
        });
        const left = await store.consoleAccess.countOperators();
        console.log(`${OK()} operator ${bold(name)} removed`);
        if (!left)
          console.log(
            `${WARN()} no operator left: the console is off until ${nextCommand('admin password')}`,
          );
      });
    });
}
