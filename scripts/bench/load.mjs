/**
 * HTTP load for the callback benchmark, on an undici Pool (not fetch): pre-built signed
 * callbacks, a closed loop (N connections, each sends its next request when the previous one
 * answered) and an open loop (a fixed arrival rate, independent of the answers).
 */
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import { percentile } from './lib.mjs';

const HEADERS = { 'content-type': 'text/xml' };

/**
 * `n` valid, distinct kf_msg_or_event callbacks: each its own sync Token (issued by the fake so
 * the server's pull is accepted), nonce, timestamp (spread over the last 2 minutes) and AES IV
 * prefix; all for the same open_kfid, as WeCom sends them for one busy account.
 */
export function buildCallbacks({ n, tokens, crypto, corpId, kf, buildSignedCallback, kfEventXml }) {
  const now = Math.floor(Date.now() / 1000);
  const out = new Array(n);
  const qs = (q) => `msg_signature=${q.msg_signature}&timestamp=${q.timestamp}&nonce=${q.nonce}`;
  for (let i = 0; i < n; i++) {
    const ts = String(now - (i % 120));
    const signed = buildSignedCallback(crypto, corpId, kfEventXml(corpId, tokens[i], kf, Number(ts)), {
      timestamp: ts,
      nonce: String(1_000_000_000 + i),
    });
    out[i] = { path: `/wechat/hook?${qs(signed.query)}`, body: signed.body };
  }
  return out;
}

/** Checks the server really accepts these callbacks before timing anything. */
export async function probe(origin, req) {
  const pool = new Pool(origin, { connections: 1 });
  try {
    const res = await pool.request({ path: req.path, method: 'POST', body: req.body, headers: HEADERS });
    const text = await res.body.text();
    if (res.statusCode !== 200 || text !== 'success')
      throw new Error(`${origin} answered ${res.statusCode} ${JSON.stringify(text.slice(0, 200))}`);
  } finally {
    await pool.close();
  }
}

/**
 * Closed loop: `connections` workers, each with one request in flight. Counts responses that
 * complete inside the measured window (after `warmMs`), `success` only; anything else is an error.
 */
export async function closedLoop({
  origin,
  reqs,
  start = 0,
  connections = 64,
  warmMs = 2000,
  durMs = 10_000,
}) {
  const pool = new Pool(origin, { connections, pipelining: 1, keepAliveTimeout: 60_000 });
  let idx = start;
  let ok = 0,
    bad = 0,
    sent = 0,
    okAll = 0;
  const lat = [];
  const t0 = performance.now();
  const tMeasure = t0 + warmMs;
  const tEnd = tMeasure + durMs;
  const worker = async () => {
    for (;;) {
      const ts = performance.now();
      if (ts >= tEnd) return;
      const r = reqs[idx++ % reqs.length];
      sent++;
      let good = false;
      try {
        const res = await pool.request({ path: r.path, method: 'POST', body: r.body, headers: HEADERS });
        const text = await res.body.text();
        good = res.statusCode === 200 && text === 'success';
      } catch {
        good = false;
      }
      const te = performance.now();
      if (good) okAll++;
      if (te >= tMeasure && te < tEnd) {
        if (good) ok++;
        else bad++;
        if ((ok & 7) === 0) lat.push(te - ts);
      }
    }
  };
  await Promise.all(Array.from({ length: connections }, worker));
  await pool.close();
  lat.sort((a, b) => a - b);
  return {
    rps: ok / (durMs / 1000),
    ok,
    okAll,
    errors: bad,
    sent,
    next: idx,
    latP50Ms: percentile(lat, 50),
    latP99Ms: percentile(lat, 99),
  };
}

/**
 * Open loop at `rate` requests/s: request i is due at start + i/rate and sent when due whatever
 * the earlier ones are doing. Latency is measured from the actual send ("ack latency") and, to
 * expose any lag of the driver itself, from the due time as well. The first `warmMs` is not counted.
 */
export async function openLoop({
  origin,
  reqs,
  start = 0,
  rate = 500,
  durMs = 10_000,
  warmMs = 1000,
  connections = 64,
}) {
  const pool = new Pool(origin, { connections, pipelining: 1, keepAliveTimeout: 60_000 });
  const interval = 1000 / rate;
  const total = Math.round((rate * (warmMs + durMs)) / 1000);
  const warmCount = Math.round((rate * warmMs) / 1000);
  const service = [],
    fromDue = [];
  let bad = 0,
    idx = start;
  const inflight = [];
  const t0 = performance.now() + 20;
  const fire = (i, due) => {
    const r = reqs[idx++ % reqs.length];
    const ts = performance.now();
    inflight.push(
      pool
        .request({ path: r.path, method: 'POST', body: r.body, headers: HEADERS })
        .then(async (res) => {
          const text = await res.body.text();
          const te = performance.now();
          if (i < warmCount) return;
          if (res.statusCode !== 200 || text !== 'success') {
            bad++;
            return;
          }
          service.push(te - ts);
          fromDue.push(te - due);
        })
        .catch(() => {
          if (i >= warmCount) bad++;
        }),
    );
  };
  let i = 0;
  await new Promise((resolve) => {
    const tick = () => {
      const now = performance.now();
      while (i < total && t0 + i * interval <= now) {
        fire(i, t0 + i * interval);
        i++;
      }
      if (i < total) setTimeout(tick, Math.max(0, Math.min(1, t0 + i * interval - performance.now())));
      else resolve();
    };
    setTimeout(tick, 20);
  });
  const tSent = performance.now();
  await Promise.all(inflight);
  await pool.close();
  service.sort((a, b) => a - b);
  fromDue.sort((a, b) => a - b);
  const measuredSpanS = (tSent - (t0 + warmCount * interval)) / 1000;
  return {
    rate,
    count: service.length,
    errors: bad,
    next: idx,
    achievedRps: (total - warmCount) / measuredSpanS,
    p50Ms: percentile(service, 50),
    p90Ms: percentile(service, 90),
    p99Ms: percentile(service, 99),
    maxMs: service.at(-1),
    fromDue: { p50Ms: percentile(fromDue, 50), p99Ms: percentile(fromDue, 99), maxMs: fromDue.at(-1) },
  };
}
