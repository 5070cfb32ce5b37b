/**
 * WXCOZE_WECOM_PROXY: WeCom API calls (token, sync_msg, send_msg) go through the proxy with the
 * fixed address WeCom trusts, with its credentials; Coze calls do not. A log line never shows them.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { createLogger } from '../../src/log/logger.js';
import { startHarness, tempDir, waitFor, type Harness } from '../helpers/harness.js';
import { connectProxy } from '../helpers/proxy.js';

let h: Harness | undefined;
let proxy: Awaited<ReturnType<typeof connectProxy>> | undefined;
after(async () => {
  await h?.close();
  await proxy?.close();
});

test('WeCom calls go through WXCOZE_WECOM_PROXY with its credentials, Coze calls do not, and the log never shows them', async () => {
  proxy = await connectProxy();
  const logFile = join(tempDir(), 'wxcoze.log');
  const withAuth = proxy.url.replace('http://', 'http://egress:s3cretProxyPass@');
  h = await startHarness(
    { WXCOZE_WECOM_PROXY: withAuth },
    { logger: createLogger({ level: 'info', file: logFile }) },
  );
  await h.wecom.customerSends('wkAJ2GCAAASSm4_FhToWMFea0xAFfd3Q', 'wmProxied', { text: '你好' });
  await waitFor('the reply', () => h!.wecom.sentTo('wmProxied').length === 1);

  const wecomHost = new URL(h.wecom.url).host;
  const cozeHost = new URL(h.coze.url).host;
  assert.ok(proxy.tunnels.length > 0, 'the proxy carried traffic');
  assert.ok(
    proxy.tunnels.every((t) => t.target === wecomHost),
    `only WeCom went through the proxy: ${proxy.tunnels.map((t) => t.target).join(', ')}`,
  );
  assert.ok(!proxy.tunnels.some((t) => t.target === cozeHost), 'Coze is called directly');
  assert.equal(
    proxy.tunnels[0]!.auth,
    `Basic ${Buffer.from('egress:s3cretProxyPass').toString('base64')}`,
    "the proxy's credentials are sent to it",
  );
  await h.close();
  h = undefined;
  const logged = readFileSync(logFile, 'utf8');
  assert.ok(logged.length > 0, 'the server logged');
  assert.ok(!logged.includes('s3cretProxyPass'), 'the proxy password is never logged');
});
