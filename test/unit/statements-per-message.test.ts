import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import pino from 'pino';
import { loadConfig } from '../../src/config/load.js';
import type { CozePort } from '../../src/pipeline/ports.js';
import { processMessage, type ProcessDeps } from '../../src/pipeline/process-message.js';
import type { NewInboxMessage } from '../../src/store/types.js';
import { recordQueries } from '../helpers/count-statements.js';
import { BOT_ID, credentialEnv, tempDir } from '../helpers/harness.js';
import { storeEngines } from '../helpers/store-engines.js';
import { KF, startHarness } from '../helpers/wecom-fake.js';

// On MySQL every statement is a round trip that costs the server's CPU and the database's, and
// every write outside a transaction a commit (a log flush): what bounds its throughput (issue 12).
// These are the most a message may cost; the answers themselves are asserted elsewhere.
// A new customer adds their user, identity and conversation; SQLite wraps the first two in
// BEGIN/COMMIT (one commit), MySQL writes them as they are (two round trips, not four).
const NEW_CUSTOMER = { sqlite: 11, mysql: 9 };
const RETURNING = 6; // customer+user+conversation, chat ref, budget, answer, sent_log, last part

const engines = await storeEngines('wxcoze-statements-');
const log = pino({ level: 'silent' });

for (const engine of engines)
  describe(`statements per message on ${engine.name}`, { skip: engine.skip }, () => {
    const wecom = startHarness();
    after(async () => (await wecom).close());

    test(`a text answered costs at most ${NEW_CUSTOMER[engine.name]} statements for a new customer, ${RETURNING} for a returning one`, async () => {
      const { fake, api } = await wecom;
      const s = await engine.open();
      const dir = tempDir();
      const { config, problems } = loadConfig({ env: credentialEnv(dir), cwd: dir });
      assert.deepEqual(problems, []);
      let chats = 0;
      const coze: CozePort = {
        chat: async (req) => {
          chats += 1;
          req.onEvent?.({ type: 'chat.created', chatId: `chat-${chats}`, conversationId: 'conv-1' });
          return {
            text: `answer ${chats}`,
            followUps: [],
            conversationId: 'conv-1',
            chatId: `chat-${chats}`,
          };
        },
        cancelChat: async () => {},
        uploadFile: async () => ({ id: 'f' }),
        transcribe: async () => '',
        speech: async () => Buffer.alloc(0),
      };
      const deps: ProcessDeps = {
        store: s,
        wecom: api,
        coze,
        defaultTarget: { kind: 'bot', botId: BOT_ID },
        service: config.service,
        owner: 'w1',
        allowPrivateUrls: false,
        maxAttempts: 1,
        cozeAuth: 'token',
        maxClaims: 5,
        retryBaseMs: 20,
        maxParts: config.pipeline.maxParts,
        apologyText: 'sorry',
        unsupportedText: 'unsupported',
      };
      const user = `wmStatements${engine.name}`;
      const costs: string[][] = [];
      const seen = recordQueries(s.db);
      for (const n of [1, 2]) {
        await fake.customerSends(KF, user, { text: `question ${n}` }, { notify: false });
        const m: NewInboxMessage = {
          msgid: `st-${engine.name}-${n}`,
          openKfId: KF,
          externalUserId: user,
          origin: 3,
          msgtype: 'text',
          sendTime: Math.floor(Date.now() / 1000),
          payload: { msgtype: 'text', text: { content: `question ${n}` } },
          state: 'received',
        };
        await s.commitPage(KF, `c${n}`, [m], Date.now());
        const [item] = await s.claim({ owner: 'w1', leaseMs: 60_000, limit: 1, now: Date.now() });
        assert.equal(item?.msgid, m.msgid);
        seen.length = 0;
        await processMessage(item, deps, log, new AbortController().signal);
        await new Promise((r) => setTimeout(r, 50)); // the chat ref's write is not awaited
        costs.push(seen.map((q) => q.sql));
        assert.equal((await s.get(m.msgid))!.state, 'done');
      }
      assert.deepEqual(
        fake.sentTo(user).map((x) => x.content),
        ['answer 1', 'answer 2'],
      );
      assert.ok(costs[0]!.length <= NEW_CUSTOMER[engine.name], `new customer:\n${costs[0]!.join('\n')}`);
      assert.ok(costs[1]!.length <= RETURNING, `returning customer:\n${costs[1]!.join('\n')}`);
    });
  });
