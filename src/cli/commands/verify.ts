import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { formatProblems, loadConfig } from '../../config/load.js';
import type { WxcozeConfig } from '../../config/types.js';
import { WecomCrypto } from '../../wecom/crypto.js';
import { verifyCallback, type NetOptions, type VerifyReport } from '../lib/callback-verify.js';
import { nextCommand, withDataDir } from '../lib/next-command.js';
import { positiveInt } from '../lib/options.js';
import { FAIL, OK, SKIP, bold, dim, indent } from '../lib/ui.js';

export interface VerifyCliOptions {
  url?: string;
  caFile?: string;
  resolve?: string[];
  localOnly?: boolean;
  json?: boolean;
  timeout: number;
}

export const collect = (v: string, acc: string[] = []) => [...acc, v];

/** The URL WeCom will call: --url, else https://<WXCOZE_DOMAIN>/wechat/hook, else none. */
export function publicCallbackUrl(config: WxcozeConfig, url?: string): string | undefined {
  if (url) return url;
  return config.domain ? `https://${config.domain}/wechat/hook` : undefined;
}

export function localCallbackUrl(config: WxcozeConfig): string {
  const host = ['0.0.0.0', '::', ''].includes(config.server.host) ? '127.0.0.1' : config.server.host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${config.server.port}/wechat/hook`;
}

export function formatReport(title: string, r: VerifyReport): string {
  const lines = [`${bold(title)}  ${r.url}`];
  const notReached = r.steps
    .filter((s) => s.status === 'skip' && s.detail === 'not reached')
    .map((s) => s.step);
  for (const s of r.steps) {
    if (s.status === 'skip' && (s.detail === 'not applicable' || s.detail === 'not reached')) continue;
    const mark = s.status === 'ok' ? OK() : s.status === 'fail' ? FAIL() : SKIP();
    lines.push(
      `  ${mark} ${s.step.padEnd(10)} ${s.status === 'skip' ? dim(s.detail) : indent(s.detail, 15)}`,
    );
    if (s.fix) lines.push(`               → ${indent(withDataDir(s.fix), 17)}`);
  }
  if (notReached.length) lines.push(`  ${SKIP()} ${dim(`not reached: ${notReached.join(', ')}`)}`);
  lines.push(
    r.ok
      ? `  ${OK()} WeCom's URL verification would pass.`
      : `  ${FAIL()} failed at step "${r.failed?.step}".`,
  );
  return lines.join('\n');
}

/**
 * `wxcoze verify`: before clicking Save in the WeCom console, plays WeCom's URL verification against
 * the public URL (through Caddy) and wxcoze's own port. Exit 0 only when every played check passes.
 */
export function registerVerify(program: Command): void {
  program
    .command('verify')
    .description(
      "play WeCom's callback URL verification against the public URL and the local port, naming the step that fails",
    )
    .option(
      '--url <url>',
      'the URL as typed into the WeCom console, or just its origin (/wechat/hook is added); default https://<WXCOZE_DOMAIN>/wechat/hook',
    )
    .option('--ca-file <pem>', "also trust this CA (e.g. Caddy's local CA for `tls internal`)")
    .option('--resolve <host:port:addr>', 'use this address for host:port, like curl (repeatable)', collect)
    .option('--local-only', "check only wxcoze's own port")
    .option('--timeout <ms>', 'per-step timeout, in milliseconds', positiveInt('milliseconds'), 5000)
    .option('--json', 'machine-readable output')
    .action(async (opts: VerifyCliOptions) => {
      const { config, problems, configFile, sources } = loadConfig();
      const needed = problems.filter((p) =>
        ['WECOM_TOKEN', 'WECOM_ENCODING_AES_KEY', 'WECOM_CORP_ID', 'PORT', 'config file'].includes(p.key),
      );
      if (
        needed.length &&
        !needed.some((p) => p.key === 'config file') &&
        !existsSync(configFile) &&
        !Object.keys(sources).some((k) => k.startsWith('WECOM_'))
      ) {
        // Nothing configured at all: one sentence, not a list of every missing value.
        console.error(
          `There is no configuration to verify: no ${configFile} and no WECOM_* variables.\n  → Run \`${nextCommand('init')}\` first (it writes the configuration and prints the callback URL, Token and EncodingAESKey).`,
        );
        process.exitCode = 2;
        return;
      }
      if (needed.length) {
        console.error(withDataDir(formatProblems(needed, 'wxcoze cannot verify the callback')));
        process.exitCode = 2;
        return;
      }
      const crypto = new WecomCrypto(config.wecom.token, config.wecom.encodingAesKey, config.wecom.corpId);
      const net: NetOptions = {
        timeoutMs: opts.timeout,
        ...(opts.caFile ? { caFile: opts.caFile } : {}),
        ...(opts.resolve ? { resolve: opts.resolve } : {}),
      };
      const reports: { title: string; report: VerifyReport }[] = [];
      const local = await verifyCallback(localCallbackUrl(config), crypto, {
        ...net,
        public: false,
        localPort: config.server.port,
      });
      reports.push({ title: 'wxcoze (local port)', report: local });
      const pub = opts.localOnly ? undefined : publicCallbackUrl(config, opts.url);
      if (pub)
        reports.push({
          title: 'public URL (what WeCom calls)',
          report: await verifyCallback(pub, crypto, { ...net, public: true, localPort: config.server.port }),
        });
      const ok = reports.every((r) => r.report.ok);
      process.exitCode = ok ? 0 : 1;
      if (opts.json) {
        console.log(JSON.stringify({ ok, reports }, null, 2));
        return;
      }
      console.log(reports.map((r) => formatReport(r.title, r.report)).join('\n\n'));
      if (!pub && !opts.localOnly)
        console.log(
          `\n${dim(`No public URL checked: set a domain with \`${nextCommand('init')}\`, or pass --url http(s)://…/wechat/hook.`)}`,
        );
      if (ok && pub) {
        console.log(
          `\nPaste into the WeCom console (应用管理 → your app → 接收消息 → 设置API接收):\n  URL             ${reports.at(-1)!.report.url}\n  Token, EncodingAESKey  as printed by \`${nextCommand('init --print-callback')}\`\nthen click Save.`,
        );
      }
    });
}
