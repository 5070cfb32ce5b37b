import { test } from 'node:test';
import assert from 'node:assert/strict';
import Keyv from 'keyv';
import { WecomApi } from '../../src/wecom/api.js';
import {
  DUPLICATE_MSGID_ERRCODE,
  MediaTooLargeError,
  WecomApiError,
  WecomTransportError,
  isDuplicateMsgid,
} from '../../src/wecom/errors.js';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KF, USER, captureLogger, startHarness, type Harness } from '../helpers/wecom-fake.js';

const text = (content: string) => ({ msgtype: 'text' as const, text: { content } });

async function withHarness(fn: (h: Harness) => Promise<void>, opts?: Parameters<typeof startHarness>[0]) {
  const h = await startHarness(opts);
  try {
    await fn(h);
  } finally {
    await h.close();
  }
}

async function rejectsWith(p: Promise<unknown>, errcode: number) {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof WecomApiError, `expected WecomApiError, got ${String(err)}`);
    assert.equal(err.errcode, errcode);
    assert.ok(err.meaning.length > 0);
    return true;
  });
}

test('token: 20 concurrent calls share one gettoken; later calls use the cache', () =>
  withHarness(async (h) => {
    const states = await Promise.all(Array.from({ length: 20 }, () => h.api.getServiceState(KF, USER)));
    assert.equal(states.length, 20);
    assert.equal(h.gettokenCalls(), 1);
    await h.api.listAccounts();
    assert.equal(h.gettokenCalls(), 1);
    assert.equal(h.callsTo('/cgi-bin/kf/service_state/get'), 20);
  }));

test('token: shared Keyv cache lets a second client skip gettoken', () =>
  withHarness(async (h) => {
    const cache = new Keyv();
    const mk = () =>
      new WecomApi({
        baseUrl: h.fake.url,
        corpId: h.fake.corpId,
        secret: h.fake.secret,
        logger: captureLogger([]),
        tokenCache: cache,
      });
    const a = mk();
    const b = mk();
    try {
      assert.equal(await a.getAccessToken(), await b.getAccessToken());
      assert.equal(h.gettokenCalls(), 1);
    } finally {
      await a.close();
      await b.close();
    }
  }));

test('token: expireAllTokens → one refresh for concurrent callers, calls succeed', () =>
  withHarness(async (h) => {
    const before = await h.api.getAccessToken();
    h.fake.expireAllTokens();
    await Promise.all(Array.from({ length: 10 }, () => h.api.listAccounts()));
    assert.equal(h.gettokenCalls(), 2);
    assert.notEqual(await h.api.getAccessToken(), before);
  }));

test('token: a token error twice in a row is surfaced (retry only once)', () =>
  withHarness(
    async (h) => {
      await h.api.getAccessToken();
      h.fake.expireAllTokens();
      // Tokens issued from now on live 0 s: the refreshed token is also rejected.
      await rejectsWith(h.api.listAccounts(), 42001);
      assert.equal(h.gettokenCalls(), 2);
    },
    { fake: { tokenTtlSec: 0 } },
  ));

test('token: wrong secret → WecomApiError 40001, not retried', () =>
  withHarness(async (h) => {
    const bad = new WecomApi({
      baseUrl: h.fake.url,
      corpId: h.fake.corpId,
      secret: 'wrong',
      logger: captureLogger([]),
    });
    try {
      await rejectsWith(bad.listAccounts(), 40001);
      assert.equal(h.gettokenCalls(), 1);
    } finally {
      await bad.close();
    }
  }));

test('send: text accepted, raw UTF-8 JSON, msgid echoed, 5-per-customer-message quota (95001) resets when the customer writes', () =>
  withHarness(async (h) => {
    await h.fake.customerSends(KF, USER, { text: 'hi' });
    for (let i = 0; i < 5; i++) {
      assert.deepEqual(
        await h.api.sendMsg({ touser: USER, open_kfid: KF, msgid: `m${i}`, message: text(`你好 ${i}`) }),
        { msgid: `m${i}` },
      );
    }
    await rejectsWith(
      h.api.sendMsg({ touser: USER, open_kfid: KF, msgid: 'm5', message: text('one too many') }),
      95001,
    );
    assert.equal(h.fake.sentTo(USER).length, 5);
    assert.equal(h.fake.sent[0]!.content, '你好 0');
    await h.fake.customerSends(KF, USER, { text: 'again' });
    await h.api.sendMsg({ touser: USER, open_kfid: KF, msgid: 'm6', message: text('ok again') });
    assert.equal(h.fake.sentTo(USER).length, 6);
  }));

test('send: session state 2/3/4 → 95018; back to 1 → accepted', () =>
  withHarness(async (h) => {
    await rejectsWith(
      h.api.sendMsg({ touser: USER, open_kfid: KF, msgid: 'never', message: text('x') }),
      95018,
    ); // never wrote
    await h.fake.customerSends(KF, USER, { text: 'hi' });
    for (const s of [2, 3, 4]) {
      h.fake.setSessionState(KF, USER, s);
      await rejectsWith(
        h.api.sendMsg({ touser: USER, open_kfid: KF, msgid: `s${s}`, message: text('x') }),
        95018,
      );
    }
    h.fake.setSessionState(KF, USER, 1);
    await h.api.sendMsg({ touser: USER, open_kfid: KF, msgid: 's1', message: text('x') });
    assert.equal(h.fake.sent.length, 1);
  }));

test('send: outside the 48-hour window → 95002; a servicer message (origin 5) neither opens the window nor resets the quota', () =>
  withHarness(async (h) => {
    const threeDaysAgo = Math.floor(Date.now() / 1000) - 49 * 3600;
    await h.fake.customerSends(KF, USER, { text: 'old' }, { sendTime: threeDaysAgo, notify: false });
    await rejectsWith(
      h.api.sendMsg({ touser: USER, open_kfid: KF, msgid: 'late', message: text('x') }),
      95002,
    );
    await h.fake.customerSends(KF, USER, { text: 'from a human' }, { origin: 5, notify: false });
    await rejectsWith(
      h.api.sendMsg({ touser: USER, open_kfid: KF, msgid: 'late2', message: text('x') }),
      95002,
    );
    const page = await h.api.syncMsg({ openKfId: KF, token: h.fake.issueSyncToken(KF) });
    assert.deepEqual(
      page.msg_list.map((m) => [m.origin, m.servicer_userid]),
      [
        [3, undefined],
        [5, 'servicer'],
      ],
    );
  }));

test('send: text over 2048 bytes → 45002 (bytes, not chars); exactly 2048 bytes ok', () =>
  withHarness(async (h) => {
    await h.fake.customerSends(KF, USER, { text: 'hi' });
    await rejectsWith(
      h.api.sendMsg({ touser: USER, open_kfid: KF, msgid: 'big', message: text('你'.repeat(683)) }),
      45002,
    ); // 2049 B, 683 chars
    await h.api.sendMsg({
      touser: USER,
      open_kfid: KF,
      msgid: 'fits',
      message: text('你'.repeat(682) + 'ab'),
    }); // 2048 B
    assert.deepEqual(
      h.fake.sent.map((s) => s.msgid),
      ['fits'],
    );
  }));

test('send: duplicate msgid → DUPLICATE_MSGID_ERRCODE; malformed msgid → 40058; missing msgid gets one generated', () =>
  withHarness(async (h) => {
    await h.fake.customerSends(KF, USER, { text: 'hi' });
    await h.api.sendMsg({ touser: USER, open_kfid: KF, msgid: 'dup_1', message: text('a') });
    await rejectsWith(
      h.api.sendMsg({ touser: USER, open_kfid: KF, msgid: 'dup_1', message: text('b') }),
      DUPLICATE_MSGID_ERRCODE,
    );
    await rejectsWith(
      h.api.sendMsg({ touser: USER, open_kfid: KF, msgid: 'has space', message: text('c') }),
      40058,
    );
    await rejectsWith(
      h.api.sendMsg({ touser: USER, open_kfid: KF, msgid: 'x'.repeat(33), message: text('c') }),
      40058,
    );
    const generated = await h.api.sendMsg({ touser: USER, open_kfid: KF, msgid: '', message: text('d') });
    assert.match(generated.msgid, /^[0-9A-Za-z_-]+$/);
    assert.deepEqual(
      h.fake.sent.map((s) => s.content),
      ['a', 'd'],
    );
    // send_msg bodies never carried an empty msgid.
    assert.ok(
      h.fake.calls.filter((c) => c.path === '/cgi-bin/kf/send_msg').every((c) => c.body.msgid !== ''),
    );
  }));

test('transport: two HTTP 500s then success (3 attempts); errcode -1 three times → WecomTransportError', () =>
  withHarness(async (h) => {
    await h.fake.customerSends(KF, USER, { text: 'hi' });
    h.fake.failNextSends(2, 'http500');
    await h.api.sendMsg({ touser: USER, open_kfid: KF, msgid: 'r1', message: text('after 500s') });
    assert.equal(h.callsTo('/cgi-bin/kf/send_msg'), 3);
    assert.equal(h.fake.sent.length, 1);

    h.fake.failNextSends(3, 'busy');
    await assert.rejects(
      h.api.sendMsg({ touser: USER, open_kfid: KF, msgid: 'r2', message: text('busy') }),
      (err: unknown) => {
        assert.ok(err instanceof WecomTransportError);
        assert.equal(err.kind, 'busy');
        return true;
      },
    );
    assert.equal(h.callsTo('/cgi-bin/kf/send_msg'), 6);
    assert.equal(h.fake.sent.length, 1);
  }));

test('transport: a timed-out sync is retried', () =>
  withHarness(
    async (h) => {
      await h.fake.customerSends(KF, USER, { text: 'hi' }, { notify: false });
      const token = h.fake.issueSyncToken(KF);
      h.fake.failNextSyncs(1, 'timeout');
      const started = Date.now();
      const page = await h.api.syncMsg({ openKfId: KF, token });
      assert.equal(page.msg_list.length, 1);
      assert.ok(Date.now() - started >= 250, 'waited for the first attempt to time out');
      assert.equal(h.callsTo('/cgi-bin/kf/sync_msg'), 2);
    },
    { timeoutMs: 300 },
  ));

test('transport: accept-then-500 → the retry reports a duplicate msgid, and the message went out once', () =>
  withHarness(async (h) => {
    await h.fake.customerSends(KF, USER, { text: 'hi' });
    h.fake.failNextSends(1, 'accept-then-500');
    await assert.rejects(
      h.api.sendMsg({ touser: USER, open_kfid: KF, msgid: 'once', message: text('x') }),
      (err: unknown) => isDuplicateMsgid(err),
    );
    assert.equal(h.fake.sent.length, 1);
  }));

test('media: upload → get round trip; unknown media id (HTTP 200 JSON) → 40007', () =>
  withHarness(async (h) => {
    const png = Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      Buffer.alloc(300, 7),
    ]);
    const mediaId = await h.api.uploadMedia('image', 'pic.png', png, 'image/png');
    const upload = h.fake.calls.find((c) => c.path === '/cgi-bin/media/upload');
    assert.deepEqual(upload?.query, { type: 'image' });
    const got = await h.api.getMedia(mediaId);
    assert.ok(got.data.equals(png));
    assert.equal(got.contentType, 'image/png');
    assert.equal(got.filename, 'pic.png');
    await rejectsWith(h.api.getMedia('no-such-media'), 40007);
    // Customer images come back through media/get too.
    await h.fake.customerSends(KF, USER, { image: png, contentType: 'image/png' }, { notify: false });
    const page = await h.api.syncMsg({ openKfId: KF, token: h.fake.issueSyncToken(KF) });
    const img = page.msg_list[0]!;
    assert.equal(img.msgtype, 'image');
    assert.ok((await h.api.getMedia(img.image!.media_id)).data.equals(png));
  }));

test('media: a cap refuses a larger file before reading it, without retrying; a smaller one comes whole', () =>
  withHarness(async (h) => {
    const data = Buffer.alloc(5000, 3);
    const mediaId = await h.api.uploadMedia('file', 'big.bin', data, 'application/octet-stream');
    await assert.rejects(h.api.getMedia(mediaId, { maxBytes: 4999 }), (err: unknown) => {
      assert.ok(err instanceof MediaTooLargeError, String(err));
      assert.equal(err.size, 5000);
      return true;
    });
    assert.equal(h.callsTo('/cgi-bin/media/get'), 1, 'asked once: another try would be refused the same');
    assert.ok((await h.api.getMedia(mediaId, { maxBytes: 5000 })).data.equals(data));
  }));

test('media: without a length announced, the download stops once more than the cap arrived', async () => {
  // WeCom streams (chunked): 64 KiB pieces until 10 MiB; a cap of 100 KB must not read them all.
  let sent = 0;
  const server = createServer((req, res) => {
    if (req.url?.startsWith('/cgi-bin/gettoken')) {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ errcode: 0, access_token: 'tok', expires_in: 7200 }));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    const piece = Buffer.alloc(64 * 1024, 1);
    const write = () => {
      while (sent < 10 * 1024 * 1024) {
        sent += piece.length;
        if (!res.write(piece)) return void res.once('drain', write);
      }
      res.end();
    };
    write();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const api = new WecomApi({
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    corpId: 'ww1',
    secret: 's',
    logger: captureLogger([]),
  });
  try {
    await assert.rejects(api.getMedia('m1', { maxBytes: 100_000 }), MediaTooLargeError);
    assert.ok(sent < 10 * 1024 * 1024, `the rest was not read (${sent} bytes written)`);
  } finally {
    await api.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
});

test('sync_msg: cursor paging with has_more; sent messages never returned; events without top-level ids', () =>
  withHarness(async (h) => {
    const ids: string[] = [];
    for (let i = 0; i < 4; i++)
      ids.push(await h.fake.customerSends(KF, USER, { text: `m${i}` }, { notify: false }));
    await h.fake.addEvent(
      KF,
      { event_type: 'enter_session', open_kfid: KF, external_userid: USER, scene: 'x' },
      { notify: false },
    );
    await h.api.sendMsg({ touser: USER, open_kfid: KF, msgid: 'out1', message: text('reply') });
    const token = h.fake.issueSyncToken(KF);

    const p1 = await h.api.syncMsg({ openKfId: KF, token, limit: 2 });
    assert.equal(p1.has_more, true);
    assert.deepEqual(
      p1.msg_list.map((m) => m.msgid),
      ids.slice(0, 2),
    );
    assert.equal(p1.msg_list[0]!.send_time > 1_600_000_000, true);
    assert.equal(p1.msg_list[0]!.origin, 3);
    const p2 = await h.api.syncMsg({ openKfId: KF, token, limit: 2, cursor: p1.next_cursor });
    assert.deepEqual(
      p2.msg_list.map((m) => m.msgid),
      ids.slice(2, 4),
    );
    assert.ok(p2.next_cursor > p1.next_cursor, 'cursors are monotonic');
    const p3 = await h.api.syncMsg({ openKfId: KF, token, limit: 2, cursor: p2.next_cursor });
    assert.equal(p3.has_more, false);
    assert.equal(p3.msg_list.length, 1);
    const ev = p3.msg_list[0]!;
    assert.equal(ev.msgtype, 'event');
    assert.equal(ev.open_kfid, undefined);
    assert.equal(ev.external_userid, undefined);
    assert.equal(ev.event?.external_userid, USER);
    const p4 = await h.api.syncMsg({ openKfId: KF, token, cursor: p3.next_cursor });
    assert.deepEqual(p4.msg_list, []);
    assert.equal(p4.has_more, false);
    // Wire has_more is 0|1; the client normalises to boolean.
    assert.equal(typeof p4.has_more, 'boolean');
    const later = await h.fake.customerSends(KF, USER, { text: 'later' }, { notify: false });
    const p5 = await h.api.syncMsg({ openKfId: KF, token, cursor: p4.next_cursor });
    assert.deepEqual(
      p5.msg_list.map((m) => m.msgid),
      [later],
    );
    assert.ok(!JSON.stringify([p1, p2, p3, p5]).includes('out1'));
  }));

test('sync_msg: replayNextSync returns everything from the start once, ignoring the cursor', () =>
  withHarness(async (h) => {
    for (let i = 0; i < 3; i++) await h.fake.customerSends(KF, USER, { text: `m${i}` }, { notify: false });
    const token = h.fake.issueSyncToken(KF);
    const first = await h.api.syncMsg({ openKfId: KF, token });
    assert.equal(first.msg_list.length, 3);
    h.fake.replayNextSync();
    const replay = await h.api.syncMsg({ openKfId: KF, token, cursor: first.next_cursor });
    assert.deepEqual(
      replay.msg_list.map((m) => m.msgid),
      first.msg_list.map((m) => m.msgid),
    );
    const after = await h.api.syncMsg({ openKfId: KF, token, cursor: first.next_cursor });
    assert.equal(after.msg_list.length, 0);
  }));

test('sync_msg: token missing, unknown or older than 10 minutes → 95007', async () => {
  let clock = Date.now();
  await withHarness(
    async (h) => {
      await rejectsWith(h.api.syncMsg({ openKfId: KF }), 95007);
      await rejectsWith(h.api.syncMsg({ openKfId: KF, token: 'ENCforged' }), 95007);
      const token = h.fake.issueSyncToken(KF);
      await h.api.syncMsg({ openKfId: KF, token });
      clock += 10 * 60_000 + 1;
      await rejectsWith(h.api.syncMsg({ openKfId: KF, token }), 95007);
      await rejectsWith(h.api.syncMsg({ openKfId: 'wkUnknown', token: h.fake.issueSyncToken(KF) }), 95000);
    },
    { fake: { now: () => clock } },
  );
});

test('listAccounts pages with offset/limit 100', () =>
  withHarness(async (h) => {
    for (let i = 0; i < 149; i++) h.fake.addAccount(`wkAcc${String(i).padStart(27, '0')}`, `desk ${i}`);
    const all = await h.api.listAccounts();
    assert.equal(all.length, 150);
    assert.equal(all[0]!.open_kfid, KF);
    assert.equal(all[0]!.manage_privilege, true);
    assert.deepEqual(
      h.fake.calls.filter((c) => c.path === '/cgi-bin/kf/account/list').map((c) => c.body),
      [
        { offset: 0, limit: 100 },
        { offset: 100, limit: 100 },
      ],
    );
  }));

test('service state get/trans follows the state machine; send_msg_on_event consumes a code once', () =>
  withHarness(async (h) => {
    await h.fake.customerSends(KF, USER, { text: 'hi' });
    assert.deepEqual(await h.api.getServiceState(KF, USER), { service_state: 0 });
    assert.deepEqual(await h.api.transServiceState(KF, USER, 1), {});
    const toHuman = await h.api.transServiceState(KF, USER, 3, 'zhangsan');
    assert.ok(toHuman.msg_code);
    assert.deepEqual(await h.api.getServiceState(KF, USER), {
      service_state: 3,
      servicer_userid: 'zhangsan',
    });
    await rejectsWith(h.api.transServiceState(KF, USER, 1), 95016);
    const end = await h.api.transServiceState(KF, USER, 4);
    assert.ok(end.msg_code);
    await h.api.sendMsgOnEvent(end.msg_code!, 'bye1', text('goodbye'));
    await rejectsWith(h.api.sendMsgOnEvent(end.msg_code!, 'bye2', text('again')), 40058);
    assert.deepEqual(
      h.fake.sent.map((s) => [s.msgid, s.touser, s.via]),
      [['bye1', USER, 'send_msg_on_event']],
    );
  }));

test('logs never contain the secret or the access token', () =>
  withHarness(async (h) => {
    await h.fake.customerSends(KF, USER, { text: 'hi' });
    await h.api.sendMsg({ touser: USER, open_kfid: KF, msgid: 'l1', message: text('x') });
    h.fake.expireAllTokens();
    await h.api.listAccounts();
    h.fake.failNextSends(1, 'http500');
    await h.api.sendMsg({ touser: USER, open_kfid: KF, msgid: 'l2', message: text('y') });
    const token = await h.api.getAccessToken();
    const all = h.logLines.join('');
    assert.ok(h.logLines.length > 3, 'something was logged');
    assert.ok(!all.includes(h.fake.secret));
    assert.ok(!all.includes(token));
  }));
