/**
 * /metrics against real traffic through the fakes: parsed as Prometheus text, the counters move by
 * what was sent (callbacks, pulls, WeCom and Coze calls by errcode, answers and their latency,
 * handoffs), the inbox depth gauge shows the stored messages, and the endpoint is refused to other
 * machines without WXCOZE_METRICS_TOKEN. The pipeline runs in its worker thread (the default), so
 * every figure it counts crossed to the main thread's registry.
 */
import assert from 'node:assert/strict';
import { networkInterfaces } from 'node:os';
import { after, test } from 'node:test';
import { request } from 'undici';
import { createLogger } from '../../src/log/logger.js';
import { WecomApi } from '../../src/wecom/api.js';
import { KF, startHarness, waitFor, type Harness } from '../helpers/harness.js';
import { parseProm, type Exposition } from '../helpers/prom.js';

const TOKEN = 'metrics-token-0123456789abcdef';
let h: Harness | undefined;
after(async () => {
  await h?.close();
});

async function scrape(url: string, headers: Record<string, string> = {}): Promise<Exposition> {
  const res = await request(`${url}/metrics`, { headers });
  assert.equal(res.statusCode, 200);
  assert.match(String(res.headers['content-type']), /^text\/plain/);
  return parseProm(await res.body.text());
}

/** This machine's first non-loopback IPv4 address, to reach the server as another machine would. */
function outsideAddress(): string | undefined {
  for (const list of Object.values(networkInterfaces()))
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  return undefined;
}

test('/metrics counts the traffic sent: callbacks, pulls, calls by errcode, answers, handoffs, inbox depth', async () => {
  h = await startHarness({ WXCOZE_HANDOFF_KEYWORDS: '转人工', WXCOZE_METRICS_TOKEN: TOKEN });
  const url = h.server.url;
  const before = await scrape(url);
  for (const family of [
    'wxcoze_callbacks_total',
    'wxcoze_wecom_api_calls_total',
    'wxcoze_coze_api_calls_total',
  ])
    assert.equal(before.types.get(family), 'counter', family);
  assert.equal(before.types.get('wxcoze_callback_ack_seconds'), 'histogram');
  assert.equal(before.types.get('wxcoze_answer_seconds'), 'histogram');
  assert.equal(before.types.get('wxcoze_inbox_messages'), 'gauge');
  assert.equal(before.types.get('wxcoze_inbox_messages_24h'), 'gauge');
  // Process metrics (prom-client's defaults) are there.
  assert.ok(before.value('wxcoze_process_resident_memory_bytes')! > 0);

  const N = 3;
  for (let i = 0; i < N; i++) await h.wecom.customerSends(KF, `wmMetrics${i}`, { text: `你好 ${i}` });
  await waitFor('N answers', () =>
    Array.from({ length: N }, (_, i) => h!.wecom.sentTo(`wmMetrics${i}`).length).every((n) => n === 1),
  );
  // The inbox gauges are read at scrape time (cached for 1 s): poll until the day shows the N done.
  const mid = (await waitFor<Exposition | undefined>(
    'the inbox gauge to show N done',
    async () => {
      const m = await scrape(url);
      return m.value('wxcoze_inbox_messages_24h', { state: 'done' }) === N ? m : undefined;
    },
    15_000,
    200,
  ))!;
  // Figures from the worker thread are posted once per event-loop turn: poll for the last of them.
  const after1 = (await waitFor<Exposition | undefined>(
    'the answers counted',
    async () => {
      const m = await scrape(url);
      return m.value('wxcoze_answer_seconds_count')! - (before.value('wxcoze_answer_seconds_count') ?? 0) ===
        N
        ? m
        : undefined;
    },
    10_000,
    100,
  ))!;
  const delta = (m: Exposition, name: string, labels?: Record<string, string>) =>
    m.sum(name, labels) - before.sum(name, labels);
  assert.equal(
    delta(after1, 'wxcoze_callbacks_total', { result: 'accepted' }),
    N,
    'one callback per message',
  );
  assert.equal(delta(after1, 'wxcoze_callback_ack_seconds_count'), N, 'each ack timed');
  assert.ok(delta(after1, 'wxcoze_pulls_total', { result: 'ok' }) >= 1, 'pulls counted');
  assert.ok(delta(after1, 'wxcoze_wecom_api_calls_total', { api: 'kf/sync_msg', errcode: '0' }) >= 1);
  assert.equal(delta(after1, 'wxcoze_wecom_api_calls_total', { api: 'kf/send_msg', errcode: '0' }), N);
  assert.equal(delta(after1, 'wxcoze_coze_api_calls_total', { call: 'chat', code: '0' }), N);
  assert.equal(delta(after1, 'wxcoze_coze_answer_seconds_count'), N, "Coze's part timed per answer");
  assert.equal(delta(after1, 'wxcoze_pipeline_messages_total', { result: 'done' }), N);
  // The waiting gauge: nothing waits; finished states are the day gauge's, not a total of all time.
  assert.equal(mid.value('wxcoze_inbox_messages', { state: 'received' }), 0);
  assert.equal(mid.value('wxcoze_inbox_messages', { state: 'done' }), undefined);
  assert.equal(mid.value('wxcoze_inbox_messages_24h', { state: 'failed' }), 0);

  // The fake Coze refuses the next chat (code 5000): counted under its code, then answered on the retry.
  h.coze.failNext(1, 'code5000');
  await h.wecom.customerSends(KF, 'wmRefused', { text: '再问一次' });
  await waitFor('the answer after the refusal', () => h!.wecom.sentTo('wmRefused').length === 1);
  // A customer asks for a human: one handoff to WeCom's servicers.
  await h.wecom.customerSends(KF, 'wmHuman', { text: '转人工' });
  const after2 = (await waitFor<Exposition | undefined>(
    'the refusal and the handoff counted',
    async () => {
      const m = await scrape(url);
      return delta(m, 'wxcoze_coze_api_calls_total', { call: 'chat', code: '5000' }) === 1 &&
        delta(m, 'wxcoze_handoffs_total', { to: 'wecom' }) === 1
        ? m
        : undefined;
    },
    15_000,
    100,
  ))!;
  assert.equal(delta(after2, 'wxcoze_coze_api_calls_total', { call: 'chat', code: '0' }), N + 1);
  assert.equal(delta(after2, 'wxcoze_callbacks_total', { result: 'accepted' }), N + 2);
});

test('/metrics is refused to another machine without the token, served with it; a forwarded client is not local', async (t) => {
  assert.ok(h, 'the server of the previous test');
  const url = h.server.url;
  // Through a proxy on this machine (Caddy): the peer is loopback, the client is who it forwards.
  const forwarded = await request(`${url}/metrics`, { headers: { 'x-forwarded-for': '203.0.113.9' } });
  assert.equal(forwarded.statusCode, 403);
  assert.match(await forwarded.body.text(), /WXCOZE_METRICS_TOKEN/);
  const forwardedWithToken = await request(`${url}/metrics`, {
    headers: { 'x-forwarded-for': '203.0.113.9', authorization: `Bearer ${TOKEN}` },
  });
  assert.equal(forwardedWithToken.statusCode, 200);
  await forwardedWithToken.body.dump();

  // A real non-loopback peer: the server listening on every interface, reached at this machine's address.
  const outside = outsideAddress();
  if (!outside) {
    console.error('SKIPPED: this machine has no non-loopback IPv4 address');
    t.skip('no non-loopback IPv4 address');
    return;
  }
  await h.close();
  h = await startHarness({ WXCOZE_HOST: '0.0.0.0', WXCOZE_METRICS_TOKEN: TOKEN });
  const port = new URL(h.server.url).port;
  const there = `http://${outside}:${port}`;
  const refused = await request(`${there}/metrics`);
  assert.equal(refused.statusCode, 403);
  assert.match(await refused.body.text(), /Authorization: Bearer <WXCOZE_METRICS_TOKEN>/);
  // A forged X-Forwarded-For from a non-loopback peer is not believed.
  const forged = await request(`${there}/metrics`, { headers: { 'x-forwarded-for': '127.0.0.1' } });
  assert.equal(forged.statusCode, 403);
  await forged.body.dump();
  const wrong = await request(`${there}/metrics`, { headers: { authorization: 'Bearer nope' } });
  assert.equal(wrong.statusCode, 403);
  await wrong.body.dump();
  const served = await scrape(there, { authorization: `Bearer ${TOKEN}` });
  assert.ok(served.value('wxcoze_pipeline_up') === 1);
  // /healthz and /readyz answer anyone (a load balancer is another machine).
  assert.equal((await request(`${there}/healthz`)).statusCode, 200);
  const ready = await request(`${there}/readyz`);
  assert.equal(ready.statusCode, 200);
  assert.equal(((await ready.body.json()) as { status: string }).status, 'ready');
});

test('with the pipeline on the main thread the same figures are counted; a reply WeCom refuses for its 5-message budget is a budget refusal', async () => {
  await h?.close();
  h = await startHarness({ WXCOZE_PIPELINE_THREAD: 'off' });
  const url = h.server.url;
  const before = await scrape(url);
  const delta = (m: Exposition, name: string, labels?: Record<string, string>) =>
    m.sum(name, labels) - before.sum(name, labels);
  // The customer writes (no callback yet); then 5 messages reach them from elsewhere (a servicer's
  // tool on the same kf account), spending WeCom's 5 replies to that message before wxcoze answers.
  await h.wecom.customerSends(KF, 'wmBudget', { text: '在吗' }, { notify: false });
  const other = new WecomApi({
    baseUrl: h.wecom.url,
    corpId: h.wecom.corpId,
    secret: h.wecom.secret,
    logger: createLogger({ level: 'silent' }),
  });
  try {
    for (let i = 0; i < 5; i++)
      await other.sendMsg({
        touser: 'wmBudget',
        open_kfid: KF,
        msgid: `elsewhere-${i}`,
        message: { msgtype: 'text', text: { content: `其他工具 ${i}` } },
      });
  } finally {
    await other.close();
  }
  await h.wecom.deliverCallback(KF);
  const after = (await waitFor<Exposition | undefined>(
    'the refusal counted',
    async () => {
      const m = await scrape(url);
      return delta(m, 'wxcoze_budget_refusals_total', { reason: 'wecom_95001' }) === 1 ? m : undefined;
    },
    15_000,
    100,
  ))!;
  assert.equal(delta(after, 'wxcoze_wecom_api_calls_total', { api: 'kf/send_msg', errcode: '95001' }), 1);
  assert.equal(delta(after, 'wxcoze_coze_api_calls_total', { call: 'chat', code: '0' }), 1);
  assert.equal(delta(after, 'wxcoze_callbacks_total', { result: 'accepted' }), 1);
  assert.ok(delta(after, 'wxcoze_pulls_total', { result: 'ok' }) >= 1);
  assert.equal(h.wecom.sentTo('wmBudget').length, 5, 'nothing of ours went out past the budget');
});
