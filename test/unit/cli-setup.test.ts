/** The appliance's pure parts: masking, config writing, Caddyfile rendering, setup-wall texts, identity links. */
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseIdentity } from '../../src/cli/commands/users.js';
import { renderCaddyfile } from '../../src/cli/lib/caddy.js';
import { normaliseCallbackUrl } from '../../src/cli/lib/callback-verify.js';
import { apiBaseFromRegion, explainCoze } from '../../src/cli/lib/coze-setup.js';
import { explainWecom, kfAccountProblem, outboundIpFrom } from '../../src/cli/lib/wecom-setup.js';
import { maskSecret, readConfigValues, writeConfigValues } from '../../src/config/write.js';
import { CozeError } from '../../src/coze/errors.js';
import { SqlStore } from '../../src/store/sql/sql-store.js';
import { WecomApiError } from '../../src/wecom/errors.js';

test('secrets are masked: prefix and last three characters only', () => {
  assert.equal(maskSecret('pat_abcdefghijklmnopqrstuvwxyzx9Z'), 'pat_…x9Z');
  assert.equal(maskSecret('hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo'), 'hJq…PYo');
  assert.equal(maskSecret('short'), '…rt');
  assert.equal(maskSecret(undefined), '(not set)');
});

test('config file: 0600 in a 0700 folder, canonical order, undefined removes a key, read back', () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'wxcoze-unit-')), 'data');
  writeConfigValues(dir, { PORT: '8000', WECOM_CORP_ID: 'ww1', COZE_BOT_ID: '123456', ZZZ: 'x' });
  writeConfigValues(dir, { ...readConfigValues(dir), COZE_BOT_ID: undefined, COZE_WORKFLOW_ID: '654321' });
  assert.equal(statSync(join(dir, 'config.json')).mode & 0o777, 0o600);
  assert.equal(statSync(dir).mode & 0o777, 0o700);
  assert.deepEqual(Object.keys(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'))), [
    'WECOM_CORP_ID',
    'COZE_WORKFLOW_ID',
    'PORT',
    'ZZZ',
  ]);
});

test('Caddyfile: a plain site for production, global options only when asked', () => {
  const prod = renderCaddyfile({ domain: 'kf.example.com', upstream: '127.0.0.1:8000' });
  // /metrics answered by Caddy itself: behind it every request reaches wxcoze from loopback.
  assert.match(
    prod,
    /^kf\.example\.com \{\n\trespond \/metrics\* 404\n\treverse_proxy 127\.0\.0\.1:8000\n\}$/m,
  );
  assert.doesNotMatch(prod.replace(/^#.*$/gm, ''), /[{]\s*\n\s*(admin|http_port|storage)/);
  const t = renderCaddyfile({
    domain: 'wxcoze.test',
    upstream: '127.0.0.1:9',
    tls: 'internal',
    httpsPort: 18443,
    httpPort: 18080,
    storage: '/tmp/s',
    admin: 'off',
    skipInstallTrust: true,
  });
  assert.match(
    t,
    /\{\n\tadmin off\n\thttp_port 18080\n\thttps_port 18443\n\tskip_install_trust\n\tstorage file_system \{\n\t\troot "\/tmp\/s"\n\t\}\n\}/,
  );
  assert.match(
    t,
    /wxcoze\.test \{\n\ttls internal\n\trespond \/metrics\* 404\n\treverse_proxy 127\.0\.0\.1:9\n\}/,
  );
});

test('callback URL: an origin gets /wechat/hook, a typed path is kept, no scheme means https', () => {
  assert.equal(
    normaliseCallbackUrl('https://kf.example.com').toString(),
    'https://kf.example.com/wechat/hook',
  );
  assert.equal(
    normaliseCallbackUrl('kf.example.com:8443').toString(),
    'https://kf.example.com:8443/wechat/hook',
  );
  assert.equal(
    normaliseCallbackUrl('http://1.2.3.4:8000/wechat/hook').toString(),
    'http://1.2.3.4:8000/wechat/hook',
  );
  assert.equal(apiBaseFromRegion('com'), 'https://api.coze.com');
  assert.equal(apiBaseFromRegion('coze.cn'), 'https://api.coze.cn');
  assert.equal(apiBaseFromRegion('nowhere'), undefined);
});

test('setup walls in words: 60020 names the IP from errmsg, 48002 the console path, Coze 4100/4101/4015', () => {
  const t = { corpId: 'ww1', apiBase: 'https://qyapi.weixin.qq.com' };
  const errmsg =
    'not allow to access from your ip, hint: [1718], from ip: 203.0.113.7, more info at https://open.work.weixin.qq.com/devtool/query?e=60020';
  assert.equal(outboundIpFrom(errmsg), '203.0.113.7');
  const ip = explainWecom(new WecomApiError('gettoken', 60020, errmsg), t);
  assert.match(ip.problem, /IP 203\.0\.113\.7/);
  assert.match(ip.fix, /企业可信IP → 配置, add 203\.0\.113\.7/);
  assert.match(
    explainWecom(new WecomApiError('kf/account/list', 48002, 'api forbidden'), t).fix,
    /可调用接口的应用/,
  );
  assert.match(
    kfAccountProblem([{ open_kfid: 'wk1', name: 'A', manage_privilege: false }], 'wk1')!.problem,
    /not managed by this app/,
  );
  assert.equal(kfAccountProblem([{ open_kfid: 'wk1', name: 'A', manage_privilege: true }], 'wk1'), undefined);
  const ctx = { apiBase: 'https://api.coze.cn', botId: '123456' };
  assert.match(
    explainCoze(new CozeError({ code: 4100, msg: 'authentication is invalid' }), ctx, 'token').fix,
    /coze\.cn\/open\/oauth\/pats/,
  );
  assert.match(
    explainCoze(new CozeError({ code: 4100, msg: 'x' }), { ...ctx, otherRegion: 'com' }, 'token').fix,
    /Choose the coze\.com region/,
  );
  assert.match(
    explainCoze(new CozeError({ code: 4101, msg: 'x' }), ctx, 'bot').fix,
    /workspace.*getMetadata/,
  );
  assert.match(explainCoze(new CozeError({ code: 4015, msg: 'x' }), ctx, 'chat').fix, /发布.*API/);
});

test('users link: joins a WeChat customer and an Open WebUI user into one internal user, merging when both exist', async () => {
  const store = SqlStore.sqlite(':memory:');
  await store.migrate();
  const wecom = parseIdentity('wechat:wmCUSTOMER');
  const owui = parseIdentity('openwebui:3f2a-uuid');
  assert.deepEqual(wecom, { channel: 'wecom', externalId: 'wmCUSTOMER' });
  assert.throws(() => parseIdentity('nochannel'), /channel:id/);

  const uWecom = await store.resolveUser('wecom', 'wmCUSTOMER', 1);
  assert.deepEqual(owui, { channel: 'web', externalId: '3f2a-uuid' }, "the OpenAI API's channel name");
  const uOwui = await store.resolveUser('web', '3f2a-uuid', 2);
  await store.setConversation(uWecom, 'bot:1', 'conv-wecom', 3);
  await store.setConversation(uOwui, 'bot:1', 'conv-owui', 3);
  await store.setConversation(uOwui, 'bot:2', 'conv-owui-2', 3);
  const r = await store.linkIdentities!(wecom, owui, 10);
  assert.deepEqual(r, {
    userId: uWecom,
    alreadyLinked: false,
    mergedUserId: uOwui,
    movedConversations: 1,
    droppedConversations: 1,
  });
  assert.equal(await store.resolveUser('web', '3f2a-uuid', 11), uWecom, 'both channels are now one user');
  assert.equal(
    await store.getConversation(uWecom, 'bot:1'),
    'conv-wecom',
    "the first identity's memory is kept",
  );
  assert.equal(await store.getConversation(uWecom, 'bot:2'), 'conv-owui-2');
  assert.equal((await store.linkIdentities!(owui, wecom, 12)).alreadyLinked, true);
  const fresh = await store.linkIdentities!(
    { channel: 'wecom', externalId: 'wmNEW' },
    { channel: 'web', externalId: 'new' },
    13,
  );
  assert.equal(await store.resolveUser('web', 'new', 14), fresh.userId);
  assert.deepEqual((await store.findIdentities!(wecom))!.identities.map((i) => i.channel).sort(), [
    'web',
    'wecom',
  ]);
  await store.close();
});
