/**
 * The health, charts and settings pages in a real browser: a setting changed in the page takes
 * effect on the next customer message; the health page shows the accounts and explains a WeCom
 * error (60020 with the IP to add); the charts draw a month of messages. Screenshots of each go
 * to docs/screenshots/ for the README.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { seedConsole } from '../../scripts/bench/console-seed.mjs';
import type { SqlStore } from '../../src/store/sql/sql-store.js';
import { needsChromium, startConsole, type ConsoleSession } from '../helpers/console-browser.js';
import { KF, KF_2, waitFor } from '../helpers/harness.js';

let c: ConsoleSession | undefined;
after(async () => {
  await c?.close();
});

test(
  'a handoff word changed in the settings page applies to the next message; a bad value is refused beside its field',
  { skip: needsChromium, timeout: 180_000 },
  async () => {
    c = await startConsole({ env: { WXCOZE_ACCOUNTS: JSON.stringify({ [KF]: { name: '门店客服' } }) } });
    const { page } = c;
    await page.goto(c.url('/settings'));
    const field = (scope: string, key: string) =>
      page.locator(`.field[data-scope="${scope}"][data-key="${key}"]`);
    await field('*', 'handoffKeywords').locator('input').fill('找店长');
    await field('*', 'quietHours').locator('input').fill('晚上十点');
    await page.getByRole('button', { name: '保存' }).click();
    await waitFor('the refusal beside the field', () =>
      field('*', 'quietHours').locator('.problem').isVisible(),
    );
    assert.match(await field('*', 'quietHours').locator('.problem').innerText(), /22:00-08:00/);
    assert.deepEqual(await c.server.store.consoleSettings.list(), [], 'nothing saved');

    await field('*', 'quietHours').locator('input').fill('');
    await field('*', 'handoffText').locator('textarea').fill('店长马上来，请稍候。');
    await page.getByRole('button', { name: '保存' }).click();
    await waitFor('the page to say it is saved', async () =>
      (await page.locator('#notice').innerText()).includes('已保存，下一条消息起生效。'),
    );
    // The page says "saved" first, then reloads the values: their origin changes with that reload.
    await waitFor('the field to show its value comes from the console', async () =>
      /已在控制台修改/.test(await field('*', 'handoffKeywords').locator('.from').innerText()),
    );
    // Secrets are listed, masked.
    const secrets = await page.getByTestId('secrets').innerText();
    assert.match(secrets, /WECOM_SECRET/);
    assert.doesNotMatch(secrets, new RegExp(c.config.wecom.secret));

    await c.wecom.customerSends(KF, 'wmPageUser', { text: '找店长' });
    await waitFor('the handoff text', () => c!.wecom.sentTo('wmPageUser').length >= 1, 30_000);
    assert.equal(c.wecom.sentTo('wmPageUser')[0]!.content, '店长马上来，请稍候。');
    assert.equal(c.coze.chats.length, 0, 'the handoff word never reached the bot');

    // The contact link and its QR code, per account.
    const acc = page.locator(`details[data-scope="${KF}"]`);
    await acc.evaluate((d) => ((d as HTMLDetailsElement).open = true));
    await acc.locator('input[name=scene]').fill('poster');
    await acc.getByRole('button', { name: '生成链接' }).click();
    await acc.getByTestId('contact-url').waitFor();
    assert.match(
      await acc.getByTestId('contact-url').innerText(),
      /^https:\/\/work\.weixin\.qq\.com\/kfid\//,
    );
    await waitFor('the QR code drawn', () =>
      acc.getByTestId('qr').evaluate((img) => (img as HTMLImageElement).naturalWidth > 0),
    );
    await c.screenshot('settings');
    await c.close();
    c = undefined;
  },
);

test(
  'the health page shows each account and explains a WeCom error (60020: the IP to add)',
  { skip: needsChromium, timeout: 180_000 },
  async () => {
    await c?.close(); // a failed test before leaves its console open
    c = await startConsole();
    await c.wecom.customerSends(KF, 'wmHealthy', { text: '你好' });
    await waitFor('an answer', () => c!.wecom.sentTo('wmHealthy').length >= 1, 30_000);
    // Then the server's IP falls out of the trusted list: every token request is refused.
    c.wecom.expireAllTokens();
    c.wecom.failGettoken(60020, { fromIp: '203.0.113.7' });
    await c.wecom.customerSends(KF_2, 'wmBlocked', { text: '在吗' });
    await waitFor('the failed pull recorded', async () =>
      (await c!.server.store.getAccount(KF_2))?.lastError?.includes('60020'),
    );
    // The owner sees when the last backup was taken (here one `wxcoze backup` three hours ago).
    await c.server.store.maintenance.record(
      'backup',
      'wxcoze-20261203T060000Z.db',
      Date.now() - 3 * 3600_000,
    );
    const { page } = c;
    await page.goto(c.url('/health'));
    const blocked = page.getByTestId(`account-${KF_2}`);
    await blocked
      .getByTestId('wecom-error')
      .waitFor()
      .catch(async (err: unknown) => {
        console.log(
          'DEBUG',
          await page.locator('main').innerText(),
          await page.locator('#notice').innerText(),
        );
        throw err;
      });
    const text = await blocked.getByTestId('wecom-error').innerText();
    assert.match(text, /企业可信 IP/);
    assert.match(text, /203\.0\.113\.7/);
    assert.match(await page.getByTestId(`account-${KF}`).innerText(), /最近回调/);
    assert.match(await page.getByTestId('tile-wecom').innerText(), /异常/);
    // The day's messages by state: the one answered (the blocked account's never came in).
    assert.equal(await page.getByTestId('last24h').getAttribute('aria-label'), '已回答 1');
    const backup = page.getByTestId('tile-backup');
    assert.match(await backup.innerText(), /备份\s+3 小时前\s+每天 \d+:00 自动备份/);
    assert.match((await backup.getAttribute('class')) ?? '', /\bok\b/, 'a backup 3 h old is fine');
    await c.screenshot('health');
  },
);

test(
  'the charts draw a month of messages over 24 h, 7 d and 30 d',
  { skip: needsChromium, timeout: 300_000 },
  async () => {
    await c?.close();
    c = await startConsole();
    await seedConsole(c.server.store as SqlStore, {
      messages: 20_000,
      customers: 2000,
      accounts: [KF, KF_2],
    });
    const { page } = c;
    await page.goto(c.url('/charts?range=30d'));
    await page.locator('main[data-loaded="30d"]').waitFor();
    assert.equal(await page.locator('.chart canvas').count(), 3);
    const totals = await page.getByTestId('chart-totals').innerText();
    assert.match(totals, /收到消息\s*\d/);
    await c.screenshot('charts');
    await page.getByRole('button', { name: '24 小时' }).click();
    await page.locator('main[data-loaded="24h"]').waitFor();
    // A phone: one column, the same charts.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByRole('button', { name: '7 天' }).click();
    await page.locator('main[data-loaded="7d"]').waitFor();
    await c.screenshot('charts-phone');
  },
);
