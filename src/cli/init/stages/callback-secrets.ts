/**
 * Stage "callback Token and EncodingAESKey": the pair WeCom signs and encrypts callbacks with.
 * They are made up on this side and pasted into the WeCom console, so the usual answer is "keep
 * the ones we have" or "generate new ones"; typing them is for a console that already shows some.
 * Token and key only work as a pair: when either is missing, both are generated.
 */
import { confirm } from '@inquirer/prompts';
import { settingProblem } from '../../../config/load.js';
import { maskSecret } from '../../../config/write.js';
import { generateEncodingAesKey, generateToken } from '../../../wecom/crypto.js';
import { FAIL, OK } from '../../lib/ui.js';
import { ask, bySchema, type Question } from '../ask.js';
import type { InitContext } from '../context.js';
import type { Stage } from '../stage.js';

const COPY = 'Copy it exactly as the WeCom console shows it.';
// --yes: a value given is checked, but none at all is fine (a new pair is generated).
const refuseOrGenerate = (_: string, problem: string) =>
  `${FAIL()} ${problem} Or leave it out to generate one.`;

const tokenQuestion: Question = {
  key: 'WECOM_TOKEN',
  flag: '--token-file',
  message: 'Token',
  validate: bySchema('WECOM_TOKEN', COPY),
  refuse: refuseOrGenerate,
};

const aesKeyQuestion: Question = {
  key: 'WECOM_ENCODING_AES_KEY',
  flag: '--aes-key-file',
  message: 'EncodingAESKey',
  validate: bySchema('WECOM_ENCODING_AES_KEY', COPY),
  refuse: refuseOrGenerate,
};

const fresh = () => ({ token: generateToken(), aesKey: generateEncodingAesKey(), generated: true });

async function choose(ctx: InitContext): Promise<{ token: string; aesKey: string; generated: boolean }> {
  if (ctx.opts.regenerate) return fresh();
  if (!ctx.interactive) {
    const token = await ask(ctx, { ...tokenQuestion, optional: true });
    const aesKey = await ask(ctx, { ...aesKeyQuestion, optional: true });
    return token && aesKey ? { token, aesKey, generated: false } : fresh();
  }
  const token = ctx.current('WECOM_TOKEN');
  const aesKey = ctx.current('WECOM_ENCODING_AES_KEY');
  const haveBoth = Boolean(
    token &&
    aesKey &&
    !settingProblem('WECOM_TOKEN', token) &&
    !settingProblem('WECOM_ENCODING_AES_KEY', aesKey),
  );
  if (
    haveBoth &&
    (await confirm({
      message: `Keep the current Token (${maskSecret(token)}) and EncodingAESKey (${maskSecret(aesKey)})?`,
      default: true,
    }))
  ) {
    return { token: token!, aesKey: aesKey!, generated: false };
  }
  if (
    await confirm({
      message:
        'Generate a new random Token and EncodingAESKey? (No: type the ones shown in the WeCom console)',
      default: true,
    })
  )
    return fresh();
  // The current pair was declined or incomplete: the prompts start empty.
  return {
    token: await ask(ctx, { ...tokenQuestion, offerCurrent: false }),
    aesKey: await ask(ctx, { ...aesKeyQuestion, offerCurrent: false }),
    generated: false,
  };
}

export const callbackSecretsStage: Stage = {
  title: 'Callback Token and EncodingAESKey',
  async run(ctx) {
    const c = await choose(ctx);
    console.log(
      `${OK()} ${c.generated ? 'generated a new Token and EncodingAESKey (shown below, to paste)' : `keeping Token ${maskSecret(c.token)} and EncodingAESKey ${maskSecret(c.aesKey)}`}`,
    );
    ctx.answers.WECOM_TOKEN = c.token;
    ctx.answers.WECOM_ENCODING_AES_KEY = c.aesKey;
    ctx.callback = c;
  },
};
