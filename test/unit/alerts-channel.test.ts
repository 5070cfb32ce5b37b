/**
 * The alert channel (src/ops/alerts/channel.ts) against the fake group robot (src/fakes/wecom,
 * /cgi-bin/webhook/send): the robot's text message within its 2048 bytes, what its refusals mean,
 * the JSON format for other webhooks, and a URL that is never shown with its key.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, test } from 'node:test';
import { maskWebhookUrl, webhookFormat } from '../../src/config/webhook-url.js';
import { startFakeWecom, type FakeWecom } from '../../src/fakes/wecom/index.js';
import { AlertChannel } from '../../src/ops/alerts/channel.js';
import { CONDITIONS } from '../../src/ops/alerts/conditions.js';
import { firingMessage, resolvedMessage, sampleMessage } from '../../src/ops/alerts/message.js';

let wecom: FakeWecom;
before(async () => {
  wecom = await startFakeWecom();
});
after(async () => {
  await wecom.close();
});

const cond = CONDITIONS.find((c) => c.id === 'wecom_ip')!;
const detail = {
  since: Date.parse('2025-03-01T08:00:00Z'),
  text: {
    zh: '企业微信拒绝了来自 IP 203.0.113.9 的调用（60020）',
    en: 'WeCom refuses calls from IP 203.0.113.9 (60020)',
    fixZh: '在「企业可信IP」中加入 203.0.113.9',
    fixEn: 'Add 203.0.113.9 under 企业可信IP',
  },
};

test('the group robot gets a text message, Chinese first, with what to do; the recovery says how long it lasted', async () => {
  const url = wecom.robots.add('robot-key-channel-1');
  const ch = new AlertChannel({ url, format: 'wecom' });
  assert.deepEqual(await ch.send(firingMessage(cond, detail, 'host-a:8000')), { ok: true });
  assert.deepEqual(
    await ch.send(resolvedMessage(cond, { ...detail, lastedMs: 12 * 60_000 }, 'host-a:8000')),
    { ok: true },
  );
  const [fired, resolved] = wecom.robots.received.filter((m) => m.key === 'robot-key-channel-1');
  assert.equal(fired!.msgtype, 'text');
  const c = fired!.content;
  assert.ok(c.startsWith('【wxcoze 告警】企业微信拒绝了本机 IP（60020）'), c);
  assert.ok(
    c.indexOf('处理：在「企业可信IP」中加入 203.0.113.9') < c.indexOf('[wxcoze alert]'),
    'Chinese first',
  );
  assert.match(c, /Fix: Add 203\.0\.113\.9/);
  assert.match(c, /host-a:8000/);
  assert.match(
    resolved!.content,
    /^【wxcoze 已恢复】企业微信拒绝了本机 IP（60020）\n已恢复正常（持续约 12 分钟）/,
  );
  assert.match(resolved!.content, /Back to normal after about 12 min/);
});

test('a text longer than the robot takes is cut to 2048 bytes, never half a character (the fake refuses longer ones)', async () => {
  const url = wecom.robots.add('robot-key-long');
  const long = { ...detail, text: { ...detail.text, zh: '很长的说明。'.repeat(400) } };
  const ch = new AlertChannel({ url, format: 'wecom' });
  assert.deepEqual(await ch.send(firingMessage(cond, long, 'h')), { ok: true });
  const got = wecom.robots.received.find((m) => m.key === 'robot-key-long')!;
  assert.ok(Buffer.byteLength(got.content) <= 2048);
  assert.ok(!got.content.includes('\uFFFD'));
  // The fake refuses what the real robot refuses.
  const raw = await fetch(url, {
    method: 'POST',
    body: JSON.stringify({ msgtype: 'text', text: { content: '长'.repeat(700) } }),
  });
  assert.equal(((await raw.json()) as { errcode: number }).errcode, 40058);
});

test("a wrong key is errcode 93000 with what to do; the robot's rate limit asks to wait a minute", async () => {
  const good = wecom.robots.add('robot-key-errors');
  const wrong = good.replace('robot-key-errors', 'robot-key-deleted-1234');
  const r = await new AlertChannel({ url: wrong, format: 'wecom' }).send(sampleMessage('h'));
  assert.equal(r.ok, false);
  assert.ok(!r.ok && r.errcode === 93000);
  assert.ok(!r.ok && /invalid webhook url/.test(r.reason) && /Copy the Webhook address again/.test(r.reason));
  assert.ok(!r.ok && !r.reason.includes('robot-key-deleted'), 'the key is never in the reason');

  wecom.robots.failNext(1, 45009);
  const limited = await new AlertChannel({ url: good, format: 'wecom' }).send(sampleMessage('h'));
  assert.ok(!limited.ok && limited.errcode === 45009 && limited.retryAfterMs === 60_000);

  wecom.robots.failNext(1, 'http502');
  const gateway = await new AlertChannel({ url: good, format: 'wecom' }).send(sampleMessage('h'));
  assert.deepEqual(gateway, { ok: false, reason: 'the webhook answered HTTP 502' });
});

test('the fake robot refuses more than 20 messages a minute (45009), as the real one does', async () => {
  const url = wecom.robots.add('robot-key-flood');
  const ch = new AlertChannel({ url, format: 'wecom' });
  const results = [];
  for (let i = 0; i < 21; i++) results.push(await ch.send(sampleMessage(`h${i}`)));
  assert.equal(results.filter((r) => r.ok).length, 20);
  assert.ok(!results[20]!.ok && results[20]!.errcode === 45009);
});

test('a JSON webhook gets {alert, state, title, text, …}; any 2xx is delivered, anything else is not', async () => {
  const bodies: unknown[] = [];
  let status = 204;
  const server = createServer((req, res) => {
    let b = '';
    req.on('data', (d) => (b += d));
    req.on('end', () => {
      bodies.push(JSON.parse(b));
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/hooks/T000/B000/secret`;
  try {
    const ch = new AlertChannel({ url, format: 'json' });
    assert.deepEqual(await ch.send(firingMessage(cond, detail, 'host-a:8000')), { ok: true });
    const body = bodies[0] as Record<string, unknown>;
    assert.equal(body.source, 'wxcoze');
    assert.equal(body.alert, 'wecom_ip');
    assert.equal(body.state, 'firing');
    assert.equal(body.title, '企业微信拒绝了本机 IP（60020） / WeCom refuses this server’s IP (60020)');
    assert.deepEqual(body.fix, { zh: detail.text.fixZh, en: detail.text.fixEn });
    assert.equal(body.since, '2025-03-01T08:00:00.000Z');
    status = 500;
    assert.deepEqual(await ch.send(sampleMessage('h')), {
      ok: false,
      reason: 'the webhook answered HTTP 500',
    });
    assert.equal(
      maskWebhookUrl(url),
      `http://127.0.0.1:${(server.address() as { port: number }).port}/••••••`,
    );
  } finally {
    server.close();
  }
});

test('format auto: the robot for qyapi.weixin.qq.com or its path, JSON otherwise; the key is masked', () => {
  const robot = 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa';
  assert.equal(webhookFormat(robot, 'auto'), 'wecom');
  assert.equal(webhookFormat('http://10.0.0.5:8080/cgi-bin/webhook/send?key=k', 'auto'), 'wecom');
  assert.equal(webhookFormat('https://hooks.slack.com/services/T/B/X', 'auto'), 'json');
  assert.equal(webhookFormat('https://hooks.slack.com/services/T/B/X', 'wecom'), 'wecom');
  assert.equal(maskWebhookUrl(robot), 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=••••••5aaa');
});
