/**
 * `wxcoze init`: from nothing to a configuration `start` accepts, checking every answer as it is
 * given (Coze token/bot live, WeCom secret with gettoken, kf accounts listed), generating the
 * callback Token/EncodingAESKey, rendering the Caddyfile and a systemd unit, and printing what to
 * paste into the WeCom console. `--yes` takes every answer from flags and the environment.
 */
import { confirm, input, password, select } from '@inquirer/prompts';
import type { Command } from 'commander';
import { parse as parseDotenv } from 'dotenv';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pick } from '../../config/aliases.js';
import { encodingAesKeyProblem, isDomainName, resolveDataDir } from '../../config/load.js';
import { maskSecret, readConfigValues, writeConfigValues } from '../../config/write.js';
import type { ChatTarget } from '../../coze/types.js';
import type { KfAccount } from '../../wecom/api.js';
import { generateEncodingAesKey, generateToken } from '../../wecom/crypto.js';
import { caddySiteFile, findCaddy, hasGlobalOptions, installSite, INSTALL_CADDY_STEPS, mainCaddyfile, renderCaddyfile, systemSiteFile, validateCaddyfile, writeCaddySite, type CaddySite } from '../lib/caddy.js';
import { apiBaseFromRegion, checkCozeBot, checkCozeToken, probeChat, regionOf, REGIONS, tokenPage } from '../lib/coze-setup.js';
import { nextCommand, withDataDir } from '../lib/next-command.js';
import { dataPaths, packageVersion } from '../lib/paths.js';
import { ensureServiceInstall, renderSystemdUnit } from '../lib/systemd-unit.js';
import { ALL_INTERFACES, directCallbackUrl, firewallNote, isLoopbackHost } from '../lib/listen-address.js';
import { readSecretOptions, SecretInputError, type SecretOption } from '../lib/secret-input.js';
import { FAIL, OK, WARN, bold, dim, indent } from '../lib/ui.js';
import { checkWecomToken, kfAccountProblem, listKfAccounts, wecomApi, type SetupProblem, type WecomTarget } from '../lib/wecom-setup.js';

export interface InitOptions {
  yes?: boolean;
  cozeRegion?: string;
  cozeToken?: string;
  cozeTokenFile?: string;
  botId?: string;
  workflowId?: string;
  appId?: string;
  checkChat?: boolean;
  corpId?: string;
  secret?: string;
  secretFile?: string;
  kfAccount?: string;
  wecomApiBase?: string;
  token?: string;
  tokenFile?: string;
  aesKey?: string;
  aesKeyFile?: string;
  regenerate?: boolean;
  domain?: string;
  port?: string;
  host?: string;
  tls?: string;
  httpPort?: string;
  httpsPort?: string;
  caddyStorage?: string;
  caddyAdmin?: string;
  caddyfile?: string;
  caddyReload?: boolean;
  caddy?: boolean;
  skipChecks?: boolean;
  printCallback?: boolean;
}

/** An answer the user must act on: shown when it happens and again at the end. */
interface Wall extends SetupProblem {
  where: string;
}

class InitAbort extends Error {}

/** Secrets init takes from the environment, a file or stdin rather than the command line. */
const INIT_SECRETS: SecretOption[] = [
  { name: 'cozeToken', flag: '--coze-token', env: 'COZE_API_TOKEN' },
  { name: 'secret', flag: '--secret', env: 'WECOM_SECRET' },
  { name: 'token', flag: '--token', env: 'WECOM_TOKEN' },
  { name: 'aesKey', flag: '--aes-key', env: 'WECOM_ENCODING_AES_KEY' },
];

const TOKEN_RE = /^[A-Za-z0-9]{1,32}$/;
const AES_RE = /^[A-Za-z0-9]{43}$/;
const ID_RE = /^\d{5,25}$/;
const CORP_RE = /^[A-Za-z0-9_-]{4,64}$/;

function problemText(p: SetupProblem): string {
  return withDataDir(`${p.problem}\n→ ${p.fix}`);
}

/** Where each current value comes from: flag > environment > .env > existing config file. */
function currentValues(opts: InitOptions, existing: Record<string, string>, dotenv: Record<string, string>): (key: string) => string | undefined {
  const flags: Record<string, string | undefined> = {
    COZE_API_BASE: opts.cozeRegion ? apiBaseFromRegion(opts.cozeRegion) ?? `invalid:${opts.cozeRegion}` : undefined,
    COZE_API_TOKEN: opts.cozeToken,
    COZE_BOT_ID: opts.botId,
    COZE_WORKFLOW_ID: opts.workflowId,
    COZE_APP_ID: opts.appId,
    WECOM_CORP_ID: opts.corpId,
    WECOM_SECRET: opts.secret,
    WECOM_OPEN_KFID: opts.kfAccount,
    WECOM_API_BASE: opts.wecomApiBase,
    WECOM_TOKEN: opts.token,
    WECOM_ENCODING_AES_KEY: opts.aesKey,
    WXCOZE_DOMAIN: opts.domain,
    PORT: opts.port,
    WXCOZE_HOST: opts.host,
  };
  return (key) => {
    const f = flags[key];
    if (f !== undefined && f !== '') return f;
    return pick(process.env, key) ?? pick(dotenv, key) ?? pick(existing, key);
  };
}

export function registerInit(program: Command): void {
  program
    .command('init')
    .description('set up wxcoze: Coze bot, WeCom app and kf account, callback Token/AESKey, domain + Caddy, systemd unit')
    .option('-y, --yes', 'ask nothing: take every answer from flags and the environment (the same variables as `start`, plus WXCOZE_DOMAIN)')
    .option('--coze-region <region>', 'cn (coze.cn), com (coze.com) or a custom API base URL   [COZE_API_BASE]')
    .option('--coze-token-file <path>', 'read the Coze personal or service access token from a file (- : standard input)   [COZE_API_TOKEN]')
    .option('--coze-token <token>', 'the token itself (visible in `ps`: prefer COZE_API_TOKEN or --coze-token-file)')
    .option('--bot-id <id>', 'the bot to answer with   [COZE_BOT_ID]')
    .option('--workflow-id <id>', 'a chatflow instead of a bot   [COZE_WORKFLOW_ID]')
    .option('--app-id <id>', "the chatflow's app   [COZE_APP_ID]")
    .option('--check-chat', 'send the bot one test message (proves it is published to the API; uses one call of your quota)')
    .option('--corp-id <id>', 'WeCom CorpID   [WECOM_CORP_ID]')
    .option('--secret-file <path>', 'read the Secret of the self-built app that manages 微信客服 from a file (- : standard input)   [WECOM_SECRET]')
    .option('--secret <secret>', 'the Secret itself (visible in `ps`: prefer WECOM_SECRET or --secret-file)')
    .option('--kf-account <open_kfid>', 'the kf account to answer   [WECOM_OPEN_KFID]')
    .option('--wecom-api-base <url>', 'WeCom API base URL   [WECOM_API_BASE]')
    .option('--token-file <path>', 'read the callback Token (1–32 letters/digits; generated when missing) from a file   [WECOM_TOKEN]')
    .option('--token <token>', 'the callback Token itself (visible in `ps`)')
    .option('--aes-key-file <path>', 'read the callback EncodingAESKey (43 letters/digits; generated when missing) from a file   [WECOM_ENCODING_AES_KEY]')
    .option('--aes-key <key>', 'the EncodingAESKey itself (visible in `ps`)')
    .option('--regenerate', 'generate a new Token and EncodingAESKey even if there are some')
    .option('--domain <domain>', 'public domain for the callback URL, served by Caddy   [WXCOZE_DOMAIN]')
    .option('--port <port>', 'port wxcoze listens on (Caddy forwards to it, or WeCom calls it without a domain)   [PORT]')
    .option('--host <address>', 'address wxcoze listens on: 127.0.0.1 (the default: Caddy in front) or 0.0.0.0 (no domain: WeCom calls http://<IP>:<port>)   [WXCOZE_HOST]')
    .option('--tls <mode>', "Caddy TLS: auto (public certificate), internal (Caddy's own CA) or an ACME e-mail", 'auto')
    .option('--http-port <port>', "Caddy's HTTP port (global option http_port)")
    .option('--https-port <port>', "Caddy's HTTPS port (global option https_port)")
    .option('--caddy-storage <dir>', "folder for Caddy's certificates (global option storage file_system)")
    .option('--caddy-admin <addr>', "Caddy's admin endpoint, or off")
    .option('--caddyfile <path>', 'where to write the rendered Caddy site (default /etc/caddy/sites/wxcoze.caddy when writable, else <data dir>/Caddyfile)')
    .option('--no-caddy-reload', 'do not add the site to the system Caddyfile nor reload Caddy')
    .option('--no-caddy', 'do not render or check a Caddyfile at all')
    .option('--skip-checks', 'do not call Coze or WeCom (offline); `wxcoze doctor` checks later')
    .option('--print-callback', 'only print the callback URL, Token and EncodingAESKey to paste into the WeCom console')
    .action(async (opts: InitOptions) => {
      try {
        await runInit({ ...opts, ...(await readSecretOptions(opts as Record<string, unknown>, INIT_SECRETS)) });
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

export async function runInit(opts: InitOptions): Promise<void> {
  const cwd = process.cwd();
  const dotenvPath = join(cwd, '.env');
  const dotenv = existsSync(dotenvPath) ? parseDotenv(readFileSync(dotenvPath)) : {};
  const dataDir = resolveDataDir(process.env, dotenv, cwd);
  const paths = dataPaths(dataDir);
  const existing = readConfigValues(dataDir);
  const cur = currentValues(opts, existing, dotenv);
  const interactive = !opts.yes;
  const checks = !opts.skipChecks;
  const walls: Wall[] = [];
  const wall = (where: string, p: SetupProblem) => {
    walls.push({ where, ...p });
    console.log(`${FAIL()} ${indent(problemText(p), 2)}`);
  };

  if (opts.printCallback) {
    printCallback(cur('WXCOZE_DOMAIN'), Number(cur('PORT') ?? 8000), cur('WECOM_TOKEN'), cur('WECOM_ENCODING_AES_KEY'), true, cur('WXCOZE_HOST'));
    return;
  }
  if (interactive && !process.stdin.isTTY) {
    throw new InitAbort('wxcoze init asks questions and needs a terminal. To run it from a script, pass --yes with flags or environment variables (see `wxcoze init --help`).');
  }
  const need = (key: string, flag: string): string => {
    const v = cur(key);
    if (!v) throw new InitAbort(`${key} is missing: pass ${flag} or set ${key} (init --yes asks nothing).`);
    return v;
  };

  console.log(bold(`wxcoze init — configuration in ${paths.configFile}${Object.keys(existing).length ? (interactive ? ' (editing the existing one: Enter keeps the current value)' : ' (updating the existing one: values not given keep their current setting)') : ''}\n`));
  const answers: Record<string, string | undefined> = {};

  // ---------------------------------------------------------------- Coze
  console.log(bold('1. Coze'));
  let cozeBase = cur('COZE_API_BASE') ?? REGIONS.cn.api;
  if (cozeBase.startsWith('invalid:')) throw new InitAbort(`--coze-region ${cozeBase.slice(8)}: use cn, com or an http(s) URL.`);
  if (interactive) {
    const region = await select({
      message: 'Coze region',
      choices: [
        { name: `coze.cn (扣子, ${REGIONS.cn.api})`, value: 'cn' },
        { name: `coze.com (${REGIONS.com.api})`, value: 'com' },
        { name: 'another API base URL', value: 'custom' },
      ],
      default: regionOf(cozeBase) ?? 'custom',
    });
    if (region === 'custom') {
      cozeBase = await input({
        message: 'Coze API base URL',
        default: regionOf(cozeBase) ? undefined : cozeBase,
        validate: (v) => (apiBaseFromRegion(v) && /^https?:/i.test(v.trim()) ? true : 'Type an http(s) URL, e.g. https://api.coze.cn'),
      });
      cozeBase = apiBaseFromRegion(cozeBase)!;
    } else {
      cozeBase = REGIONS[region as 'cn' | 'com'].api;
    }
  }
  answers.COZE_API_BASE = cozeBase;

  let cozeToken = cur('COZE_API_TOKEN');
  if (interactive) {
    const keep = cozeToken;
    const typed = await password({
      message: `Coze access token${keep ? ` (Enter keeps ${maskSecret(keep)})` : ''}`,
      mask: '*',
      validate: async (v) => {
        const t = v.trim() || keep;
        if (!t) return `Create one at ${tokenPage(cozeBase)}, and paste it here.`;
        if (!checks) return true;
        const r = await checkCozeToken(cozeBase, t);
        return r.ok ? true : problemText(r.problem);
      },
    });
    cozeToken = typed.trim() || keep;
  } else {
    cozeToken = need('COZE_API_TOKEN', '--coze-token-file');
    if (checks) {
      const r = await checkCozeToken(cozeBase, cozeToken);
      if (!r.ok) throw new InitAbort(`${FAIL()} Coze token: ${problemText(r.problem)}`);
    }
  }
  if (checks) console.log(`${OK()} Coze token ${maskSecret(cozeToken)} accepted by ${cozeBase}`);
  answers.COZE_API_TOKEN = cozeToken;

  let mode: 'bot' | 'chatflow' = cur('COZE_WORKFLOW_ID') && !opts.botId ? 'chatflow' : 'bot';
  if (opts.workflowId) mode = 'chatflow';
  if (interactive) {
    mode = await select({
      message: 'What answers the customers?',
      choices: [
        { name: 'a bot (智能体), published to the API channel', value: 'bot' as const },
        { name: 'a chatflow (对话流) in an app', value: 'chatflow' as const },
      ],
      default: mode,
    });
  }
  let target: ChatTarget;
  if (mode === 'bot') {
    let botId = cur('COZE_BOT_ID');
    const validateBot = async (v: string): Promise<true | string> => {
      const id = v.trim();
      if (!ID_RE.test(id)) return 'The bot id is the long number after /bot/ in the bot\'s address in the Coze editor.';
      if (!checks) return true;
      const r = await checkCozeBot(cozeBase, cozeToken!, id);
      return r.ok ? true : problemText(r.problem);
    };
    if (interactive) {
      botId = (await input({ message: 'Bot id', default: botId, validate: validateBot })).trim();
    } else {
      botId = need('COZE_BOT_ID', '--bot-id');
      const v = await validateBot(botId);
      if (v !== true) throw new InitAbort(`${FAIL()} Coze bot: ${v}`);
    }
    if (checks) console.log(`${OK()} bot ${botId} found`);
    answers.COZE_BOT_ID = botId;
    answers.COZE_WORKFLOW_ID = undefined;
    answers.COZE_APP_ID = undefined;
    target = { kind: 'bot', botId };
  } else {
    const idCheck = (what: string) => (v: string) => (ID_RE.test(v.trim()) ? true : `The ${what} id is a long number from its address in the Coze editor.`);
    let workflowId = cur('COZE_WORKFLOW_ID');
    let appId = cur('COZE_APP_ID');
    if (interactive) {
      workflowId = (await input({ message: 'Chatflow (workflow) id', default: workflowId, validate: idCheck('workflow') })).trim();
      appId = (await input({ message: 'App id', default: appId, validate: idCheck('app') })).trim();
    } else {
      workflowId = need('COZE_WORKFLOW_ID', '--workflow-id');
      appId = cur('COZE_APP_ID');
      for (const [k, v] of [['workflow', workflowId], ['app', appId]] as const) if (v && idCheck(k)(v) !== true) throw new InitAbort(String(idCheck(k)(v)));
    }
    answers.COZE_WORKFLOW_ID = workflowId;
    answers.COZE_APP_ID = appId;
    answers.COZE_BOT_ID = undefined;
    target = { kind: 'chatflow', workflowId, ...(appId ? { appId } : {}) };
  }

  // The only proof of "published to the API channel" is a chat (4015 otherwise); it costs one call.
  if (checks) {
    let probe = Boolean(opts.checkChat);
    if (interactive && !opts.checkChat) probe = await confirm({ message: `Send the ${mode} one test message to check it is published to the API? (uses one call of your Coze quota)`, default: true });
    while (probe) {
      const r = await probeChat(cozeBase, cozeToken!, target);
      if (r.ok) {
        console.log(`${OK()} the ${mode} answered through the API${r.answer ? `: ${dim(JSON.stringify(r.answer.slice(0, 60)))}` : ''}`);
        break;
      }
      if (!interactive) throw new InitAbort(`${FAIL()} Coze ${mode}: ${problemText(r.problem)}`);
      console.log(`${FAIL()} ${indent(problemText(r.problem), 2)}`);
      const next = await select({ message: 'What now?', choices: [{ name: 'I fixed it — check again', value: 'again' }, { name: 'continue without this check', value: 'skip' }] });
      if (next === 'skip') {
        walls.push({ where: 'Coze', ...r.problem });
        break;
      }
    }
  }

  // ---------------------------------------------------------------- WeCom
  console.log(bold('\n2. WeCom (企业微信) and the 微信客服 account'));
  const apiBase = cur('WECOM_API_BASE') ?? 'https://qyapi.weixin.qq.com';
  if (cur('WECOM_API_BASE')) answers.WECOM_API_BASE = apiBase;
  let corpId = cur('WECOM_CORP_ID');
  let secret = cur('WECOM_SECRET');
  let tokenOk = false;
  let trustedIpWall: SetupProblem | undefined;
  const api = () => wecomApi({ apiBase, corpId: corpId!, secret: secret! });
  for (;;) {
    if (interactive) {
      corpId = (await input({
        message: 'CorpID (我的企业 → 企业信息 → 企业ID)',
        default: corpId,
        validate: (v) => (CORP_RE.test(v.trim()) ? true : 'The CorpID is letters and digits, usually 18 characters starting with "ww" (我的企业 → 企业信息 → 企业ID).'),
      })).trim();
      const keep = secret;
      let outcome: Awaited<ReturnType<typeof checkWecomToken>> | undefined;
      const typed = await password({
        message: `Secret of the self-built app that manages 微信客服${keep ? ` (Enter keeps ${maskSecret(keep)})` : ''}`,
        mask: '*',
        validate: async (v) => {
          const s = v.trim() || keep;
          if (!s) return '应用管理 → 自建 → your app → Secret → 查看 (WeCom sends it to the admin in the WeCom app).';
          if (!checks) return true;
          const t: WecomTarget = { apiBase, corpId: corpId!, secret: s };
          const a = wecomApi(t);
          outcome = await checkWecomToken(a, t);
          await a.close();
          // 60020 means the secret is right (the IP is the problem); 40013 sends us back to the CorpID.
          if (outcome.ok || outcome.problem.code === 60020 || outcome.problem.code === 40013) return true;
          return problemText(outcome.problem);
        },
      });
      secret = typed.trim() || keep;
      if (outcome && !outcome.ok && outcome.problem.code === 40013) {
        console.log(`${FAIL()} ${indent(problemText(outcome.problem), 2)}`);
        continue;
      }
      if (outcome && !outcome.ok && outcome.problem.code === 60020) trustedIpWall = outcome.problem;
      tokenOk = Boolean(outcome?.ok);
    } else {
      corpId = need('WECOM_CORP_ID', '--corp-id');
      secret = need('WECOM_SECRET', '--secret-file');
      if (!CORP_RE.test(corpId)) throw new InitAbort(`${FAIL()} WECOM_CORP_ID "${corpId}" is not a CorpID: letters and digits, usually starting with "ww".`);
      if (checks) {
        const t: WecomTarget = { apiBase, corpId, secret };
        const a = wecomApi(t);
        const outcome = await checkWecomToken(a, t);
        await a.close();
        if (!outcome.ok && outcome.problem.code !== 60020) throw new InitAbort(`${FAIL()} WeCom: ${problemText(outcome.problem)}`);
        if (!outcome.ok) trustedIpWall = outcome.problem;
        tokenOk = outcome.ok;
      }
    }
    break;
  }
  answers.WECOM_CORP_ID = corpId;
  answers.WECOM_SECRET = secret;

  // 60020: the secret is right, but this server's IP is not trusted yet. The console only lets the
  // admin add it after the callback URL is set, so continuing is a legitimate choice.
  while (trustedIpWall && !tokenOk) {
    console.log(`${FAIL()} ${indent(problemText(trustedIpWall), 2)}`);
    if (!interactive) {
      walls.push({ where: 'WeCom', ...trustedIpWall });
      break;
    }
    const next = await select({
      message: 'What now?',
      choices: [
        { name: 'I added the IP — check again', value: 'again' },
        { name: `continue: I will add it after setting the callback URL (\`${nextCommand('doctor')}\` checks it)`, value: 'later' },
      ],
    });
    if (next === 'later') {
      walls.push({ where: 'WeCom', ...trustedIpWall });
      break;
    }
    const t: WecomTarget = { apiBase, corpId: corpId!, secret: secret! };
    const a = wecomApi(t);
    const again = await checkWecomToken(a, t);
    await a.close();
    if (again.ok) tokenOk = true;
    else if (again.problem.code !== 60020) throw new InitAbort(`${FAIL()} WeCom: ${problemText(again.problem)}`);
  }
  if (checks && tokenOk) console.log(`${OK()} WeCom issued an access token for ${corpId} (Secret ${maskSecret(secret)})`);

  // kf accounts: listed for the user to pick; 48002 and unmanaged accounts explained.
  let openKfId = cur('WECOM_OPEN_KFID');
  if (checks && tokenOk) {
    for (;;) {
      const a = api();
      const list = await listKfAccounts(a, { apiBase, corpId: corpId!, secret: secret! });
      await a.close();
      const accounts: KfAccount[] = list.ok ? list.accounts : [];
      // --yes without --kf-account: the only managed account is the obvious pick.
      const managedIds = accounts.filter((x) => x.manage_privilege !== false).map((x) => x.open_kfid);
      if (!interactive && !openKfId && managedIds.length === 1) openKfId = managedIds[0];
      let problem: SetupProblem | undefined = list.ok ? kfAccountProblem(accounts, interactive ? undefined : openKfId) : list.problem;
      if (!problem && interactive) {
        const managed = accounts.filter((x) => x.manage_privilege !== false);
        openKfId = await select({
          message: '微信客服 account to answer',
          choices: accounts.map((x) => ({
            name: `${x.name}  ${dim(x.open_kfid)}`,
            value: x.open_kfid,
            ...(x.manage_privilege === false ? { disabled: '(not managed by this app: 微信客服 → API → 可调用接口的应用 → your app → 修改 → tick it)' } : {}),
          })),
          default: managed.some((x) => x.open_kfid === openKfId) ? openKfId : managed[0]?.open_kfid,
        });
        problem = kfAccountProblem(accounts, openKfId);
      }
      if (!problem) {
        const acc = accounts.find((x) => x.open_kfid === openKfId);
        console.log(`${OK()} ${acc ? `kf account "${acc.name}" (${acc.open_kfid}) is managed by this app` : `${accounts.length} kf account(s) managed by this app`}`);
        break;
      }
      if (!interactive) {
        wall('WeCom', problem);
        break;
      }
      console.log(`${FAIL()} ${indent(problemText(problem), 2)}`);
      const next = await select({ message: 'What now?', choices: [{ name: 'I fixed it — check again', value: 'again' }, { name: `continue without a kf account (\`${nextCommand('doctor')}\` checks it later)`, value: 'later' }] });
      if (next === 'later') {
        walls.push({ where: 'WeCom', ...problem });
        break;
      }
    }
  }
  answers.WECOM_OPEN_KFID = openKfId;

  // ---------------------------------------------------------------- callback Token / EncodingAESKey
  console.log(bold('\n3. Callback Token and EncodingAESKey'));
  let token = cur('WECOM_TOKEN');
  let aesKey = cur('WECOM_ENCODING_AES_KEY');
  const haveBoth = Boolean(token && aesKey && TOKEN_RE.test(token) && AES_RE.test(aesKey));
  let generated = false;
  if (opts.regenerate) {
    token = generateToken();
    aesKey = generateEncodingAesKey();
    generated = true;
  } else if (interactive) {
    const keep = haveBoth && (await confirm({ message: `Keep the current Token (${maskSecret(token)}) and EncodingAESKey (${maskSecret(aesKey)})?`, default: true }));
    if (!keep) {
      const gen = await confirm({ message: 'Generate a new random Token and EncodingAESKey? (No: type the ones shown in the WeCom console)', default: true });
      if (gen) {
        token = generateToken();
        aesKey = generateEncodingAesKey();
        generated = true;
      } else {
        token = (await input({ message: 'Token', validate: (v) => (TOKEN_RE.test(v.trim()) ? true : '1–32 letters or digits, exactly as the WeCom console shows it.') })).trim();
        aesKey = (await input({ message: 'EncodingAESKey', validate: (v) => (AES_RE.test(v.trim()) ? true : `It ${encodingAesKeyProblem(v.trim())}: copy it exactly as the WeCom console shows it.`) })).trim();
      }
    }
  } else {
    if (token && !TOKEN_RE.test(token)) throw new InitAbort(`${FAIL()} WECOM_TOKEN must be 1–32 letters or digits; leave it out to generate one.`);
    if (aesKey && !AES_RE.test(aesKey)) throw new InitAbort(`${FAIL()} WECOM_ENCODING_AES_KEY ${encodingAesKeyProblem(aesKey)}: copy it exactly as the WeCom console shows it, or leave it out to generate one.`);
    if (!token || !aesKey) {
      token = generateToken();
      aesKey = generateEncodingAesKey();
      generated = true;
    }
  }
  console.log(`${OK()} ${generated ? 'generated a new Token and EncodingAESKey (shown below, to paste)' : `keeping Token ${maskSecret(token)} and EncodingAESKey ${maskSecret(aesKey)}`}`);
  answers.WECOM_TOKEN = token;
  answers.WECOM_ENCODING_AES_KEY = aesKey;

  // ---------------------------------------------------------------- domain, port
  // Without a domain wxcoze must listen on all interfaces: on 127.0.0.1 alone nothing WeCom calls reaches it.
  console.log(bold('\n4. How WeCom reaches this server'));
  let domain = cur('WXCOZE_DOMAIN')?.toLowerCase();
  let port = cur('PORT') ?? '8000';
  let host = cur('WXCOZE_HOST');
  const validPort = (v: string) => (/^\d+$/.test(v.trim()) && Number(v) >= 1 && Number(v) <= 65535 ? true : 'A port number from 1 to 65535 (8000 is the usual one; Caddy listens on 443).');
  if (interactive) {
    const reach = await select({
      message: 'How will WeCom reach this server?',
      choices: [
        { name: 'a domain: HTTPS by Caddy in front (the domain\'s DNS record points at this server)', value: 'domain' as const },
        { name: 'no domain: wxcoze listens on all interfaces and WeCom calls http://<this server\'s IP>:<port> (the port must be open in the firewall)', value: 'port' as const },
      ],
      default: !domain && host && !isLoopbackHost(host) ? 'port' : 'domain',
    });
    if (reach === 'domain') {
      domain = (await input({
        message: 'Domain for the callback URL (it must point at this server)',
        default: domain,
        validate: (v) => (isDomainName(v.trim()) ? true : 'A bare domain like kf.example.com (no https://, no path).'),
      })).trim().toLowerCase();
      port = (await input({ message: 'Local port for wxcoze (Caddy forwards to it)', default: port, validate: validPort })).trim();
      host = undefined; // 127.0.0.1: only Caddy talks to wxcoze
    } else {
      domain = undefined;
      port = (await input({ message: 'Port WeCom calls (open it in the firewall)', default: port, validate: validPort })).trim();
      host = ALL_INTERFACES;
    }
  } else {
    if (domain && !isDomainName(domain)) throw new InitAbort(`${FAIL()} WXCOZE_DOMAIN "${domain}" is not a domain: use a bare name like kf.example.com.`);
    if (validPort(port) !== true) throw new InitAbort(`${FAIL()} PORT "${port}": ${validPort(port)}`);
    if (host && !isIP(host) && host !== 'localhost') throw new InitAbort(`${FAIL()} WXCOZE_HOST "${host}" is not an address: use 0.0.0.0 (all interfaces: WeCom calls http://<IP>:<port>) or 127.0.0.1 (a proxy such as Caddy in front).`);
    if (!domain && (!host || isLoopbackHost(host))) {
      wall('this server', {
        problem: `WeCom cannot reach this server: no domain is set and wxcoze listens on ${host ?? '127.0.0.1'} only.`,
        fix: 'Run `wxcoze init --yes` again with --domain <domain> (Caddy in front, HTTPS) or with --host 0.0.0.0 (WeCom calls http://<IP>:<port>; open the port in the firewall), or set WXCOZE_DOMAIN / WXCOZE_HOST.',
      });
    }
  }
  answers.WXCOZE_DOMAIN = domain;
  answers.PORT = port;
  answers.WXCOZE_HOST = host;

  // ---------------------------------------------------------------- write
  const file = writeConfigValues(dataDir, { ...existing, ...answers });
  console.log(`\n${OK()} configuration written to ${file} (mode 600; folder ${dataDir} mode 700)`);

  // ---------------------------------------------------------------- Caddy + systemd
  if (domain && opts.caddy !== false) await setUpCaddy(opts, { domain, port: Number(port), dataDir, interactive, walls });
  // The unit runs an install that stays: from npx's cache (pruned by npm) wxcoze copies itself first.
  const service = ensureServiceInstall(dataDir);
  if (service.copiedTo) console.log(`${OK()} wxcoze ${packageVersion()} ${service.reused ? 'already copied' : 'copied'} to ${service.copiedTo} for the service (npx's cache, where it ran from, is pruned by npm)`);
  const unit = renderSystemdUnit({ unitFile: paths.systemdUnit, user: userInfo().username, workDir: cwd, dataDir, node: process.execPath, launcher: service.launcher });
  writeFileSync(paths.systemdUnit, unit);
  console.log(`${OK()} systemd unit written to ${paths.systemdUnit}\n    to run wxcoze at boot: sudo cp ${paths.systemdUnit} /etc/systemd/system/ && sudo systemctl daemon-reload && sudo systemctl enable --now wxcoze`);

  // ---------------------------------------------------------------- what to paste, what is left
  printCallback(domain, Number(port), token, aesKey, generated, host);
  if (walls.length) {
    console.log(`\n${WARN()} ${bold(`${walls.length} setup step${walls.length === 1 ? '' : 's'} left`)} (\`${nextCommand('doctor')}\` checks ${walls.length === 1 ? 'it' : 'them'} again):`);
    for (const w of walls) console.log(`  ${FAIL()} ${w.where}: ${indent(problemText(w), 4)}`);
  }
}

function printCallback(domain: string | undefined, port: number, token: string | undefined, aesKey: string | undefined, full: boolean, host?: string): void {
  const direct = !domain && host && !isLoopbackHost(host) ? directCallbackUrl(port) : undefined;
  const url = domain ? `https://${domain}/wechat/hook` : direct ? direct.url : `http://<this server's public IP>:${port}/wechat/hook`;
  const show = (v: string | undefined) => (v ? (full ? v : `${maskSecret(v)}  (\`${nextCommand('init --print-callback')}\` shows it)`) : `(not set: run \`${nextCommand('init')}\`)`);
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
    console.log(`\n${WARN()} ${firewallNote(port)}${direct.guessed ? '' : ' This machine has only private addresses: the public IP to put in the URL is shown in the cloud console.'}`);
    console.log(dim('  Without a domain WeCom calls http://IP:port directly (allowed for corps without a verified domain).'));
  } else if (!domain) {
    console.log(`\n${FAIL()} WeCom cannot reach this server: no domain, and wxcoze listens on ${host ?? '127.0.0.1'} only. Run \`${nextCommand('init')}\` again and choose a domain or all interfaces.`);
  }
}

interface CaddyContext {
  domain: string;
  port: number;
  dataDir: string;
  interactive: boolean;
  walls: Wall[];
}

async function setUpCaddy(opts: InitOptions, c: CaddyContext): Promise<void> {
  const site: CaddySite = {
    domain: c.domain,
    upstream: `127.0.0.1:${c.port}`,
    ...(opts.tls ? { tls: opts.tls } : {}),
    ...(opts.httpPort ? { httpPort: Number(opts.httpPort) } : {}),
    ...(opts.httpsPort ? { httpsPort: Number(opts.httpsPort) } : {}),
    ...(opts.caddyStorage ? { storage: resolve(opts.caddyStorage) } : {}),
    ...(opts.caddyAdmin ? { admin: opts.caddyAdmin } : {}),
    ...(opts.tls === 'internal' ? { skipInstallTrust: true } : {}),
  };
  const forSystemCaddy = opts.caddyReload !== false && !hasGlobalOptions(site);
  const { file, system } = caddySiteFile(c.dataDir, { ...(opts.caddyfile ? { explicit: resolve(opts.caddyfile) } : {}), forSystemCaddy });
  writeCaddySite(file, renderCaddyfile(site));
  console.log(`${OK()} Caddyfile written to ${file} (https://${c.domain} → 127.0.0.1:${c.port})`);
  const caddy = await findCaddy();
  if (!caddy) {
    const p = { problem: `Caddy is not installed, so nothing serves https://${c.domain}.`, fix: INSTALL_CADDY_STEPS };
    console.log(`${WARN()} ${indent(problemText(p), 2)}`);
    c.walls.push({ where: 'this server', ...p });
    return;
  }
  const v = await validateCaddyfile(caddy.bin, file);
  if (!v.ok) {
    const p = { problem: `Caddy ${caddy.version} rejects ${file}: ${v.message}`, fix: `Fix the value named above and run \`wxcoze init\` again (check by hand: \`caddy validate --config ${file} --adapter caddyfile\`).` };
    console.log(`${FAIL()} ${indent(problemText(p), 2)}`);
    c.walls.push({ where: 'Caddy', ...p });
    return;
  }
  console.log(`${OK()} Caddy ${caddy.version} validated it`);
  const main = mainCaddyfile();
  if (opts.caddyReload === false) {
    console.log(dim(`    not touching the system Caddy (--no-caddy-reload). Run it with: caddy run --config ${file} --adapter caddyfile`));
    return;
  }
  if (hasGlobalOptions(site) || !existsSync(main)) {
    console.log(`    run it with: caddy run --config ${file} --adapter caddyfile${hasGlobalOptions(site) ? '' : `   (or add \`import ${file}\` to your Caddyfile)`}`);
    return;
  }
  if (!system && !opts.caddyfile) {
    // Debian's Caddy runs as user caddy: it cannot read a file inside wxcoze's private data directory.
    const target = systemSiteFile();
    const p = {
      problem: `Caddy runs as its own user and cannot read ${file} (wxcoze's data directory is private), and ${dirname(target)} is not writable by ${userInfo().username}.`,
      fix: `Run \`sudo wxcoze init\` again, or by hand: \`sudo install -D -m 644 ${file} ${target}\`, add the line \`import ${target}\` to ${main}, then \`sudo systemctl reload caddy\`.`,
    };
    console.log(`${WARN()} ${indent(problemText(p), 2)}`);
    c.walls.push({ where: 'Caddy', ...p });
    return;
  }
  const go = c.interactive ? await confirm({ message: `Add this site to ${main} (an import line) and reload Caddy?`, default: true }) : true;
  if (!go) {
    console.log(`    to do it later: add \`import ${file}\` to ${main}, then \`sudo systemctl reload caddy\``);
    return;
  }
  const r = await installSite(caddy.bin, main, file);
  if (r.ok) console.log(`${OK()} Caddy: ${r.message}; it fetches the certificate for ${c.domain} by itself`);
  else {
    const p = { problem: 'Caddy was not reloaded with the wxcoze site.', fix: r.message };
    console.log(`${FAIL()} ${indent(problemText(p), 2)}`);
    c.walls.push({ where: 'Caddy', ...p });
  }
}
