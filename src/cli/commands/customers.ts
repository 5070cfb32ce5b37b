import type { Command } from 'commander';
import { loadConfig } from '../../config/load.js';
import type { ForgetPlan } from '../../store/maintenance-types.js';
import { openStore } from '../../store/index.js';
import { nextCommand } from '../lib/next-command.js';
import { bold, OK, WARN } from '../lib/ui.js';

/**
 * `wxcoze customers forget <id>`: one person erased (China's personal-information law gives them
 * that right, PIPL art. 47). Without --yes it only shows what would go. It says plainly what it
 * cannot reach: copies made before (backups, MySQL's logs) and Coze's own copy of the conversation.
 */
export function registerCustomers(program: Command): void {
  const customers = program.command('customers').description("customers' data held by wxcoze");
  customers
    .command('forget')
    .description(
      "erase one person's messages, identities and conversation references (shows what first; --yes erases)",
    )
    .argument('<id>', 'the internal user id (u_…), a WeChat external_userid (wm…), or an OpenAI API `user`')
    .option('--yes', 'erase (without it nothing changes)')
    .action(async (id: string, opts: { yes?: boolean }) => {
      const { config } = loadConfig();
      const mysql = Boolean(config.store?.databaseUrl);
      const store = await openStore({ dataDir: config.dataDir, databaseUrl: config.store?.databaseUrl });
      try {
        const match = await store.privacy.findPerson(id);
        if (match.kind === 'none') {
          process.exitCode = 1;
          console.log(
            `Nobody known as "${id}": nothing to erase. \`${nextCommand('users list')}\` shows the internal users and their identities.`,
          );
          return;
        }
        if (match.kind === 'many') {
          process.exitCode = 1;
          console.log(
            `"${id}" names ${match.userIds.length} internal users (the same name under several API keys): forget them one by one by their internal id:\n` +
              match.userIds.map((u) => `  ${nextCommand(`customers forget ${u}`)}`).join('\n'),
          );
          return;
        }
        if (!opts.yes) {
          console.log(`${bold('Would erase')} (nothing has changed yet):`);
          console.log(describe(match.plan));
          console.log(`\nTo erase it: \`${nextCommand(`customers forget ${id} --yes`)}\``);
          console.log(unreachable(mysql));
          return;
        }
        const done = await store.privacy.forget(match.plan);
        const compacted = await store.privacy.compact();
        console.log(`${OK()} ${bold('Erased')}:`);
        console.log(describe(done));
        if (!compacted)
          console.log(
            `${WARN()} the database's write-ahead log could not be emptied now (the server was reading): the erased text leaves the -wal file at the next checkpoint; run this command again later to be sure.`,
          );
        console.log(unreachable(mysql));
      } finally {
        await store.close();
      }
    });
}

function describe(p: ForgetPlan): string {
  return [
    `  internal user: ${p.userId ?? '(none: this customer never reached the bot)'}`,
    `  identities: ${p.identities.length ? p.identities.join(', ') : '(none)'}`,
    `  WeChat customer ids: ${p.externalUserIds.length ? p.externalUserIds.join(', ') : '(none)'}`,
    `  messages (theirs and the answers to them): ${p.messages}`,
    `  sent-message log entries: ${p.sentLog}`,
    `  customer records (mode, nickname, avatar): ${p.customers}`,
    `  Coze conversation references: ${p.conversations}`,
    `  operator audit entries (kept, with the customer id removed): ${p.auditRows}`,
  ].join('\n');
}

function unreachable(mysql: boolean): string {
  return [
    '',
    'What wxcoze cannot erase:',
    "  - Coze's own copy of the conversations and memory: the internal user id above is the user_id Coze knows them by; delete them in Coze;",
    '  - backups made before now (WXCOZE_BACKUP_DIR, `wxcoze backup` files, wxcoze.db.before-restore-* files): they age out (WXCOZE_BACKUP_KEEP) or delete them;',
    ...(mysql
      ? [
          "  - MySQL/MariaDB's binary logs, redo/undo logs and the database host's own backups (they age out per the server's settings);",
        ]
      : []),
    "  - WeCom's own record of the chat (WeCom keeps it), and wxcoze's log files if WXCOZE_LOG_LEVEL was debug.",
  ].join('\n');
}
