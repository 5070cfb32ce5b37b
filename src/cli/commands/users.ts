import type { Command } from 'commander';
import { loadConfig } from '../../config/load.js';
import { openStore } from '../../store/index.js';
import type { ChannelIdentity, Store } from '../../store/types.js';
import { nextCommand } from '../lib/next-command.js';
import { positiveInt } from '../lib/options.js';
import { dim, OK } from '../lib/ui.js';

/**
 * Channel names as the bridge records them: 'wecom' (WeChat customers, by external_userid) and 'web'
 * (the OpenAI-compatible API, src/openai/identity.ts: `<scope>/owui:<Open WebUI user id>`,
 * `<scope>/user:<user field>` or `key:<key id>`, scope `t:<tenant>` or `k:<key id>`). Friendlier spellings are accepted.
 */
const CHANNEL_ALIASES: Record<string, string> = {
  wecom: 'wecom',
  wechat: 'wecom',
  weixin: 'wecom',
  web: 'web',
  openwebui: 'web',
  'open-webui': 'web',
  owui: 'web',
  openai: 'web',
};

export function parseIdentity(arg: string): ChannelIdentity {
  const i = arg.indexOf(':');
  if (i <= 0 || i === arg.length - 1) {
    throw new Error(
      `"${arg}" is not channel:id. Examples: wecom:wmXXXX (a WeChat customer's external_userid, see \`wxcoze logs\`), openwebui:t:<tenant>/owui:<Open WebUI user id>.`,
    );
  }
  const raw = arg.slice(0, i).toLowerCase();
  return { channel: CHANNEL_ALIASES[raw] ?? raw, externalId: arg.slice(i + 1) };
}

const show = (who: ChannelIdentity) => `${who.channel}:${who.externalId}`;

async function withStore<T>(fn: (store: Store) => Promise<T>): Promise<T> {
  const { config } = loadConfig();
  const store = await openStore({ dataDir: config.dataDir, databaseUrl: config.store?.databaseUrl });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

/**
 * `wxcoze users link A B`: one person, two channels (a WeChat customer and an Open WebUI user) →
 * one internal user, so both share one Coze memory (user_id) and per-bot conversation.
 */
export function registerUsers(program: Command): void {
  const users = program
    .command('users')
    .description('internal users and the channel identities joined to them');
  users
    .command('link')
    .description(
      'join two channel identities into one internal user (they then share one Coze memory); the first keeps its memory',
    )
    .argument('<keep>', 'channel:id whose Coze memory is kept, e.g. wecom:wmXXXX')
    .argument('<other>', 'channel:id to join to it, e.g. openwebui:t:shop/owui:3f2a…')
    .action(async (keepArg: string, otherArg: string) => {
      const keep = parseIdentity(keepArg);
      const other = parseIdentity(otherArg);
      if (keep.channel === other.channel && keep.externalId === other.externalId)
        throw new Error('both arguments name the same identity.');
      await withStore(async (store) => {
        // Linking an identity nobody has would quietly create a user no one is: a typo, most likely.
        for (const who of [keep, other]) {
          if (!(await store.findIdentities(who))) {
            throw new Error(
              `${show(who)} is unknown: nobody has written with this identity yet, so there is nothing to link.\n` +
                `  → \`${nextCommand('users list')}\` shows the identities wxcoze knows (a WeChat customer appears after their first message; see also \`${nextCommand('logs')}\`). ` +
                `Channels are "wecom" (WeChat customers) and "web" (the OpenAI-compatible API / Open WebUI).`,
            );
          }
        }
        const r = await store.linkIdentities(keep, other, Date.now());
        if (r.alreadyLinked) {
          console.log(`${OK()} ${show(keep)} and ${show(other)} are already one user (${r.userId}).`);
          return;
        }
        console.log(
          `${OK()} ${show(keep)} and ${show(other)} are now one user: ${r.userId} (what Coze sees as user_id).`,
        );
        if (r.mergedUserId) {
          console.log(
            `  merged user ${r.mergedUserId} into it: ${r.movedConversations} conversation(s) taken over, ${r.droppedConversations} dropped (the first identity's conversation with that bot is kept).`,
          );
        }
      });
    });
  users
    .command('list')
    .description(
      'internal users, newest first, with the channel identities joined to each (one page at a time)',
    )
    .option('--limit <n>', 'users per page (at most 500: the output stays bounded)', positiveInt('users'), 20)
    .option('--page <n>', 'which page (1 = the newest users)', positiveInt(), 1)
    .option('--json', 'machine-readable output')
    .action(async (opts: { limit: number; page: number; json?: boolean }) => {
      const limit = Math.min(opts.limit, 500);
      await withStore(async (store) => {
        const { total, users: rows } = await store.listUsers({ limit, offset: (opts.page - 1) * limit });
        if (opts.json) {
          console.log(JSON.stringify({ total, page: opts.page, limit, users: rows }, null, 2));
          return;
        }
        if (total === 0) {
          console.log(
            'No users yet: a user is created when a customer first writes (or an API client first chats).',
          );
          return;
        }
        if (rows.length === 0) {
          console.log(
            `Page ${opts.page} is empty: there ${total === 1 ? 'is 1 user' : `are ${total} users`}, ${limit} per page.`,
          );
          return;
        }
        for (const u of rows) {
          console.log(
            `${u.userId}  ${dim(new Date(u.createdAt).toISOString().slice(0, 16).replace('T', ' '))}\n${u.identities.map((x) => `  ${show(x)}`).join('\n') || '  (no identity)'}`,
          );
        }
        const first = (opts.page - 1) * limit + 1;
        const last = first + rows.length - 1;
        const more =
          last < total
            ? `; next page: \`${nextCommand(`users list --page ${opts.page + 1}${limit !== 20 ? ` --limit ${limit}` : ''}`)}\``
            : '';
        console.log(dim(`users ${first}–${last} of ${total}, newest first${more}`));
      });
    });
  users
    .command('show')
    .description('the internal user of a channel identity and every identity joined to it')
    .argument('<who>', 'channel:id')
    .option('--json', 'machine-readable output')
    .action(async (whoArg: string, opts: { json?: boolean }) => {
      const who = parseIdentity(whoArg);
      await withStore(async (store) => {
        const r = await store.findIdentities(who);
        if (opts.json) {
          console.log(JSON.stringify(r ?? null, null, 2));
        } else if (!r) {
          console.log(
            `${show(who)} is not known yet (a user is created when they first write; \`${nextCommand('users list')}\` shows the known ones).`,
          );
        } else {
          console.log(`${r.userId}\n${r.identities.map((x) => `  ${show(x)}`).join('\n')}`);
        }
        if (!r) process.exitCode = 1;
      });
    });
}
