import type { Command } from 'commander';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../config/load.js';
import { generatePassword, hashPassword } from '../../console/auth/password.js';
import { startFakeCoze } from '../../fakes/coze/index.js';
import { startFakeWecom } from '../../fakes/wecom/index.js';
import { createLogger } from '../../log/logger.js';
import { startServer } from '../../server/start-server.js';

// Demo credentials: the official WeCom sample values, used only against the local fakes.
const DEMO = {
  corpId: 'ww1436e0e65a779aee',
  secret: 'demo-secret',
  token: 'hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo',
  aesKey: '6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt',
  cozeToken: 'pat_demo',
  botId: '7379462189365198898',
  kf: 'wkDEMO0000000000000000000000000',
  customer: 'wmDEMO_customer_0000000000000000',
};

// A 1×1 PNG, standing in for a photo the customer sends.
const PIXEL = Buffer.from(
  '89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082',
  'hex',
);

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * `wxcoze demo`: the real server against the in-project fakes of WeCom and Coze, playing a short
 * conversation and printing what the customer sees. No credentials, no network.
 */
export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('see wxcoze work without credentials: the real server against local fakes of WeCom and Coze')
    .option('--verbose', 'show the server log')
    .option(
      '--console',
      'afterwards keep running with the operator console open (user admin, a password printed once) until Ctrl-C',
    )
    .action(async (opts: { verbose?: boolean; console?: boolean }) => {
      const wecom = await startFakeWecom({
        corpId: DEMO.corpId,
        secret: DEMO.secret,
        callbackToken: DEMO.token,
        encodingAesKey: DEMO.aesKey,
        allowSyncWithoutToken: true,
      });
      const coze = await startFakeCoze({ token: DEMO.cozeToken, botIds: [DEMO.botId] });
      wecom.addAccount(DEMO.kf, '演示客服');
      coze.setResponder((chat) => {
        const content = chat.messages.at(-1)?.content ?? '';
        const last = JSON.stringify(content);
        if (last.includes('image')) return '我看到了您发来的图片。请问需要我帮您做什么？';
        if (last.includes('营业')) return '您好！我们每天 9:00–21:00 营业，节假日照常。';
        return `收到：${typeof content === 'string' ? content : last}。还有什么可以帮您？`;
      });
      // The demo's database and logs live in a temporary folder removed on the way out, however
      // the demo ends: normally, on a failure, or with Ctrl-C (exit handlers run for each).
      const dataDir = mkdtempSync(join(tmpdir(), 'wxcoze-demo-'));
      const removeDataDir = () => rmSync(dataDir, { recursive: true, force: true });
      process.once('exit', removeDataDir);
      const interrupted = (signal: NodeJS.Signals) => {
        removeDataDir();
        process.kill(process.pid, signal);
      };
      process.once('SIGINT', interrupted);
      process.once('SIGTERM', interrupted);
      const { config, problems } = loadConfig({
        cwd: dataDir,
        env: {
          WECOM_CORP_ID: DEMO.corpId,
          WECOM_SECRET: DEMO.secret,
          WECOM_TOKEN: DEMO.token,
          WECOM_ENCODING_AES_KEY: DEMO.aesKey,
          WECOM_API_BASE: wecom.url,
          COZE_API_TOKEN: DEMO.cozeToken,
          COZE_BOT_ID: DEMO.botId,
          COZE_API_BASE: coze.url,
          WXCOZE_DATA_DIR: dataDir,
          PORT: '0',
          WXCOZE_HOST: '127.0.0.1',
        },
      });
      if (problems.length) throw new Error(`demo config is invalid: ${JSON.stringify(problems)}`);
      const server = await startServer(config, createLogger({ level: opts.verbose ? 'info' : 'silent' }));
      wecom.setCallbackUrl(`${server.url}/wechat/hook`);
      console.log(`wxcoze demo — server ${server.url}, fake WeCom ${wecom.url}, fake Coze ${coze.url}\n`);
      // With --console: an operator exists before the conversation, so the console is on.
      const password = opts.console ? generatePassword() : undefined;
      if (password)
        await server.store.consoleAccess.setOperator('admin', await hashPassword(password), Date.now());

      const seen = new Set<string>();
      const showReplies = async (expect: number) => {
        for (let i = 0; i < 100 && wecom.sentTo(DEMO.customer).length < expect; i++) await wait(50);
        await wait(300);
        for (const s of wecom.sentTo(DEMO.customer)) {
          if (seen.has(s.msgid)) continue;
          seen.add(s.msgid);
          const body = s.msgtype === 'text' ? s.content : `[${s.msgtype}]`;
          console.log(`  🤖 客服: ${body}`);
        }
      };
      try {
        const verify = await wecom.urlVerification();
        console.log(
          `WeCom checks the callback URL: ${verify.status === 200 && verify.body === verify.expected ? 'passed ✓' : `failed ✗ (${verify.status})`}\n`,
        );
        console.log('  👤 顾客: 你好，请问营业时间？');
        await wecom.customerSends(DEMO.kf, DEMO.customer, { text: '你好，请问营业时间？' });
        await showReplies(1);
        console.log('  👤 顾客: [图片]');
        await wecom.customerSends(DEMO.kf, DEMO.customer, { image: PIXEL, contentType: 'image/png' });
        await showReplies(2);
        console.log(
          '  👤 顾客: 谢谢   (WeCom delivers this callback 3 times, as it does when it thinks an answer was late)',
        );
        await wecom.customerSends(DEMO.kf, DEMO.customer, { text: '谢谢' }, { notify: false });
        await Promise.all([
          wecom.deliverCallback(DEMO.kf),
          wecom.deliverCallback(DEMO.kf),
          wecom.deliverCallback(DEMO.kf),
        ]);
        await showReplies(3);
        const total = wecom.sentTo(DEMO.customer).length;
        console.log(
          `\n3 customer messages, ${total} replies${total === 3 ? ' — one each, as it should be.' : ' — unexpected!'}`,
        );
        if (total !== 3) process.exitCode = 1;
        if (password) {
          console.log(
            `\nOperator console 控制台: ${server.url}${config.console.path}  (user admin, password ${password})`,
          );
          console.log(
            'Open it to read this conversation, take it over and reply. Ctrl-C stops the demo and removes its data.',
          );
          // Until Ctrl-C (the SIGINT handler above removes the data and ends the process).
          await new Promise<never>(() => {});
        }
      } finally {
        await server.stop(2000);
        await wecom.close();
        await coze.close();
        removeDataDir();
      }
    });
}
