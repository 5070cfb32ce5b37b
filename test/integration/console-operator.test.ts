/**
 * The operator's side of the console in a real browser (Debian's chromium through playwright-core)
 * against the real server and the fakes: take over and reply (one message for a double click), the
 * customer's next message not sent to Coze, hand back, a handoff to the console announced on the
 * open page, and a failed message retried from the failed page, answered once.
 *
 * The panel is mounted the way the thread page mounts it (a #operator-panel div with the customer's
 * ids, then templates/console/operator-panel.js), on a page of the console, so these tests do not
 * depend on the conversations pages.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { Page } from 'playwright-core';
import { needsChromium, startConsole, type ConsoleSession } from '../helpers/console-browser.js';
import { KF, settle, waitFor } from '../helpers/harness.js';

const sessions: ConsoleSession[] = [];
after(async () => {
  for (const s of sessions) await s.close().catch(() => {});
});

async function open(env: Record<string, string> = {}): Promise<ConsoleSession> {
  const c = await startConsole({ env });
  sessions.push(c);
  return c;
}

/** The thread page's panel for one customer, on a console page. */
async function panel(c: ConsoleSession, user: string, page: Page = c.page): Promise<void> {
  await page.goto(c.url('/audit'));
  await page.evaluate(
    async ({ kf, user, src }) => {
      const div = document.createElement('div');
      div.id = 'operator-panel';
      div.dataset.openKfid = kf;
      div.dataset.externalUserid = user;
      document.getElementById('app')!.prepend(div);
      await import(src);
    },
    { kf: KF, user, src: `${c.base}/assets/operator-panel.js` },
  );
  await page.waitForSelector('#operator-panel[data-mode]');
}

const texts = (c: ConsoleSession, user: string) => c.wecom.sentTo(user).map((s) => s.content);

test(
  'take over, reply once on a double click, the next customer message is not sent to Coze, hand back → Coze answers again',
  { skip: needsChromium },
  async () => {
    const c = await open();
    const p = c.page;
    await c.wecom.customerSends(KF, 'wmBrowser1', { text: '你好' });
    await waitFor('the AI answer', () => texts(c, 'wmBrowser1').length === 1);

    await panel(c, 'wmBrowser1');
    assert.equal(await p.getAttribute('#operator-panel', 'data-mode'), 'ai');
    assert.equal(
      await p.isVisible('[data-testid=reply-text]'),
      false,
      'no reply box while the AI has the chat',
    );
    await p.click('[data-testid=take-over]');
    await p.waitForSelector('#operator-panel[data-mode=console]');
    assert.match((await p.textContent('[data-testid=op-budget]')) ?? '', /还可发送 4\/5 条/);

    await p.fill('[data-testid=reply-text]', '您好，我是店主');
    await p.dblclick('[data-testid=reply-send]');
    await waitFor('the operator reply', () => texts(c, 'wmBrowser1').length === 2);
    await p.waitForFunction(
      () => (document.querySelector('[data-testid=reply-text]') as HTMLTextAreaElement).value === '',
    );
    await settle(800);
    assert.deepEqual(
      texts(c, 'wmBrowser1'),
      ['收到：你好', '您好，我是店主'],
      'one message for the double click',
    );
    await p.waitForFunction(() =>
      /3\/5/.test(document.querySelector('[data-testid=op-budget]')!.textContent!),
    );

    const next = await c.wecom.customerSends(KF, 'wmBrowser1', { text: '还在吗' });
    await waitFor(
      'recorded, not answered',
      async () => (await c.server.store.get(next))?.state === 'skipped',
    );
    assert.equal(c.coze.chats.length, 1, 'Coze was not asked while the operator has the chat');

    await p.click('[data-testid=hand-back]');
    await p.waitForSelector('#operator-panel[data-mode=ai]');
    await c.wecom.customerSends(KF, 'wmBrowser1', { text: '再问一个' });
    await waitFor('the AI again', () => texts(c, 'wmBrowser1').length === 3);
    assert.equal(texts(c, 'wmBrowser1')[2], '收到：再问一个');
    const audit = await c.server.store.consoleAccess.listAudit({ limit: 10 });
    assert.deepEqual(
      audit.map((a) => a.action).filter((a) => ['takeover', 'reply', 'handback'].includes(a)),
      ['handback', 'reply', 'takeover'],
    );
  },
);

test(
  'a chat handed to a WeCom servicer is read-only in the console, which says why',
  { skip: needsChromium },
  async () => {
    const c = await open();
    await c.wecom.customerSends(KF, 'wmBrowser2', { text: '转人工' });
    await waitFor(
      'handed over',
      async () => (await c.server.store.getCustomer(KF, 'wmBrowser2')).mode === 'human',
    );
    await panel(c, 'wmBrowser2');
    assert.equal(await c.page.getAttribute('#operator-panel', 'data-mode'), 'human');
    assert.match((await c.page.textContent('[data-testid=op-why]')) ?? '', /企业微信的人工客服.*无法发送/);
    assert.equal(await c.page.isVisible('[data-testid=take-over]'), false);
    assert.equal(await c.page.isVisible('[data-testid=reply-text]'), false);
  },
);

test(
  'a handoff to the console notifies the open page (banner, chime, count in the nav)',
  { skip: needsChromium },
  async () => {
    const c = await open({ WXCOZE_HANDOFF_TO: 'console' });
    const p = c.page;
    await p.goto(c.url('/audit'));
    await p.waitForSelector('[data-testid=waiting-count]', { state: 'attached' });
    assert.equal(await p.isVisible('[data-testid=handoff-banner]'), false);
    await c.wecom.customerSends(KF, 'wmBrowser3', { text: '我要转人工' });
    await p.waitForSelector('[data-testid=handoff-banner]:not([hidden])', { timeout: 40_000 });
    assert.match((await p.textContent('[data-testid=handoff-text]')) ?? '', /wmBrowser3/);
    assert.equal(await p.textContent('[data-testid=waiting-count]'), '1');
    // The chime was attempted (headless Chrome may refuse sound before any click: the banner still shows).
    await p.waitForFunction(() => document.body.dataset.handoffSound !== undefined);
    assert.equal(c.wecom.calls.filter((x) => x.path.endsWith('service_state/trans')).length, 0);

    // The operator answers from the panel: the reply takes the customer out of the queue.
    await panel(c, 'wmBrowser3');
    assert.equal(await p.getAttribute('#operator-panel', 'data-mode'), 'waiting');
    await p.fill('[data-testid=reply-text]', '您好，人工客服为您服务');
    await p.click('[data-testid=reply-send]');
    await p.waitForSelector('#operator-panel[data-mode=console]');
    await waitFor('the operator reply', () => texts(c, 'wmBrowser3').length === 2);
    assert.deepEqual(texts(c, 'wmBrowser3'), ['正在为您转接人工客服，请稍候。', '您好，人工客服为您服务']);
  },
);

test(
  'a failed message retried from the failed page is answered exactly once',
  { skip: needsChromium },
  async () => {
    const c = await open({ COZE_MAX_ATTEMPTS: '1', WXCOZE_APOLOGY_TEXT: '系统繁忙' });
    const p = c.page;
    c.coze.failNext(2, 'http500');
    const m1 = await c.wecom.customerSends(KF, 'wmBrowser4', { text: '价格多少' });
    const m2 = await c.wecom.customerSends(KF, 'wmBrowser5', { text: '几点开门' });
    await waitFor('both failed', async () => {
      const [a, b] = [await c.server.store.get(m1), await c.server.store.get(m2)];
      return a?.state === 'failed' && b?.state === 'failed';
    });
    await p.goto(c.url('/failed'));
    await p.waitForSelector(`tr[data-msgid="${m1}"]`);
    assert.match((await p.textContent(`tr[data-msgid="${m1}"]`)) ?? '', /AI 未能回答/);
    assert.match((await p.textContent('[data-testid=failed-status]')) ?? '', /共 2 条/);

    await c.screenshot('failed');

    // Retry one, twice over (a double click on its button): one answer.
    await p.dblclick(`tr[data-msgid="${m1}"] button:text("重试")`);
    await waitFor('answered', () => texts(c, 'wmBrowser4').length === 2);
    await p.waitForSelector(`tr[data-msgid="${m1}"]`, { state: 'detached' });
    // Dismiss the other through the selection.
    await p.check(`tr[data-msgid="${m2}"] input[type=checkbox]`);
    await p.click('[data-testid=dismiss-selected]');
    await p.waitForSelector(`tr[data-msgid="${m2}"]`, { state: 'detached' });
    await p.waitForFunction(() =>
      /没有失败的消息/.test(document.querySelector('[data-testid=failed-status]')!.textContent!),
    );
    await settle(800);
    assert.deepEqual(texts(c, 'wmBrowser4'), ['系统繁忙', '收到：价格多少']);
    assert.deepEqual(texts(c, 'wmBrowser5'), ['系统繁忙'], 'the dismissed one was not answered again');
  },
);
