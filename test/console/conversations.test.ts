import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { KF, KF_2 } from '../helpers/harness.js';
import { needsChromium, startConsole, type ConsoleSession } from '../helpers/console-browser.js';

// The conversations list and a thread in a real browser: live updates without a reload, a
// customer's HTML shown as text, the WeChat nickname from customer/batchget.
const XSS = '<img src=x onerror=alert(1)>';

/** Counts dialogs (an alert() that ran) and page errors on the page. */
function watch(page: Page) {
  const seen = { dialogs: 0, errors: [] as string[] };
  page.on('dialog', (d) => {
    seen.dialogs++;
    // A dialog must not block the page; the count is what the test checks.
    d.dismiss().catch(() => {});
  });
  page.on('pageerror', (e) => seen.errors.push(e.message));
  return seen;
}

test(
  'a customer message appears in the open list and thread without a reload; HTML stays text; nicknames come from batchget',
  { skip: needsChromium },
  async () => {
    const c = await startConsole();
    try {
      const { page, wecom } = c;
      const seen = watch(page);
      wecom.setProfile('wmLiveCustomer0001', {
        nickname: '王小明',
        avatar: 'https://wx.qlogo.cn/mmhead/none/0',
      });
      await wecom.customerSends(KF, 'wmLiveCustomer0001', { text: '你好，在吗？' });
      await page.goto(c.url('/'));
      const row = page.locator('.conv', { hasText: '你好，在吗？' });
      await row.waitFor({ timeout: 30_000 });
      // The nickname arrives from kf/customer/batchget (after the page is committed): live too.
      await page.locator('.conv .conv-name', { hasText: '王小明' }).waitFor({ timeout: 30_000 });

      // Live: a new customer writes while the list is open.
      const navigations: string[] = [];
      page.on('framenavigated', (f) => f === page.mainFrame() && navigations.push(f.url()));
      await wecom.customerSends(KF_2, 'wmLiveCustomer0002', { text: XSS });
      const xssRow = page.locator('.conv', { hasText: XSS });
      await xssRow.waitFor({ timeout: 30_000 });
      assert.deepEqual(navigations, [], 'the list updated without a reload');
      assert.equal(await page.locator('.conv-list img[src="x"]').count(), 0);

      // The thread: the customer's text shown as text, then a new message arriving live.
      await xssRow.locator('a').click();
      await page.waitForURL(/\/c\//);
      await page.locator('.msg.in .bubble', { hasText: XSS }).waitFor();
      assert.equal(await page.locator('#thread img[src="x"]').count(), 0);
      navigations.length = 0;
      await wecom.customerSends(KF_2, 'wmLiveCustomer0002', { text: '第二条消息' });
      await page.locator('.msg.in .bubble', { hasText: '第二条消息' }).waitFor({ timeout: 30_000 });
      // The bot's answer shows up under it once sent (the fake Coze answers every message).
      await page.locator('.msg.out.ai').first().waitFor({ timeout: 30_000 });
      assert.deepEqual(navigations, [], 'the thread updated without a reload');
      assert.equal(seen.dialogs, 0, 'no script from a message ran');
      assert.deepEqual(seen.errors, []);
    } finally {
      await c.close();
    }
  },
);

test('search finds a conversation by text and by customer id', { skip: needsChromium }, async () => {
  const c = await startConsole();
  try {
    const { page, wecom } = c;
    await wecom.customerSends(KF, 'wmSearchA000001', { text: '我想退货' });
    await wecom.customerSends(KF, 'wmSearchB000002', { text: '什么时候发货' });
    await page.goto(c.url('/'));
    await page.locator('.conv').nth(1).waitFor({ timeout: 30_000 });
    await page.fill('input[type=search]', '退货');
    await page.press('input[type=search]', 'Enter');
    await page.waitForFunction(() => document.querySelectorAll('.conv').length === 1);
    assert.equal(await page.locator('.conv').getAttribute('data-user'), 'wmSearchA000001');
    await page.fill('input[type=search]', 'wmSearchB000002');
    await page.press('input[type=search]', 'Enter');
    await page.waitForFunction(
      () => document.querySelector('.conv')?.getAttribute('data-user') === 'wmSearchB000002',
    );
    assert.equal(await page.locator('.conv').count(), 1);
  } finally {
    await c.close();
  }
});

/** Realistic conversations for the screenshots (docs/screenshots/conversations.png, thread.png). */
test('screenshots of the list and a thread', { skip: needsChromium }, async () => {
  const c = await startConsole();
  try {
    const { page, wecom, coze } = c;
    coze.setResponder((chat) => {
      const last = JSON.stringify(chat.messages.at(-1)?.content ?? '');
      if (last.includes('图片')) return '收到照片，这件是 M 码。可以申请换成 L 码，来回运费由我们承担。';
      if (last.includes('退货'))
        return '亲，支持 7 天无理由退货。请在订单页点击「申请售后」，选择退货原因后提交，我们会在 24 小时内审核。';
      if (last.includes('发货')) return '今天下午 4 点前付款的订单当天发货，一般 2–3 天送达。';
      if (last.includes('优惠')) return '新人优惠券在「我的 → 卡券」里，满 99 减 10，结算时自动使用。';
      return '您好，请问有什么可以帮您？';
    });
    // 林晓 sends a photo of the shirt: drawn here on a canvas, sent as the PNG WeCom would hand over.
    const photo = Buffer.from(await page.evaluate(drawShirt), 'base64');
    const people: [string, string, string, (string | Buffer)[]][] = [
      ['wmShotCustomer01', '林晓', KF, ['你好', '我想退货，衣服尺码偏小', photo, '好的谢谢']],
      ['wmShotCustomer02', '陈大伟', KF, ['什么时候发货？']],
      ['wmShotCustomer03', '周周', KF_2, ['优惠券怎么用']],
      ['wmShotCustomer04', 'Amy', KF, ['Do you ship to Hong Kong?']],
    ];
    for (const [id, nickname] of people)
      wecom.setProfile(id, { nickname, avatar: `https://wx.qlogo.cn/mmhead/${id}/0` });
    for (const [id, , kf, texts] of people)
      for (const said of texts) {
        await wecom.customerSends(
          kf,
          id,
          typeof said === 'string' ? { text: said } : { image: said, contentType: 'image/png' },
        );
        await waitForReplies(c, id);
      }
    await page.goto(c.url('/'));
    await page.locator('.conv .conv-name', { hasText: 'Amy' }).waitFor({ timeout: 30_000 });
    await page.locator('.conv .conv-name', { hasText: '林晓' }).waitFor({ timeout: 30_000 });
    await c.screenshot('conversations');
    await page.locator('.conv', { hasText: '林晓' }).locator('a').click();
    await page.locator('.msg.out.ai', { hasText: '7 天无理由退货' }).waitFor({ timeout: 30_000 });
    // The photo is fetched when it comes into view (through <base>/media, from the fake WeCom).
    const thumb = page.locator('.msg.in img.media-thumb');
    await page.locator('.msg.in .media-image').scrollIntoViewIfNeeded();
    await thumb.waitFor({ timeout: 30_000 });
    await page.waitForFunction(() => {
      const img = document.querySelector<HTMLImageElement>('.msg.in img.media-thumb');
      return Boolean(img?.complete && img.naturalWidth > 0);
    });
    await page.evaluate(() => window.scrollTo(0, 0));
    await c.screenshot('thread');
    // On a phone: one column that fits the screen, nothing to scroll sideways, the bubbles readable.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.locator('.msg.out.ai', { hasText: '7 天无理由退货' }).waitFor();
    const wide = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(wide <= 390, `the thread is ${wide}px wide on a 390px screen`);
    const bubble = await page.locator('.msg.out.ai .bubble', { hasText: '7 天无理由退货' }).boundingBox();
    assert.ok(bubble && bubble.x >= 0 && bubble.x + bubble.width <= 390, 'the answer fits the screen');
    await c.screenshot('thread-phone');
  } finally {
    await c.close();
  }
});

/** Until every message of the customer has its answer sent (so the next one is its own turn). */
async function waitForReplies(c: ConsoleSession, id: string) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const t = await c.server.store.conversations.thread(KF, id, { limit: 50 });
    const t2 = await c.server.store.conversations.thread(KF_2, id, { limit: 50 });
    const rows = [...t.items, ...t2.items].filter((i) => i.origin === 3);
    if (rows.length && rows.every((i) => i.state === 'done' || i.state === 'failed')) return;
    if (Date.now() > deadline) throw new Error(`no answer for ${id}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** A photo of a shirt with its size tag, drawn in the browser (runs in the page). */
function drawShirt(): string {
  const c = document.createElement('canvas');
  c.width = 480;
  c.height = 360;
  const g = c.getContext('2d')!;
  const bg = g.createLinearGradient(0, 0, 0, 360);
  bg.addColorStop(0, '#f4efe6');
  bg.addColorStop(1, '#e2d8c8');
  g.fillStyle = bg;
  g.fillRect(0, 0, 480, 360);
  g.fillStyle = '#3b6ea5';
  g.beginPath();
  g.moveTo(170, 60);
  g.lineTo(310, 60);
  g.lineTo(400, 120);
  g.lineTo(365, 175);
  g.lineTo(330, 155);
  g.lineTo(330, 320);
  g.lineTo(150, 320);
  g.lineTo(150, 155);
  g.lineTo(115, 175);
  g.lineTo(80, 120);
  g.closePath();
  g.fill();
  g.fillStyle = '#f4efe6';
  g.beginPath();
  g.arc(240, 60, 32, 0, Math.PI);
  g.fill();
  g.fillStyle = '#ffffff';
  g.fillRect(205, 110, 70, 44);
  g.fillStyle = '#333333';
  g.font = 'bold 30px sans-serif';
  g.textAlign = 'center';
  g.fillText('M', 240, 143);
  g.font = '22px "Noto Sans CJK SC", sans-serif';
  g.fillText('尺码偏小', 240, 350);
  return c.toDataURL('image/png').split(',')[1]!;
}
