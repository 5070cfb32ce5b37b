/**
 * `wxcoze init`: from nothing to a configuration `start` accepts, checking every answer as it is
 * given (Coze token/bot live, WeCom secret with gettoken, kf accounts listed), generating the
 * callback Token/EncodingAESKey, rendering the Caddyfile and a systemd unit, and printing what to
 * paste into the WeCom console. `--yes` takes every answer from flags and the environment.
 * Each section is a stage in src/cli/init/stages/; this file holds the options and their order.
 */
import type { Command } from 'commander';
import { parse as parseDotenv } from 'dotenv';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveDataDir } from '../../config/load.js';
import { readConfigValues } from '../../config/write.js';
import { printCallback } from '../init/callback-instructions.js';
import { InitAbort, type InitContext, type InitOptions } from '../init/context.js';
import { fileLayer, flagLayer, INIT_SECRETS, valueSources } from '../init/sources.js';
import { runStages, type Stage } from '../init/stage.js';
import { adminPasswordStage } from '../init/stages/admin-password.js';
import { callbackSecretsStage } from '../init/stages/callback-secrets.js';
import { caddyStage } from '../init/stages/caddy.js';
import { cozeChatCheckStage } from '../init/stages/coze-chat-check.js';
import { cozeStage } from '../init/stages/coze.js';
import { kfAccountStage } from '../init/stages/kf-account.js';
import { reachabilityStage } from '../init/stages/reachability.js';
import { serviceStage } from '../init/stages/service.js';
import { summaryStage } from '../init/stages/summary.js';
import { wecomStage } from '../init/stages/wecom.js';
import { writeConfigStage } from '../init/stages/write-config.js';
import { withDataDir } from '../lib/next-command.js';
import { dataPaths } from '../lib/paths.js';
import { readSecretOptions, SecretInputError } from '../lib/secret-input.js';
import { FAIL, bold } from '../lib/ui.js';

export type { InitOptions } from '../init/context.js';

/** The sections in order. Nothing is written before writeConfig: a refused answer leaves the old config as it was. */
const STAGES: Stage[] = [
  cozeStage,
  cozeChatCheckStage,
  wecomStage,
  kfAccountStage,
  callbackSecretsStage,
  reachabilityStage,
  writeConfigStage,
  adminPasswordStage,
  caddyStage,
  serviceStage,
  summaryStage,
];

export function registerInit(program: Command): void {
  program
    .command('init')
    .description(
      'set up wxcoze: Coze bot, WeCom app and kf account, callback Token/AESKey, domain + Caddy, systemd unit',
    )
    .option(
      '-y, --yes',
      'ask nothing: take every answer from flags and the environment (the same variables as `start`, plus WXCOZE_DOMAIN)',
    )
    .option(
      '--coze-region <region>',
      'cn (coze.cn), com (coze.com) or a custom API base URL   [COZE_API_BASE]',
    )
    .option(
      '--coze-token-file <path>',
      'read the Coze personal or service access token from a file (- : standard input)   [COZE_API_TOKEN]',
    )
    .option(
      '--coze-token <token>',
      'the token itself (visible in `ps`: prefer COZE_API_TOKEN or --coze-token-file)',
    )
    .option(
      '--coze-token-expires <date>',
      'when the personal access token expires (YYYY-MM-DD, as Coze showed it): doctor warns a week before   [WXCOZE_COZE_TOKEN_EXPIRES_AT]',
    )
    .option(
      '--coze-auth <how>',
      'token (a personal access token) or oauth (an OAuth service app, whose tokens wxcoze renews by itself)',
    )
    .option('--coze-oauth-app-id <id>', "the OAuth service app's id (应用 ID)   [COZE_JWT_OAUTH_CLIENT_ID]")
    .option('--coze-oauth-key-id <id>', "the app's public key id (公钥指纹)   [COZE_JWT_OAUTH_PUBLIC_KEY_ID]")
    .option(
      '--coze-oauth-key-file <path>',
      "the app's private_key.pem (mode 0600)   [COZE_JWT_OAUTH_PRIVATE_KEY_FILE_PATH]",
    )
    .option('--bot-id <id>', 'the bot to answer with   [COZE_BOT_ID]')
    .option('--workflow-id <id>', 'a chatflow instead of a bot   [COZE_WORKFLOW_ID]')
    .option('--app-id <id>', "the chatflow's app   [COZE_APP_ID]")
    .option(
      '--check-chat',
      'send the bot one test message (proves it is published to the API; uses one call of your quota)',
    )
    .option('--corp-id <id>', 'WeCom CorpID   [WECOM_CORP_ID]')
    .option(
      '--secret-file <path>',
      'read the Secret of the self-built app that manages 微信客服 from a file (- : standard input)   [WECOM_SECRET]',
    )
    .option('--secret <secret>', 'the Secret itself (visible in `ps`: prefer WECOM_SECRET or --secret-file)')
    .option('--kf-account <open_kfid>', 'the kf account to answer   [WECOM_OPEN_KFID]')
    .option('--wecom-api-base <url>', 'WeCom API base URL   [WECOM_API_BASE]')
    .option(
      '--token-file <path>',
      'read the callback Token (1–32 letters/digits; generated when missing) from a file   [WECOM_TOKEN]',
    )
    .option('--token <token>', 'the callback Token itself (visible in `ps`)')
    .option(
      '--aes-key-file <path>',
      'read the callback EncodingAESKey (43 letters/digits; generated when missing) from a file   [WECOM_ENCODING_AES_KEY]',
    )
    .option('--aes-key <key>', 'the EncodingAESKey itself (visible in `ps`)')
    .option('--regenerate', 'generate a new Token and EncodingAESKey even if there are some')
    .option('--domain <domain>', 'public domain for the callback URL, served by Caddy   [WXCOZE_DOMAIN]')
    .option(
      '--port <port>',
      'port wxcoze listens on (Caddy forwards to it, or WeCom calls it without a domain)   [PORT]',
    )
    .option(
      '--host <address>',
      'address wxcoze listens on: 127.0.0.1 (the default: Caddy in front) or 0.0.0.0 (no domain: WeCom calls http://<IP>:<port>)   [WXCOZE_HOST]',
    )
    .option(
      '--tls <mode>',
      "Caddy TLS: auto (public certificate), internal (Caddy's own CA) or an ACME e-mail",
      'auto',
    )
    .option('--http-port <port>', "Caddy's HTTP port (global option http_port)")
    .option('--https-port <port>', "Caddy's HTTPS port (global option https_port)")
    .option('--caddy-storage <dir>', "folder for Caddy's certificates (global option storage file_system)")
    .option('--caddy-admin <addr>', "Caddy's admin endpoint, or off")
    .option(
      '--caddyfile <path>',
      'where to write the rendered Caddy site (default /etc/caddy/sites/wxcoze.caddy when writable, else <data dir>/Caddyfile)',
    )
    .option('--no-caddy-reload', 'do not add the site to the system Caddyfile nor reload Caddy')
    .option('--no-caddy', 'do not render or check a Caddyfile at all')
    .option('--skip-checks', 'do not call Coze or WeCom (offline); `wxcoze doctor` checks later')
    .option(
      '--print-callback',
      'only print the callback URL, Token and EncodingAESKey to paste into the WeCom console',
    )
    .action(async (opts: InitOptions) => {
      try {
        await runInit(opts, await readSecretOptions(opts as Record<string, unknown>, INIT_SECRETS));
      } catch (err) {
        if (err instanceof SecretInputError) {
          console.error(`${FAIL()} ${err.message}\nNothing was written.`);
          process.exitCode = 1;
          return;
        }
        if ((err as Error).name === 'ExitPromptError' || err instanceof InitAbort) {
          if (err instanceof InitAbort && err.message) console.error(withDataDir(err.message));
          else console.error('\ninit cancelled: nothing was written.');
          process.exitCode = err instanceof InitAbort ? 1 : 130;
          return;
        }
        throw err;
      }
    });
}

/** `fromFiles`: secrets read from --…-file options (or stdin), by option name. */
export async function runInit(opts: InitOptions, fromFiles: Record<string, string> = {}): Promise<void> {
  const cwd = process.cwd();
  const dotenvPath = join(cwd, '.env');
  const dotenv = existsSync(dotenvPath) ? parseDotenv(readFileSync(dotenvPath)) : {};
  const dataDir = resolveDataDir(process.env, dotenv, cwd);
  const existing = readConfigValues(dataDir);
  const current = valueSources({
    flags: flagLayer(opts),
    files: fileLayer(fromFiles),
    env: process.env,
    dotenv,
    existing,
  });
  const interactive = !opts.yes;
  const ctx: InitContext = {
    opts,
    interactive,
    checks: !opts.skipChecks,
    cwd,
    dataDir,
    paths: dataPaths(dataDir),
    existing,
    current,
    answers: {},
    walls: [],
  };

  if (opts.printCallback) {
    printCallback(
      current('WXCOZE_DOMAIN'),
      Number(current('PORT') ?? 8000),
      current('WECOM_TOKEN'),
      current('WECOM_ENCODING_AES_KEY'),
      true,
      current('WXCOZE_HOST'),
    );
    return;
  }
  if (interactive && !process.stdin.isTTY) {
    throw new InitAbort(
      'wxcoze init asks questions and needs a terminal. To run it from a script, pass --yes with flags or environment variables (see `wxcoze init --help`).',
    );
  }
  const editing = Object.keys(existing).length
    ? interactive
      ? ' (editing the existing one: Enter keeps the current value)'
      : ' (updating the existing one: values not given keep their current setting)'
    : '';
  console.log(bold(`wxcoze init — configuration in ${ctx.paths.configFile}${editing}\n`));
  await runStages(ctx, STAGES);
}
