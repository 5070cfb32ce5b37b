/**
 * What to paste into the WeCom console (callback URL, Token, EncodingAESKey) and what to run next.
 * Shared by init's summary and `init --print-callback`, which shows the secrets in full.
 */
import { directCallbackUrl, firewallNote, isLoopbackHost } from '../lib/listen-address.js';
import { nextCommand } from '../lib/next-command.js';
import { maskSecret } from '../../config/write.js';
import { FAIL, WARN, bold, dim } from '../lib/ui.js';

export function printCallback(
  domain: string | undefined,
  port: number,
  token: string | undefined,
  aesKey: string | undefined,
  full: boolean,
  host?: string,
): void {
  const direct = !domain && host && !isLoopbackHost(host) ? directCallbackUrl(port) : undefined;
  const url = domain
    ? `https://${domain}/wechat/hook`
    : direct
      ? direct.url
      : `http://<this server's public IP>:${port}/wechat/hook`;
  const show = (v: string | undefined) =>
    v
      ? full
        ? v
        : `${maskSecret(v)}  (\`${nextCommand('init --print-callback')}\` shows it)`
      : `(not set: run \`${nextCommand('init')}\`)`;
  console.log(`\n${bold('Next')}
  1. ${nextCommand('start --daemon')}
  2. ${nextCommand('verify')}            (plays WeCom's check against ${url}; fix anything it names)
  3. In the WeCom admin console, 应用管理 → your self-built app → 接收消息 → 设置API接收, paste:
       URL             ${url}
       Token           ${show(token)}
       EncodingAESKey  ${show(aesKey)}
     and click Save. Then add this server's IP under 企业可信IP of the same app.
  4. ${nextCommand('doctor')}            (everything, including the trusted IP and the kf account)`);
  if (direct) {
    console.log(
      `\n${WARN()} ${firewallNote(port)}${direct.guessed ? '' : ' This machine has only private addresses: the public IP to put in the URL is shown in the cloud console.'}`,
    );
    console.log(
      dim(
        '  Without a domain WeCom calls http://IP:port directly (allowed for corps without a verified domain).',
      ),
    );
  } else if (!domain) {
    console.log(
      `\n${FAIL()} WeCom cannot reach this server: no domain, and wxcoze listens on ${host ?? '127.0.0.1'} only. Run \`${nextCommand('init')}\` again and choose a domain or all interfaces.`,
    );
  }
}
