/**
 * The charts page counts the satisfaction survey's ratings over its range, in a real browser.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { needsChromium, startConsole, type ConsoleSession } from '../helpers/console-browser.js';
import { KF } from '../helpers/harness.js';

let c: ConsoleSession | undefined;
after(async () => {
  await c?.close();
});

test(
  'the charts page shows how many customers chose each rating',
  { skip: needsChromium, timeout: 180_000 },
  async () => {
    c = await startConsole();
    const { surveys } = c.server.store;
    const now = Date.now();
    // Three surveys answered: two "满意", one "不满意"; a fourth sent and never rated.
    const choices: [number, string][] = [
      [2, '满意'],
      [2, '满意'],
      [4, '不满意'],
    ];
    for (let i = 0; i < 4; i++) {
      const user = `wmRater${i}`;
      const id = await surveys.claim(
        { openKfId: KF, externalUserId: user, lastSeq: i + 1, via: 'quiet' },
        'test',
        now,
        60_000,
      );
      assert.ok(id);
      await surveys.markSent(id, 'test', `out${i}`, now);
      const choice = choices[i];
      if (choice) assert.ok(await surveys.rate(id, KF, user, choice[0], choice[1], now));
    }
    const { page } = c;
    await page.goto(c.url('/charts?range=24h'));
    await page.locator('main[data-loaded="24h"]').waitFor();
    const rows = page.getByTestId('ratings').locator('tr');
    assert.equal(await rows.count(), 2);
    assert.match(await rows.nth(0).innerText(), /满意\s*2 次/);
    assert.match(await rows.nth(1).innerText(), /不满意\s*1 次/);
  },
);
