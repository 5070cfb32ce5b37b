import assert from 'node:assert/strict';
import { test } from 'node:test';
import QRCode from 'qrcode';
import {
  CustomerMedia,
  attachmentHeader,
  mediaRefOf,
  safeFilename,
  type MediaDownloadPort,
} from '../../src/ops/customer-media.js';
import type { InboxItem } from '../../src/store/types.js';
import type { MediaFile } from '../../src/wecom/types.js';
import { KF, USER, captureLogger, startHarness } from '../helpers/wecom-fake.js';

// What the console does with a customer's media: fetched from the fake WeCom through the real
// client, judged by its bytes, refused clearly when gone, too large or too many at once.

const log = captureLogger([]);

function row(msgtype: string, body: object, extra: Partial<InboxItem> = {}): InboxItem {
  return {
    seq: 7,
    msgid: 'm7',
    openKfId: KF,
    externalUserId: USER,
    origin: 3,
    msgtype,
    sendTime: 0,
    payload: { msgtype, [msgtype]: body },
    state: 'done',
    attempts: 1,
    parts: null,
    partsSent: 0,
    note: null,
    apologized: false,
    cozeConversationId: null,
    cozeChatId: null,
    createdAt: 0,
    updatedAt: 0,
    ...extra,
  };
}

/** A customer sends `data` as `msgtype`; returns the ref the console would fetch. */
async function sent(
  h: Awaited<ReturnType<typeof startHarness>>,
  data: Buffer,
  msgtype: 'image' | 'file' | 'voice',
  contentType: string,
  filename?: string,
) {
  await h.fake.customerSends(
    KF,
    USER,
    msgtype === 'image'
      ? { image: data, contentType }
      : { media: data, msgtype, contentType, ...(filename ? { filename } : {}) },
    { notify: false },
  );
  const page = await h.api.syncMsg({ openKfId: KF, token: h.fake.issueSyncToken(KF) });
  const m = page.msg_list.at(-1)!;
  return mediaRefOf(row(m.msgtype, (m as unknown as Record<string, object>)[m.msgtype]!))!;
}

test('only bytes that prove a raster image are served as one; anything else is a download under a safe name', async () => {
  const h = await startHarness();
  try {
    const media = new CustomerMedia(h.api, log);
    const png = await QRCode.toBuffer('x', { type: 'png' });
    const img = await media.fetch(await sent(h, png, 'image', 'image/jpeg'), 7);
    // WeCom said jpeg; the bytes say png, and the bytes win.
    assert.equal(img.kind, 'image');
    assert.equal(img.kind === 'image' && img.mime, 'image/png');

    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');
    const html = Buffer.from('<!doctype html><script>alert(1)</script>');
    for (const hostile of [svg, html]) {
      const got = await media.fetch(await sent(h, hostile, 'image', 'image/png'), 7);
      assert.equal(got.kind, 'download', hostile.toString());
      assert.equal(got.kind === 'download' && got.filename, 'image-7.bin');
    }
    // A PNG sent as a file stays a file (a download, its own name).
    const file = await media.fetch(await sent(h, png, 'file', 'image/png', '../../etc/截图 "1".png'), 7);
    assert.deepEqual(file.kind === 'download' && file.filename, '截图 _1_.png');
  } finally {
    await h.close();
  }
});

test('an expired media id, one too large, and WeCom failing are told apart', async () => {
  const h = await startHarness();
  try {
    const ref = await sent(h, Buffer.alloc(3000, 1), 'file', 'application/pdf', 'a.pdf');
    assert.deepEqual(await new CustomerMedia(h.api, log, { maxBytes: 2999 }).fetch(ref, 1), {
      kind: 'too_large',
      maxBytes: 2999,
    });
    const media = new CustomerMedia(h.api, log);
    assert.equal((await media.fetch(ref, 1)).kind, 'download');
    h.fake.expireMedia();
    assert.deepEqual(await media.fetch(ref, 1), { kind: 'expired' });
  } finally {
    await h.close();
  }
  // WeCom refuses the server (60020, its IP not trusted): a failure with the code, not "expired".
  const walled = await startHarness();
  try {
    walled.fake.failGettoken(60020, { fromIp: '203.0.113.7' });
    const got = await new CustomerMedia(walled.api, log).fetch(
      mediaRefOf(row('image', { media_id: 'm' }))!,
      1,
    );
    assert.equal(got.kind, 'failed');
    assert.equal(got.kind === 'failed' && got.errcode, 60020);
  } finally {
    await walled.close();
  }
});

test('at most `parallel` downloads at once and `waiting` more; beyond that busy at once, WeCom not asked', async () => {
  let asked = 0;
  const release: (() => void)[] = [];
  const port: MediaDownloadPort = {
    async getMedia(): Promise<MediaFile> {
      asked++;
      await new Promise<void>((r) => release.push(r));
      return { data: Buffer.from('%PDF-1.4 hello'), contentType: 'application/pdf' };
    },
  };
  const media = new CustomerMedia(port, log, { parallel: 2, waiting: 1 });
  const ref = mediaRefOf(row('file', { media_id: 'mid' }))!;
  const running = [media.fetch(ref, 1), media.fetch(ref, 2), media.fetch(ref, 3)];
  assert.deepEqual(await media.fetch(ref, 4), { kind: 'busy' });
  await new Promise((r) => setImmediate(r));
  assert.equal(asked, 2, 'the third waits for a turn');
  while (release.length || asked < 3) {
    release.shift()?.();
    await new Promise((r) => setImmediate(r));
  }
  assert.deepEqual(
    (await Promise.all(running)).map((r) => r.kind),
    ['download', 'download', 'download'],
  );
  assert.equal(asked, 3);
  // Freed again: a new one runs.
  const later = media.fetch(ref, 5);
  await new Promise((r) => setImmediate(r));
  release.shift()?.();
  assert.equal((await later).kind, 'download');
});

test('mediaRefOf: only media messages with a media_id', () => {
  assert.equal(mediaRefOf(row('text', { content: 'hi' })), undefined);
  assert.equal(mediaRefOf(row('image', {})), undefined);
  assert.equal(mediaRefOf(row('image', { media_id: 42 })), undefined);
  assert.deepEqual(mediaRefOf(row('file', { media_id: 'm' }, { mediaFilename: 'a.pdf' })), {
    msgtype: 'file',
    mediaId: 'm',
    filename: 'a.pdf',
  });
});

test('download names and headers cannot carry a path, a control character or a header break', () => {
  assert.equal(safeFilename('..\\..\\boot.ini'), 'boot.ini');
  assert.equal(safeFilename('a\r\nSet-Cookie: x=1.txt'), 'a__Set-Cookie_ x=1.txt');
  assert.equal(safeFilename('.bashrc'), 'bashrc');
  assert.equal(safeFilename('/'), '');
  assert.equal([...safeFilename('长'.repeat(300))].length, 120);
  assert.equal(
    attachmentHeader('报价 (1).pdf'),
    `attachment; filename="__ (1).pdf"; filename*=UTF-8''%E6%8A%A5%E4%BB%B7%20%281%29.pdf`,
  );
  assert.equal(
    attachmentHeader('a";b.txt', 'inline'),
    `inline; filename="a__b.txt"; filename*=UTF-8''a%22%3Bb.txt`,
  );
});
