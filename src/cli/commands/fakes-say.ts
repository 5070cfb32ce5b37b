/**
 * `wxcoze fakes say "你好"`: type as a customer into a running `wxcoze fakes` and see the answer of the
 * wxcoze server configured here. The fake WeCom stores the message; WeCom's callback (signed with this
 * configuration's Token and EncodingAESKey) goes to the server; the server pulls the message, asks
 * the bot and sends the answer through the fake's send_msg, where this command picks it up.
 */
import type { Command } from 'commander';
import { request } from 'undici';
import { loadConfig } from '../../config/load.js';
import { CONTROL_PREFIX } from '../../fakes/wecom/routes-control.js';
import { buildSignedCallback, kfEventXml, postWithRetries } from '../../fakes/wecom/callbacks.js';
import { WecomCrypto } from '../../wecom/crypto.js';
import { isLoopbackUrl } from '../lib/listen-address.js';
import { runningServer } from '../lib/runstate.js';
import { localCallbackUrl } from './verify.js';

interface SayOptions {
  wecomPort?: string;
  as?: string;
  timeout: string;
}

/** After the first part of an answer, how long to wait for more parts before printing the whole. */
const QUIET_MS = 1500;
const POLL_MS = 200;

class SayError extends Error {}

export function addFakesSayCommand(fakes: Command): void {
  fakes
    .command('say')
    .description('type as a customer into the running fakes and print the answer of your wxcoze server')
    .argument('<text>', 'what the customer writes, e.g. "你好"')
    .option('--as <external_userid>', 'the customer (default: one fixed newcomer)')
    .option('--timeout <seconds>', 'how long to wait for the answer', '30')
    .addHelpText(
      'after',
      '\nThe fake WeCom is the one WECOM_API_BASE names; `wxcoze fakes --wecom-port <port> say …` names another.',
    )
    .action(async (text: string, opts: SayOptions) => {
      // --wecom-port belongs to `fakes` (commander reads it before or after `say`); only a typed one counts.
      const wecomPort =
        fakes.getOptionValueSource('wecomPort') === 'cli'
          ? fakes.opts<{ wecomPort: string }>().wecomPort
          : undefined;
      try {
        process.exitCode = await say(text, { ...opts, ...(wecomPort ? { wecomPort } : {}) });
      } catch (err) {
        if (!(err instanceof SayError)) throw err;
        console.error(`✗ ${err.message}`);
        process.exitCode = 1;
      }
    });
}

async function say(text: string, opts: SayOptions): Promise<number> {
  const { config, problems } = loadConfig();
  const needed = problems.filter((p) =>
    ['WECOM_TOKEN', 'WECOM_ENCODING_AES_KEY', 'WECOM_CORP_ID', 'PORT', 'config file'].includes(p.key),
  );
  if (needed.length) {
    console.error(
      `✗ wxcoze is not set up in ${config.dataDir}: ${needed.map((p) => p.key).join(', ')} missing or invalid, so no callback can be signed.\n  → Run the \`wxcoze init\` that \`wxcoze fakes\` prints, then \`wxcoze start --daemon\`.`,
    );
    return 2;
  }
  const apiBase = config.wecom.apiBase.replace(/\/+$/, '');
  const fakesUrl = opts.wecomPort ? `http://127.0.0.1:${Number(opts.wecomPort)}` : apiBase;
  if (!isLoopbackUrl(apiBase)) {
    throw new SayError(
      `wxcoze is configured for the WeCom API at ${apiBase}, not for the local fakes: a message typed here would never reach it.\n  → Run the \`wxcoze init\` that \`wxcoze fakes\` prints (WECOM_API_BASE=http://127.0.0.1:9101), then restart wxcoze.`,
    );
  }
  if (fakesUrl !== apiBase) {
    throw new SayError(
      `wxcoze pulls messages from ${apiBase}, not from the fakes at ${fakesUrl}.\n  → Leave out --wecom-port, or run \`wxcoze fakes --wecom-port ${new URL(apiBase).port}\`.`,
    );
  }
  const running = runningServer(config.dataDir);
  if (!running) {
    throw new SayError(
      `wxcoze is not running for ${config.dataDir}, so nobody would answer.\n  → Start it: \`wxcoze start --daemon\` (or \`wxcoze start\` in another terminal), then say it again.`,
    );
  }

  // 1. The customer writes: the fake WeCom stores the message and issues the callback's sync Token.
  const made = await control<{
    msgid: string;
    open_kfid: string;
    external_userid: string;
    sync_token: string;
    replies_before: number;
  }>(fakesUrl, 'POST', 'customer-message', {
    text,
    ...(opts.as ? { external_userid: opts.as } : {}),
    ...(config.wecom.openKfId ? { open_kfid: config.wecom.openKfId } : {}),
  });
  console.log(`  👤 顾客: ${text}`);

  // 2. WeCom's callback to the server, as WeCom signs it with the Token and EncodingAESKey of this configuration.
  const crypto = new WecomCrypto(config.wecom.token, config.wecom.encodingAesKey, config.wecom.corpId);
  const hook = localCallbackUrl(config);
  const statuses = await postWithRetries(
    hook,
    buildSignedCallback(
      crypto,
      config.wecom.corpId,
      kfEventXml(config.wecom.corpId, made.sync_token, made.open_kfid),
    ),
  );
  if (statuses.at(-1) !== 200) {
    const got = statuses.map((s) => (s === 0 ? 'no answer' : `HTTP ${s}`)).join(', ');
    throw new SayError(
      `the server did not accept WeCom's callback at ${hook} (${got}).\n  → \`wxcoze verify --local-only\` names the failing step; \`wxcoze logs\` says what the server did.`,
    );
  }

  // 3. The answer: whatever the server sends this customer through send_msg, until it has been quiet a moment.
  const deadline = Date.now() + Number(opts.timeout) * 1000;
  let from = made.replies_before;
  let lastAt = 0;
  for (;;) {
    const r = await control<{ total: number; replies: { msgtype: string; content?: string }[] }>(
      fakesUrl,
      'GET',
      `replies?external_userid=${encodeURIComponent(made.external_userid)}&from=${from}`,
    );
    for (const m of r.replies)
      console.log(`  🤖 客服: ${m.msgtype === 'text' ? m.content : `[${m.msgtype}]`}`);
    if (r.replies.length) {
      from += r.replies.length;
      lastAt = Date.now();
    }
    if (lastAt && Date.now() - lastAt >= QUIET_MS) return 0;
    if (Date.now() > deadline) {
      if (lastAt) return 0;
      throw new SayError(
        `no answer within ${opts.timeout} s. The server accepted the callback but sent nothing to ${made.external_userid}.\n  → \`wxcoze logs -n 30\` shows what it did (a Coze error? the bot?); \`wxcoze doctor\` checks the setup.`,
      );
    }
    await new Promise((res) => setTimeout(res, POLL_MS));
  }
}

/** One call to the running fakes' control routes; a clear error when they are not there. */
async function control<T>(base: string, method: 'GET' | 'POST', path: string, body?: object): Promise<T> {
  let res;
  try {
    res = await request(`${base}${CONTROL_PREFIX}${path}`, {
      method,
      ...(body ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}),
      signal: AbortSignal.timeout(10_000),
    });
  } catch (err) {
    const code =
      (err as NodeJS.ErrnoException).code ??
      (err as { cause?: NodeJS.ErrnoException }).cause?.code ??
      (err as Error).message;
    throw new SayError(
      `the fakes are not running at ${base} (${code}).\n  → Start them in another terminal: \`wxcoze fakes\`${new URL(base).port && new URL(base).port !== '9101' ? ` --wecom-port ${new URL(base).port}` : ''}.`,
    );
  }
  const text = await res.body.text();
  if (res.statusCode === 404)
    throw new SayError(
      `something answers at ${base}, but it is not \`wxcoze fakes\` (no ${CONTROL_PREFIX} routes). Start \`wxcoze fakes\` there.`,
    );
  if (res.statusCode !== 200)
    throw new SayError(`the fakes refused it: HTTP ${res.statusCode} ${text.slice(0, 200)}`);
  return JSON.parse(text) as T;
}
