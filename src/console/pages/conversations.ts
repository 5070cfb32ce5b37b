import type { ConversationSummary } from '../../store/console-types.js';
import type { InboxItem } from '../../store/types.js';
import { LiveFeed, registerLive } from '../live.js';
import { sendPage } from '../layout.js';
import type { ConsolePage } from '../types.js';

const LIST_QUERY = {
  type: 'object',
  properties: {
    before: { type: 'integer', minimum: 1 },
    limit: { type: 'integer', minimum: 1, maximum: 200, default: 50 },
    kf: { type: 'string', maxLength: 64 },
    mode: { type: 'string', enum: ['ai', 'human', 'console', 'waiting'] },
    flag: { type: 'string', enum: ['handoff', 'failed', 'budget'] },
    q: { type: 'string', maxLength: 100 },
  },
  additionalProperties: false,
} as const;

interface ListQuery {
  before?: number;
  limit?: number;
  kf?: string;
  mode?: 'ai' | 'human' | 'console' | 'waiting';
  flag?: 'handoff' | 'failed' | 'budget';
  q?: string;
}

const REFUSAL = {
  zh: '同时打开的控制台页面太多，实时更新暂不可用。请关闭一些标签页后刷新。',
  en: 'Too many console pages are open at once for live updates. Close some tabs, then reload.',
};

/**
 * The console's home: every conversation, latest activity first, with its filters and search; and
 * the live event stream every page listens to (src/console/live.ts).
 */
export const conversationsPage: ConsolePage = async (app, opts) => {
  const conversations = opts.store.conversations;
  const watch = opts.consoleWatch;
  const feed = new LiveFeed({
    conversations,
    logger: opts.logger,
    ...(watch ? { onWatched: () => watch.note() } : {}),
  });
  registerLive(app, feed, (req) => ({ code: 'too_many_streams', message: REFUSAL[req.consoleLang] }));

  app.get('/', async (req, reply) =>
    sendPage(req, reply, opts.base, {
      title: req.consoleLang === 'zh' ? '会话' : 'Conversations',
      active: 'conversations',
      script: 'conversations.js',
      styles: ['conversations.css'],
    }),
  );

  app.get<{ Querystring: ListQuery }>(
    '/api/conversations',
    { schema: { querystring: LIST_QUERY } },
    async (req) => {
      const q = req.query;
      const page = await conversations.list({
        now: Date.now(),
        limit: q.limit ?? 50,
        ...(q.before !== undefined ? { before: q.before } : {}),
        ...(q.kf ? { openKfId: q.kf } : {}),
        ...(q.mode ? { mode: q.mode } : {}),
        ...(q.flag ? { flag: q.flag } : {}),
        ...(q.q?.trim() ? { q: q.q.trim() } : {}),
      });
      // The accounts for the filter come with the first page only.
      const accounts =
        q.before === undefined ? (await opts.store.listAccounts()).map((a) => a.openKfId) : undefined;
      return { items: page.items.map(wireSummary), more: page.more, ...(accounts ? { accounts } : {}) };
    },
  );
};

/** A conversation as the browser gets it: the newest row trimmed to what the list shows. */
export function wireSummary(c: ConversationSummary) {
  return {
    openKfId: c.openKfId,
    externalUserId: c.externalUserId,
    nickname: c.nickname,
    avatar: c.avatar,
    mode: c.mode,
    modeSince: c.modeSince,
    lastSeq: c.lastSeq,
    lastCustomerAt: c.lastCustomerAt,
    budgetUsed: c.budgetUsed,
    flags: c.flags,
    last: wireItem(c.last),
  };
}

/** One inbox row for the browser (lease and Coze ids left out: nothing an operator acts on). */
export function wireItem(i: InboxItem) {
  return {
    seq: i.seq,
    msgid: i.msgid,
    origin: i.origin,
    msgtype: i.msgtype,
    sendTime: i.sendTime,
    payload: i.payload,
    state: i.state,
    attempts: i.attempts,
    parts: i.parts,
    partsSent: i.partsSent,
    note: i.note,
    apologized: i.apologized,
    transcript: i.transcript ?? null,
    mediaFilename: i.mediaFilename ?? null,
    createdAt: i.createdAt,
    updatedAt: i.updatedAt,
  };
}
