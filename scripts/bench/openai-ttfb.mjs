/**
 * Streaming overhead of the OpenAI-compatible API: time to the first content chunk through
 * wxcoze (`POST /v1/chat/completions`, stream) minus the same straight from the Coze (fake) server
 * (`POST /v3/chat`, first `conversation.message.delta`). Runs alternate so drift hits both sides.
 *
 *   import { measureOpenAiTtfb } from './bench/openai-ttfb.mjs';
 *   const r = await measureOpenAiTtfb({ wxcozeUrl, apiKey, cozeUrl, cozeToken, botId, model, runs: 200 });
 *   // → { directMs: {p50, p99}, viaWxcozeMs: {p50, p99}, overheadMs }   (overheadMs = p50 difference)
 *
 * wxcoze must run with WXCOZE_API_KEYS containing apiKey, against cozeUrl with the same bot.
 */
import { performance } from 'node:perf_hooks';
import { Agent, request } from 'undici';

function pct(sorted, p) {
  if (!sorted.length) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return Math.round(sorted[i] * 1000) / 1000;
}

/** Reads a response body until `isFirst(text so far)` holds; returns ms since `t0`, then drains. */
async function firstMatch(body, t0, isFirst) {
  let buf = '';
  let at;
  for await (const chunk of body) {
    if (at === undefined) {
      buf += chunk.toString('utf8');
      if (isFirst(buf)) at = performance.now() - t0;
    }
  }
  if (at === undefined) throw new Error(`no content chunk in: ${buf.slice(0, 300)}`);
  return at;
}

export async function measureOpenAiTtfb({
  wxcozeUrl,
  apiKey,
  cozeUrl,
  cozeToken,
  botId,
  model,
  runs = 100,
  warmup = 5,
}) {
  const dispatcher = new Agent({ keepAliveTimeout: 30_000 });
  const direct = async () => {
    const t0 = performance.now();
    const res = await request(`${cozeUrl.replace(/\/+$/, '')}/v3/chat`, {
      method: 'POST',
      dispatcher,
      headers: {
        authorization: `Bearer ${cozeToken}`,
        'content-type': 'application/json',
        accept: 'text/event-stream',
      },
      body: JSON.stringify({
        bot_id: botId,
        user_id: 'bench',
        stream: true,
        auto_save_history: false,
        additional_messages: [{ role: 'user', type: 'question', content: 'ping', content_type: 'text' }],
      }),
    });
    if (res.statusCode !== 200) throw new Error(`direct: HTTP ${res.statusCode}: ${await res.body.text()}`);
    return firstMatch(res.body, t0, (s) => s.includes('conversation.message.delta'));
  };
  const via = async () => {
    const t0 = performance.now();
    const res = await request(`${wxcozeUrl.replace(/\/+$/, '')}/v1/chat/completions`, {
      method: 'POST',
      dispatcher,
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model, stream: true, messages: [{ role: 'user', content: 'ping' }] }),
    });
    if (res.statusCode !== 200)
      throw new Error(`via wxcoze: HTTP ${res.statusCode}: ${await res.body.text()}`);
    return firstMatch(res.body, t0, (s) => /"delta":\{"content":"[^"]/.test(s));
  };
  try {
    for (let i = 0; i < warmup; i++) {
      await direct();
      await via();
    }
    const d = [];
    const v = [];
    for (let i = 0; i < runs; i++) {
      if (i % 2) {
        v.push(await via());
        d.push(await direct());
      } else {
        d.push(await direct());
        v.push(await via());
      }
    }
    d.sort((a, b) => a - b);
    v.sort((a, b) => a - b);
    const directMs = { p50: pct(d, 50), p99: pct(d, 99) };
    const viaWxcozeMs = { p50: pct(v, 50), p99: pct(v, 99) };
    return { directMs, viaWxcozeMs, overheadMs: Math.round((viaWxcozeMs.p50 - directMs.p50) * 1000) / 1000 };
  } finally {
    await dispatcher.close();
  }
}
