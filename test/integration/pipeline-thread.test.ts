/**
 * The pipeline runs in its own worker thread (WXCOZE_PIPELINE_THREAD, default on): what a user would
 * notice is that WeCom's callbacks are acknowledged whatever the pipeline is doing, that /metrics
 * still shows the pipeline's figures, and that a pipeline that dies loses nothing.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, test } from 'node:test';
import { loadConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/log/logger.js';
import { startServer, type RunningServer } from '../../src/server/start-server.js';
import { KF, serverEnv, settle, startHarness, waitFor, type Harness } from '../helpers/harness.js';

let h: Harness | undefined;
let second: RunningServer | undefined;
after(async () => {
  await second?.stop(500);
  await h?.close();
});

const metricValue = (text: string, name: string): number | undefined => {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
};

test('a pipeline held by a synchronous hog does not hold the acks: callbacks answer `success` at once, the reply follows once released', async () => {
  h = await startHarness({ WXCOZE_PIPELINE_NICENESS: '5' }, { testHooks: true });
  assert.equal(h.server.pipeline.thread, 'worker', 'the default runs the pipeline in a worker thread');
  const release = h.server.pipeline.testHooks!.hog();
  try {
    const customers = Array.from({ length: 20 }, (_, i) => `wmHog${String(i).padStart(2, '0')}`);
    for (const c of customers) await h.wecom.customerSends(KF, c, { text: '你好' }, { notify: false });
    // WeCom gives each callback 5 s and retries after: a first attempt answered 200 means no retry.
    const statuses = await Promise.all(customers.map(() => h!.wecom.deliverCallback(KF)));
    for (const s of statuses) assert.deepEqual(s, [200], 'acknowledged on the first attempt');
    const metrics = await h.server.app.inject({ method: 'GET', url: '/metrics' });
    assert.equal(metrics.statusCode, 200, '/metrics answers while the pipeline is held');
    // The pipeline's thread is blocked (the hog came before the callbacks): nothing can have gone out.
    assert.equal(customers.filter((c) => h!.wecom.sentTo(c).length > 0).length, 0);
  } finally {
    release();
  }
  await waitFor('every customer answered', () =>
    Array.from({ length: 20 }, (_, i) => `wmHog${String(i).padStart(2, '0')}`).every(
      (c) => h!.wecom.sentTo(c).length > 0,
    ),
  );
  await settle();
  for (let i = 0; i < 20; i++)
    assert.equal(h.wecom.sentTo(`wmHog${String(i).padStart(2, '0')}`).length, 1, 'answered once');
});

/** A thread's nice value, from /proc (field 19 of its stat line). */
const niceOf = (tid: number): number => {
  const stat = readFileSync(`/proc/${process.pid}/task/${tid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
};

test(
  'the pipeline thread runs nicer than the HTTP thread, so acks win the CPU when both want it (Linux)',
  { skip: process.platform !== 'linux' && 'per-thread priority is a Linux feature' },
  () => {
    const os = h!.server.pipeline.osThread;
    assert.ok(os, 'the worker reported its thread id and priority');
    assert.notEqual(os.tid, process.pid, 'a thread of its own, not the process');
    assert.equal(niceOf(os.tid), niceOf(process.pid) + 5, 'five steps nicer than the HTTP thread');
    assert.equal(niceOf(process.pid), os.nice - 5, 'and the HTTP thread kept its priority');
  },
);

test("/metrics, served by the main thread, includes the pipeline thread's counters", async () => {
  // Counters are reported from the worker once per event-loop turn: wait for the last ones to land.
  const text = await waitFor('the pipeline counters', async () => {
    const body = (await h!.server.app.inject({ method: 'GET', url: '/metrics' })).body;
    return (metricValue(body, 'wxcoze_pipeline_messages_total{result="done"}') ?? 0) >= 20 ? body : undefined;
  });
  assert.equal(metricValue(text!, 'wxcoze_pipeline_up'), 1);
  assert.ok(metricValue(text!, 'wxcoze_callbacks_total{result="accepted"}')! >= 20, 'and its own');
  const heap = await waitFor('the worker heap figure (reported every 5 s)', async () => {
    const body = (await h!.server.app.inject({ method: 'GET', url: '/metrics' })).body;
    return metricValue(body, 'wxcoze_pipeline_thread_heap_used_bytes') || undefined;
  });
  assert.ok(heap! > 0);
  await h!.close();
  h = undefined;
});

test('a crash of the pipeline thread: callbacks are refused (WeCom retries), and the next start answers what was accepted, once', async () => {
  h = await startHarness({}, { testHooks: true });
  h.coze.setResponder(() => ({ text: '慢回答', delayMs: 60_000 }));
  await h.wecom.customerSends(KF, 'wmCrash', { text: '在吗' }, { notify: false });
  assert.deepEqual(await h.wecom.deliverCallback(KF), [200], 'accepted before the crash');
  await waitFor('Coze asked', () => h!.coze.chats.length > 0);

  h.server.pipeline.testHooks!.crash();
  const err = await h.server.crashed;
  assert.match(err.message, /crash requested by a test/);
  await h.wecom.customerSends(KF, 'wmAfter', { text: '还在吗' }, { notify: false });
  const refused = await h.wecom.deliverCallback(KF);
  assert.ok(
    !refused.includes(200),
    `refused while the pipeline is gone (${refused.join(',')}): WeCom keeps it`,
  );
  const metrics = (await h.server.app.inject({ method: 'GET', url: '/metrics' })).body;
  assert.equal(metricValue(metrics, 'wxcoze_pipeline_up'), 0);
  await h.server.stop(500);

  // What `wxcoze start` does after the crash (exit 1, systemd restarts it): a new start on the same data.
  h.coze.setResponder(() => ({ text: '您好' }));
  const { config, problems } = loadConfig({ env: serverEnv(h, h.dataDir), cwd: h.dataDir });
  assert.deepEqual(problems, []);
  second = await startServer(config, createLogger({ level: process.env.WXCOZE_TEST_LOG ?? 'silent' }));
  h.wecom.setCallbackUrl(`${second.url}/wechat/hook`);
  await waitFor(
    'both answered',
    () => h!.wecom.sentTo('wmCrash').length > 0 && h!.wecom.sentTo('wmAfter').length > 0,
  );
  await settle(500);
  assert.equal(h.wecom.sentTo('wmCrash').length, 1, 'the message accepted before the crash: once');
  assert.equal(h.wecom.sentTo('wmAfter').length, 1, 'the message refused during the crash: once');
});

test('WXCOZE_PIPELINE_THREAD=off runs the pipeline on the main thread, with the same answers and counters', async () => {
  await second?.stop(500);
  second = undefined;
  await h?.close();
  h = await startHarness({ WXCOZE_PIPELINE_THREAD: 'off' });
  assert.equal(h.server.pipeline.thread, 'main');
  const done = async () =>
    metricValue(
      (await h!.server.app.inject({ method: 'GET', url: '/metrics' })).body,
      'wxcoze_pipeline_messages_total{result="done"}',
    ) ?? 0;
  const before = await done();
  await h.wecom.customerSends(KF, 'wmMain', { text: '你好' });
  await waitFor('the reply', () => h!.wecom.sentTo('wmMain').length === 1);
  await waitFor('the counter', async () => (await done()) > before);
  const text = (await h.server.app.inject({ method: 'GET', url: '/metrics' })).body;
  assert.equal(metricValue(text, 'wxcoze_pipeline_up'), 1);
  await settle();
  assert.equal(h.wecom.sentTo('wmMain').length, 1);
});
