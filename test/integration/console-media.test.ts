/**
 * Customers' media in the console's thread, in a real browser against the real server and the
 * fakes: an image is shown (fetched from WeCom's media/get through <base>/media), an HTML file
 * posing as a PNG is not, an expired media id says so, a voice shows its transcript (or why it has
 * none), a file its name and a download. The route's answers are checked on the wire too: who may
 * fetch what, and the headers that keep hostile content inert.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { Page } from 'playwright-core';
import QRCode from 'qrcode';
import { needsChromium, startConsole, type ConsoleSession } from '../helpers/console-browser.js';
import { KF, waitFor } from '../helpers/harness.js';

const sessions: ConsoleSession[] = [];
after(async () => {
  for (const s of sessions) await s.close().catch(() => {});
});

/** A customer's messages all reached an end (answered, not answered, failed). */
async function settled(c: ConsoleSession, user: string, count: number) {
  await waitFor(
    `${count} settled messages of ${user}`,
    async () => {
      const rows = (await c.server.store.conversations.thread(KF, user, { limit: 50 })).items.filter(
        (i) => i.origin === 3,
      );
      return rows.length === count && rows.every((i) => ['done', 'failed', 'skipped'].includes(i.state));
    },
    60_000,
    100,
  );
  return (await c.server.store.conversations.thread(KF, user, { limit: 50 })).items.filter(
    (i) => i.origin === 3,
  );
}

/** Counts dialogs (an alert() that ran) and page errors. */
function watch(page: Page) {
  const seen = { dialogs: 0, errors: [] as string[] };
  page.on('dialog', (d) => {
    seen.dialogs++;
    d.dismiss().catch(() => {});
  });
  page.on('pageerror', (e) => seen.errors.push(e.message));
  return seen;
}

const HOSTILE_HTML = Buffer.from(
  '<!doctype html><html><body><script>alert(document.cookie)</script><img src=x onerror=alert(1)></body></html>',
);

test(
  "a customer's image is shown; an HTML file posing as a PNG is not; an expired one says so",
  { skip: needsChromium, timeout: 240_000 },
  async () => {
    const c = await startConsole();
    sessions.push(c);
    const { page, wecom } = c;
    const seen = watch(page);
    const user = 'wmMediaImages01';
    const png = await QRCode.toBuffer('wxcoze console media test', { type: 'png', width: 200 });
    await wecom.customerSends(KF, user, { image: png, contentType: 'image/png' });
    await wecom.customerSends(KF, user, { image: HOSTILE_HTML, contentType: 'image/png' });
    await wecom.customerSends(KF, user, { image: png, contentType: 'image/png' });
    const [good, hostile, old] = await settled(c, user, 3);
    // WeCom forgets the third one, as it does 3 days later.
    wecom.expireMedia((old!.payload as { image: { media_id: string } }).image.media_id);

    await page.goto(c.url(`/c/${KF}/${user}`));
    const thumb = page.locator(`.msg.in[data-seq="${good!.seq}"] img.media-thumb`);
    await thumb.waitFor({ timeout: 30_000 });
    await waitFor('the image decoded', () =>
      thumb.evaluate(
        (img) => (img as HTMLImageElement).complete && (img as HTMLImageElement).naturalWidth > 0,
      ),
    );
    assert.equal(await thumb.evaluate((img) => (img as HTMLImageElement).naturalWidth), 200);
    // A click opens the full image (the link to <base>/media).
    const href = await page.locator(`.msg.in[data-seq="${good!.seq}"] a.media-open`).getAttribute('href');
    assert.match(href ?? '', new RegExp(`^${c.base}/media\\?kf=.+&user=${user}&seq=${good!.seq}$`));

    const disguised = page.locator(`.msg.in[data-seq="${hostile!.seq}"] .media-image`);
    await disguised.locator('xpath=self::*[@data-state="not-image"]').waitFor({ timeout: 30_000 });
    assert.equal(await disguised.locator('img').count(), 0, 'not rendered as an image');
    assert.match(await disguised.innerText(), /不是可识别的图片格式/);

    const expired = page.locator(`.msg.in[data-seq="${old!.seq}"] .media-image`);
    await expired.locator('xpath=self::*[@data-state="expired"]').waitFor({ timeout: 30_000 });
    assert.equal((await expired.innerText()).trim(), '图片已过期（企业微信只保留 3 天）');
    assert.equal(await expired.locator('img').count(), 0);

    // On the wire: the image is served as what its bytes are, inert whatever it holds.
    const api = page.request;
    const url = (seq: number, who = user) => c.url(`/media?kf=${KF}&user=${who}&seq=${seq}`);
    const img = await api.get(url(good!.seq));
    assert.equal(img.status(), 200);
    assert.equal(img.headers()['content-type'], 'image/png');
    assert.equal(img.headers()['x-content-type-options'], 'nosniff');
    assert.match(img.headers()['content-security-policy'] ?? '', /default-src 'none'/);
    assert.match(img.headers()['content-security-policy'] ?? '', /sandbox/);
    assert.match(img.headers()['cache-control'] ?? '', /^private, max-age=\d+$/);
    assert.ok(Buffer.from(await img.body()).equals(png));
    // The HTML is only ever a download, never text/html or an image.
    const html = await api.get(url(hostile!.seq));
    assert.equal(html.status(), 200);
    assert.equal(html.headers()['content-type'], 'application/octet-stream');
    assert.match(html.headers()['content-disposition'] ?? '', /^attachment; filename="image-\d+\.bin"/);
    assert.match(html.headers()['content-security-policy'] ?? '', /sandbox/);
    // Expired: 410 with the reason, as JSON to a script and as a page to a browser.
    const gone = await api.get(url(old!.seq), { headers: { accept: 'application/json' } });
    assert.equal(gone.status(), 410);
    assert.equal((await gone.json()).error.code, 'media_expired');
    await page.goto(url(old!.seq));
    assert.match(await page.locator('main').innerText(), /图片已过期（企业微信只保留 3 天）/);
    // The page's language switch leads to this page in English (its query kept).
    await Promise.all([page.waitForLoadState('load'), page.click('a.lang')]);
    assert.match(await page.locator('main').innerText(), /expired \(WeCom keeps media for 3 days only\)/);
    await page.goto(c.url('/?lang=zh'));

    // Another customer's row, a text row, a seq that does not exist: 404, nothing fetched.
    await wecom.customerSends(KF, 'wmMediaOther02', { text: '你好' });
    const [text] = await settled(c, 'wmMediaOther02', 1);
    const calls = wecom.calls.filter((k) => k.path === '/cgi-bin/media/get').length;
    for (const u of [url(good!.seq, 'wmMediaOther02'), url(text!.seq, 'wmMediaOther02'), url(9_999_999)]) {
      const r = await api.get(u, { headers: { accept: 'application/json' } });
      assert.equal(r.status(), 404, u);
      assert.equal((await r.json()).error.code, 'not_found');
    }
    assert.equal(wecom.calls.filter((k) => k.path === '/cgi-bin/media/get').length, calls);
    // Without a login: no media.
    const anonymous = await c.browser.newContext();
    const r = await anonymous.request.get(url(good!.seq), { headers: { accept: 'application/json' } });
    assert.equal(r.status(), 401);
    await anonymous.close();

    assert.equal(seen.dialogs, 0, 'no script from a customer ran');
    assert.deepEqual(seen.errors, []);
  },
);

test(
  'a voice shows its transcript, or why there is none; a file shows its name and downloads under it',
  { skip: needsChromium, timeout: 240_000 },
  async () => {
    const c = await startConsole();
    sessions.push(c);
    const { page, wecom, coze } = c;
    const user = 'wmMediaVoice01';
    coze.setTranscriber((f) =>
      /^RIFF/.test(f.data.subarray(0, 4).toString('latin1')) ? '请问这件衣服有没有大一码的？' : null,
    );
    // A WAV Coze transcribes; an AMR (what WeChat records) it refuses (4303).
    const wav = Buffer.concat([
      Buffer.from('RIFF'),
      Buffer.from([36, 0, 0, 0]),
      Buffer.from('WAVEfmt '),
      Buffer.alloc(64, 1),
    ]);
    const amr = Buffer.concat([Buffer.from('#!AMR\n'), Buffer.alloc(64, 2)]);
    const pdf = Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(200, 0x20)]);
    await wecom.customerSends(KF, user, { media: wav, msgtype: 'voice', contentType: 'audio/wav' });
    await wecom.customerSends(KF, user, { media: amr, msgtype: 'voice', contentType: 'audio/amr' });
    await wecom.customerSends(KF, user, {
      media: pdf,
      msgtype: 'file',
      contentType: 'application/pdf',
      filename: '报价单 (2024).pdf',
    });
    const [voice, silent, file] = await settled(c, user, 3);
    assert.equal(voice!.transcript, '请问这件衣服有没有大一码的？');
    assert.equal(file!.mediaFilename, '报价单 (2024).pdf');

    await page.goto(c.url(`/c/${KF}/${user}`));
    const said = page.locator(`.msg.in[data-seq="${voice!.seq}"] .transcript`);
    await said.waitFor({ timeout: 30_000 });
    assert.equal((await said.innerText()).trim(), '语音转文字：请问这件衣服有没有大一码的？');
    const why = page.locator(`.msg.in[data-seq="${silent!.seq}"] .transcript`);
    assert.match(await why.innerText(), /^未能转文字：voice not transcribed/);
    const fileMsg = page.locator(`.msg.in[data-seq="${file!.seq}"]`);
    assert.match(await fileMsg.locator('.bubble').innerText(), /\[文件\] 报价单 \(2024\)\.pdf/);
    const link = fileMsg.locator('a.media-download');
    assert.equal((await link.innerText()).trim(), '下载文件');

    // The download: an attachment under the customer's name, never shown inline.
    const got = await page.request.get(new URL((await link.getAttribute('href'))!, c.baseUrl).href);
    assert.equal(got.status(), 200);
    assert.equal(got.headers()['content-type'], 'application/octet-stream');
    assert.equal(
      got.headers()['content-disposition'],
      `attachment; filename="___ (2024).pdf"; filename*=UTF-8''%E6%8A%A5%E4%BB%B7%E5%8D%95%20%282024%29.pdf`,
    );
    assert.ok(Buffer.from(await got.body()).equals(pdf));
    // A voice is a download too (never played from the customer's bytes in the page).
    const v = await page.request.get(c.url(`/media?kf=${KF}&user=${user}&seq=${voice!.seq}`));
    assert.equal(v.headers()['content-type'], 'application/octet-stream');
    assert.match(v.headers()['content-disposition'] ?? '', /^attachment; filename="voice-\d+\.wav"/);
  },
);
