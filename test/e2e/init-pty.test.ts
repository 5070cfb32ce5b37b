/**
 * `wxcoze init` in a real pseudo-terminal (tmux, Debian's package): answers typed at the prompts,
 * a wrong token caught at its prompt, and a config the server then starts with.
 */
import assert from 'node:assert/strict';
import { execa } from 'execa';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { isAlive, readPid } from '../../src/cli/lib/runstate.js';
import {
  appKeys,
  fakeOAuthApp,
  OAUTH_APP_ID,
  OAUTH_KEY_ID,
  strangerKeys,
  writeKeyFile,
} from '../helpers/coze-oauth.js';
import { requireTool } from '../helpers/requirements.js';
import {
  BOT_ID,
  cli,
  CLI,
  COZE_TOKEN,
  CORP_ID,
  freePort,
  KF,
  KF_NAME,
  SECRET,
  startFakes,
  tempDir,
  waitFor,
  type Fakes,
  baseEnv,
} from './helpers.js';

let f: Fakes;
const dir = tempDir('wxcoze-pty-');
const sock = join(dir, 'tmux.sock');
const tmux = (...args: string[]) => execa('tmux', ['-S', sock, ...args], { reject: false });
const screen = async () => (await tmux('capture-pane', '-p', '-J', '-S', '-200', '-t', 'init')).stdout;
const type = (text: string) => tmux('send-keys', '-t', 'init', '-l', text);
const key = (...keys: string[]) => tmux('send-keys', '-t', 'init', ...keys);
/** Waits until the screen matches, then returns it. */
const expectScreen = (re: RegExp, timeoutMs = 15_000) =>
  waitFor(
    `${re} on the screen`,
    async () => {
      const s = await screen();
      return re.test(s) ? s : '';
    },
    timeoutMs,
    100,
  ).catch(async (err: Error) => {
    throw new Error(`${err.message}\n--- screen ---\n${await screen()}`);
  });

before(async () => {
  f = await startFakes({ oauth: fakeOAuthApp() });
});
after(async () => {
  await tmux('kill-server');
  const pid = readPid(join(dir, 'data'));
  if (pid && isAlive(pid)) process.kill(pid, 'SIGKILL');
  await f.close();
});

/** A date 20 days ahead, as a token's expiry. */
const EXPIRES = new Date(Date.now() + 20 * 86_400_000).toISOString().slice(0, 10);

test(
  'interactive init in a pseudo-terminal: answers checked as typed, config 0600, start accepts it',
  { skip: requireTool('tmux') },
  async () => {
    const dataDir = join(dir, 'data');
    const port = await freePort();
    const script = join(dir, 'run.sh');
    writeFileSync(
      script,
      [
        'cd ' + JSON.stringify(dir),
        `export PATH=${JSON.stringify(process.env.PATH ?? '/usr/bin:/bin')} HOME=${JSON.stringify(dir)} TERM=xterm-256color`,
        `export WXCOZE_DATA_DIR=${JSON.stringify(dataDir)} WECOM_API_BASE=${JSON.stringify(f.wecom.url)} WXCOZE_CADDY_MAIN=${JSON.stringify(join(dir, 'no-system-caddyfile'))}`,
        `${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} init`,
        'echo "[exit $?]"',
        'sleep 300',
      ].join('\n'),
    );
    const started = await tmux('new-session', '-d', '-s', 'init', '-x', '200', '-y', '60', `sh ${script}`);
    assert.equal(started.exitCode, 0, started.stderr);

    await expectScreen(/Coze region/);
    await key('Down', 'Down', 'Enter'); // another API base URL
    await expectScreen(/Coze API base URL/);
    await type(f.coze.url);
    await key('Enter');

    // A new install is offered the OAuth app first; this run takes the personal token.
    await expectScreen(
      /How does wxcoze sign in to Coze\?[\s\S]*a personal access token[\s\S]*an OAuth service app/,
    );
    await key('Up', 'Enter');
    await expectScreen(/Coze access token/);
    await type('pat_wrong_token_1234567890');
    await key('Enter');
    // Checked live as it is given: the wrong token is refused at its own prompt, with what to do.
    await expectScreen(/Coze rejected the token[\s\S]*4100[\s\S]*个人访问令牌/);
    await key('C-u');
    await type(COZE_TOKEN);
    await key('Enter');
    // Its expiry: a date already past is refused at once, then the real one is kept for doctor.
    await expectScreen(/When does this token expire\?/);
    await type('2020-01-31');
    await key('Enter');
    await expectScreen(/2020-01-31 has passed: the token no longer works/);
    await key('C-u');
    await type(EXPIRES);
    await key('Enter');

    await expectScreen(/What answers the customers\?/);
    await key('Enter'); // a bot
    await expectScreen(/Bot id/);
    await type(BOT_ID);
    await key('Enter');
    await expectScreen(/Send the bot one test message/);
    await key('Enter'); // yes
    await expectScreen(/the bot answered through the API/);

    await expectScreen(/CorpID/);
    await type(CORP_ID);
    await key('Enter');
    await expectScreen(/Secret of the self-built app/);
    await type(SECRET);
    await key('Enter');
    await expectScreen(/微信客服 account to answer/);
    assert.match(await screen(), new RegExp(KF_NAME));
    await key('Enter');

    await expectScreen(/Generate a new random Token and EncodingAESKey/);
    await key('Enter'); // yes
    await expectScreen(
      /How will WeCom reach this server\?[\s\S]*a domain: HTTPS by Caddy in front[\s\S]*no domain: wxcoze listens on all interfaces/,
    );
    await key('Enter'); // a domain
    await expectScreen(/Domain for the callback URL/);
    await type('kf.example.com');
    await key('Enter');
    await expectScreen(/Local port for wxcoze/);
    await type(String(port));
    await key('Enter');
    // The web console's admin: Enter makes a password up, printed once.
    await expectScreen(/Password for the web console/);
    await key('Enter');

    const done = await expectScreen(/\[exit \d+\]/, 30_000);
    assert.match(done, /console user admin created[\s\S]*password: \S{20}/);
    assert.match(done, /\[exit 0\]/, done);
    assert.ok(!done.includes(COZE_TOKEN) && !done.includes(SECRET), 'typed secrets are never echoed');
    assert.ok(!done.includes('pat_wrong_token_1234567890'), 'not even the wrong one');

    const file = join(dataDir, 'config.json');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const values = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
    assert.deepEqual(
      {
        base: values.COZE_API_BASE,
        token: values.COZE_API_TOKEN,
        expires: values.WXCOZE_COZE_TOKEN_EXPIRES_AT,
        bot: values.COZE_BOT_ID,
        corp: values.WECOM_CORP_ID,
        kf: values.WECOM_OPEN_KFID,
        domain: values.WXCOZE_DOMAIN,
        port: values.PORT,
      },
      {
        base: f.coze.url,
        token: COZE_TOKEN,
        expires: EXPIRES,
        bot: BOT_ID,
        corp: CORP_ID,
        kf: KF,
        domain: 'kf.example.com',
        port: String(port),
      },
    );
    // The Token/AESKey to paste are on the screen, and the server started from this config verifies with them.
    assert.ok(done.replace(/\s+/g, '').includes(values.WECOM_ENCODING_AES_KEY!));
    const env = baseEnv({ WXCOZE_DATA_DIR: dataDir });
    const s = await cli(['start', '--daemon'], env);
    assert.equal(s.exitCode, 0, s.out);
    const v = await cli(['verify', '--local-only'], env);
    assert.equal(v.exitCode, 0, v.out);
    assert.equal((await cli(['stop'], env)).exitCode, 0);
  },
);

test(
  'interactive init, "no domain": writes WXCOZE_HOST=0.0.0.0 and prints the direct URL with the firewall note',
  { skip: requireTool('tmux') },
  async () => {
    await tmux('kill-session', '-t', 'init');
    const dataDir = join(dir, 'data-no-domain');
    const port = await freePort();
    const script = join(dir, 'run-no-domain.sh');
    // Every other answer comes from the environment, so Enter keeps it.
    writeFileSync(
      script,
      [
        'cd ' + JSON.stringify(dir),
        `export PATH=${JSON.stringify(process.env.PATH ?? '/usr/bin:/bin')} HOME=${JSON.stringify(dir)} TERM=xterm-256color`,
        `export WXCOZE_DATA_DIR=${JSON.stringify(dataDir)} WECOM_API_BASE=${JSON.stringify(f.wecom.url)} COZE_API_BASE=${JSON.stringify(f.coze.url)} WXCOZE_CADDY_MAIN=${JSON.stringify(join(dir, 'no-system-caddyfile'))}`,
        `export COZE_API_TOKEN=${COZE_TOKEN} COZE_BOT_ID=${BOT_ID} WECOM_CORP_ID=${CORP_ID} WECOM_SECRET=${SECRET} PORT=${port}`,
        `${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} init`,
        'echo "[exit $?]"',
        'sleep 300',
      ].join('\n'),
    );
    assert.equal(
      (await tmux('new-session', '-d', '-s', 'init', '-x', '200', '-y', '60', `sh ${script}`)).exitCode,
      0,
    );
    /** The prompt waiting for an answer: the last line inquirer marks with "?". */
    const activePrompt = async () =>
      (await screen())
        .split('\n')
        .filter((l) => /^\s*\? /.test(l))
        .at(-1) ?? '';
    const steps: [RegExp, string[]][] = [
      [/Coze region/, ['Enter']],
      [/Coze API base URL/, ['Enter']],
      [/How does wxcoze sign in to Coze/, ['Enter']], // the token the environment gives
      [/Coze access token/, ['Enter']],
      [/When does this token expire/, ['Enter']], // not recorded
      [/What answers the customers/, ['Enter']],
      [/Bot id/, ['Enter']],
      [/Send the bot one test message/, ['Enter']],
      [/CorpID/, ['Enter']],
      [/Secret of the self-built app/, ['Enter']],
      [/微信客服 account to answer/, ['Enter']],
      [/Generate a new random Token/, ['Enter']],
      [/How will WeCom reach this server/, ['Down', 'Enter']], // no domain
      [/Port WeCom calls \(open it in the firewall\)/, ['Enter']],
      [/Password for the web console/, ['Enter']],
    ];
    for (const [re, keys] of steps) {
      await waitFor(`the prompt ${re}`, async () => re.test(await activePrompt()), 15_000, 100).catch(
        async (err: Error) => {
          throw new Error(`${err.message}\n--- screen ---\n${await screen()}`);
        },
      );
      await key(...keys);
    }
    const done = await expectScreen(/\[exit \d+\]/, 30_000);
    assert.match(done, /\[exit 0\]/, done);
    const values = JSON.parse(readFileSync(join(dataDir, 'config.json'), 'utf8')) as Record<string, string>;
    assert.deepEqual(
      { host: values.WXCOZE_HOST, domain: values.WXCOZE_DOMAIN, port: values.PORT },
      { host: '0.0.0.0', domain: undefined, port: String(port) },
    );
    assert.match(done, new RegExp(`URL +http://\\S+:${port}/wechat/hook`));
    assert.match(done, new RegExp(`WeCom must reach port ${port} from the internet: open ${port}/tcp`));
  },
);

test(
  'interactive init with the OAuth app: a wrong private key is explained, Enter keeps the other answers, the right one is checked live',
  { skip: requireTool('tmux') },
  async () => {
    await tmux('kill-session', '-t', 'init');
    const dataDir = join(dir, 'data-oauth');
    const wrong = writeKeyFile(dir, strangerKeys().privatePem, 0o600, 'old_private_key.pem');
    const right = writeKeyFile(dir, appKeys().privatePem, 0o600, 'private_key.pem');
    const script = join(dir, 'run-oauth.sh');
    writeFileSync(
      script,
      [
        'cd ' + JSON.stringify(dir),
        `export PATH=${JSON.stringify(process.env.PATH ?? '/usr/bin:/bin')} HOME=${JSON.stringify(dir)} TERM=xterm-256color`,
        `export WXCOZE_DATA_DIR=${JSON.stringify(dataDir)} COZE_API_BASE=${JSON.stringify(f.coze.url)} WXCOZE_CADDY_MAIN=${JSON.stringify(join(dir, 'no-system-caddyfile'))}`,
        `${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} init`,
        'echo "[exit $?]"',
        'sleep 300',
      ].join('\n'),
    );
    assert.equal(
      (await tmux('new-session', '-d', '-s', 'init', '-x', '200', '-y', '60', `sh ${script}`)).exitCode,
      0,
    );
    try {
      await expectScreen(/Coze region/);
      await key('Enter'); // the API base from the environment
      await expectScreen(/Coze API base URL/);
      await key('Enter');
      await expectScreen(/How does wxcoze sign in to Coze\?/);
      await key('Enter'); // a new install: the OAuth app is offered first
      await expectScreen(/创建新应用[\s\S]*服务类应用[\s\S]*创建 Key[\s\S]*private_key\.pem/);
      await expectScreen(/OAuth app id/);
      await type(OAUTH_APP_ID);
      await key('Enter');
      await expectScreen(/Public key id/);
      await type(OAUTH_KEY_ID);
      await key('Enter');
      await expectScreen(/Path of private_key\.pem/);
      await type('old_private_key.pem'); // relative: from where init runs
      await key('Enter');
      await expectScreen(
        new RegExp(
          `✗ Coze refused the JWT signed with ${wrong} \\(invalid_client[\\s\\S]*Enter keeps each answer`,
        ),
      );
      await expectScreen(/OAuth app id[^\n]*\n[\s\S]*OAuth app id/);
      await key('Enter');
      await expectScreen(/Public key id[^\n]*\n[\s\S]*Public key id/);
      await key('Enter');
      await expectScreen(/Path of private_key\.pem[^\n]*\n[\s\S]*Path of private_key\.pem/);
      await key('C-u');
      await type(right);
      await key('Enter');
      await expectScreen(new RegExp(`✓ OAuth app ${OAUTH_APP_ID} got an access token`));
      await expectScreen(/What answers the customers\?/);
    } finally {
      await tmux('kill-session', '-t', 'init');
    }
  },
);
