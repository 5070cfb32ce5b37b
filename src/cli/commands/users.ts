import type { Command } from 'commander';
import { loadConfig } from '../../config/load.js';
import { openStore } from '../../store/index.js';
import type { ChannelIdentity, Store } from '../../store/types.js';
import { OK } from '../lib/ui.js';

/**
 * Channel names as the bridge records them: 'wecom' (WeChat customers, by external_userid) and 'web'
 * (the OpenAI-compatible API, src/openai/identity.ts: `<scope>/owui:<Open WebUI user id>`,
 * `<scope>/user:<user field>` or `key:<key id>`, scope `t:<tenant>` or `k:<key id>`). Friendlier spellings are accepted.
 */
const CHANNEL_ALIASES: Record<string, string> = { wecom: 'wecom', wechat: 'wecom', weixin: 'wecom', web: 'web', openwebui: 'web', 'open-webui': 'web', owui: 'web', openai: 'web' };

export function parseIdentity(arg: string): ChannelIdentity {
  const i = arg.indexOf(':');
  if (i <= 0 || i === arg.length - 1) {
    throw new Error(`"${arg}" is not channel:id. Examples: wecom:wmXXXX (a WeChat customer's external_userid, see \`wxcoze logs\`), openwebui:t:<tenant>/owui:<Open WebUI user id>.`);
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
  const users = program.command('users').description('internal users and the channel identities joined to them');
  users
    .command('link')
    .description('join two channel identities into one internal user (they then share one Coze memory); the first keeps its memory')
    .argument('<keep>', 'channel:id whose Coze memory is kept, e.g. wecom:wmXXXX')
    .argument('<other>', 'channel:id to join to it, e.g. openwebui:t:shop/owui:3f2a…')
    .action(async (keepArg: string, otherArg: string) => {
      const keep = parseIdentity(keepArg);
      const other = parseIdentity(otherArg);
      if (keep.channel === other.channel && keep.externalId === other.externalId) throw new Error('both arguments name the same identity.');
      await withStore(async (store) => {
        const r = await store.linkIdentities(keep, other, Date.now());
        if (r.alreadyLinked) {
          console.log(`${OK()} ${show(keep)} and ${show(other)} are already one user (${r.userId}).`);
          return;
        }
        console.log(`${OK()} ${show(keep)} and ${show(other)} are now one user: ${r.userId} (what Coze sees as user_id).`);
        if (r.mergedUserId) {
          console.log(`  merged user ${r.mergedUserId} into it: ${r.movedConversations} conversation(s) taken over, ${r.droppedConversations} dropped (the first identity's conversation with that bot is kept).`);
        }
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
          console.log(`${show(who)} is not known yet (a user is created when they first write).`);
        } else {
          console.log(`${r.userId}\n${r.identities.map((x) => `  ${show(x)}`).join('\n')}`);
        }
        if (!r) process.exitCode = 1;
      });
    });
}
