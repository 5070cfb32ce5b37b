/**
 * Stage "WeCom": the CorpID and the Secret of the self-built app that manages 微信客服, checked
 * together by asking WeCom for an access token. Two answers are not plain refusals:
 * 40013 (unknown CorpID) sends the user back to the CorpID, and 60020 (this server's IP is not
 * trusted yet) proves the Secret right — the console only lets the admin add the IP after the
 * callback URL is set, so continuing and fixing it later is a legitimate choice.
 */
import { select } from '@inquirer/prompts';
import { maskSecret } from '../../../config/write.js';
import { nextCommand } from '../../lib/next-command.js';
import { FAIL, OK, indent } from '../../lib/ui.js';
import { checkWecomToken, wecomApi, type SetupProblem, type WecomTarget } from '../../lib/wecom-setup.js';
import { ask, bySchema } from '../ask.js';
import { addWall, InitAbort, problemText, type InitContext } from '../context.js';
import type { Stage } from '../stage.js';

const DEFAULT_API_BASE = 'https://qyapi.weixin.qq.com';

type TokenOutcome = Awaited<ReturnType<typeof checkWecomToken>>;

async function gettoken(t: WecomTarget): Promise<TokenOutcome> {
  const a = wecomApi(t);
  try {
    return await checkWecomToken(a, t);
  } finally {
    await a.close();
  }
}

/** Asks CorpID and Secret until WeCom accepts the pair or names the IP (interactive), or once (--yes). */
async function askCredentials(
  ctx: InitContext,
  where: Pick<WecomTarget, 'apiBase' | 'proxy'>,
): Promise<{ corpId: string; secret: string; outcome?: TokenOutcome }> {
  // A second round (after 40013) offers what was typed in the first, not the original values.
  const typed: Record<string, string> = {};
  const asker = { interactive: ctx.interactive, current: (k: string) => typed[k] ?? ctx.current(k) };
  if (!ctx.interactive) {
    // --yes names a missing Secret before it judges the CorpID, as init always has: both are needed anyway.
    for (const [key, flag] of [
      ['WECOM_CORP_ID', '--corp-id'],
      ['WECOM_SECRET', '--secret-file'],
    ])
      await ask(asker, { key, flag, message: key, validate: () => true });
  }
  for (;;) {
    const corpId = await ask(asker, {
      key: 'WECOM_CORP_ID',
      flag: '--corp-id',
      message: 'CorpID (我的企业 → 企业信息 → 企业ID)',
      validate: bySchema('WECOM_CORP_ID'),
    });
    let outcome: TokenOutcome | undefined;
    const secret = await ask(asker, {
      key: 'WECOM_SECRET',
      flag: '--secret-file',
      message: 'Secret of the self-built app that manages 微信客服',
      secret: true,
      emptyHint: '应用管理 → 自建 → your app → Secret → 查看 (WeCom sends it to the admin in the WeCom app).',
      validate: async (s) => {
        if (!ctx.checks) return true;
        outcome = await gettoken({ ...where, corpId, secret: s });
        // 60020: the Secret is right, the IP is the problem. 40013: back to the CorpID (interactive).
        if (
          outcome.ok ||
          outcome.problem.code === 60020 ||
          (ctx.interactive && outcome.problem.code === 40013)
        )
          return true;
        return problemText(outcome.problem);
      },
      refuse: (_, problem) => `${FAIL()} WeCom: ${problem}`,
    });
    Object.assign(typed, { WECOM_CORP_ID: corpId, WECOM_SECRET: secret });
    if (outcome && !outcome.ok && outcome.problem.code === 40013) {
      console.log(`${FAIL()} ${indent(problemText(outcome.problem), 2)}`);
      continue;
    }
    return { corpId, secret, outcome };
  }
}

/** 60020: offers "check again" until the IP is trusted, or records it as a step left. Returns whether a token was issued. */
async function waitForTrustedIp(ctx: InitContext, t: WecomTarget, problem: SetupProblem): Promise<boolean> {
  for (;;) {
    if (!ctx.interactive) {
      addWall(ctx, 'WeCom', problem, true);
      return false;
    }
    console.log(`${FAIL()} ${indent(problemText(problem), 2)}`);
    const next = await select({
      message: 'What now?',
      choices: [
        { name: 'I added the IP — check again', value: 'again' },
        {
          name: `continue: I will add it after setting the callback URL (\`${nextCommand('doctor')}\` checks it)`,
          value: 'later',
        },
      ],
    });
    if (next === 'later') {
      addWall(ctx, 'WeCom', problem);
      return false;
    }
    const again = await gettoken(t);
    if (again.ok) return true;
    if (again.problem.code !== 60020) throw new InitAbort(`${FAIL()} WeCom: ${problemText(again.problem)}`);
  }
}

export const wecomStage: Stage = {
  title: 'WeCom (企业微信) and the 微信客服 account',
  async run(ctx) {
    const apiBase = ctx.current('WECOM_API_BASE') ?? DEFAULT_API_BASE;
    if (ctx.current('WECOM_API_BASE')) ctx.answers.WECOM_API_BASE = apiBase;
    // WXCOZE_WECOM_PROXY (from the environment or .env): init checks the way the server will call.
    const proxy = ctx.current('WXCOZE_WECOM_PROXY');
    if (proxy) ctx.answers.WXCOZE_WECOM_PROXY = proxy;
    const where = { apiBase, ...(proxy ? { proxy } : {}) };
    const { corpId, secret, outcome } = await askCredentials(ctx, where);
    ctx.answers.WECOM_CORP_ID = corpId;
    ctx.answers.WECOM_SECRET = secret;
    let tokenOk = Boolean(outcome?.ok);
    if (outcome && !outcome.ok && outcome.problem.code === 60020)
      tokenOk = await waitForTrustedIp(ctx, { ...where, corpId, secret }, outcome.problem);
    if (ctx.checks && tokenOk)
      console.log(`${OK()} WeCom issued an access token for ${corpId} (Secret ${maskSecret(secret)})`);
    ctx.wecom = { ...where, corpId, secret, tokenOk };
  },
};
