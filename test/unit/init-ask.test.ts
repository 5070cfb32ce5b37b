/**
 * init's one way to get an answer (src/cli/init/ask.ts): where the current value comes from, what
 * `--yes` does with a missing or refused value, and that a refused typed answer is asked again.
 * The prompts are scripted the way inquirer behaves (Enter takes the default; a validator's message
 * keeps the prompt open); test/e2e/init-pty.test.ts drives the real ones in a terminal.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ask, type Prompts, type Question, type Verdict } from '../../src/cli/init/ask.js';
import { InitAbort } from '../../src/cli/init/context.js';
import { fileLayer, flagLayer, valueSources, type Sources } from '../../src/cli/init/sources.js';
import { runStages } from '../../src/cli/init/stage.js';
import type { InitContext } from '../../src/cli/init/context.js';

const noSources: Sources = { flags: {}, files: {}, env: {}, dotenv: {}, existing: {} };

/** Inquirer-like prompts answering from `typed` in turn; records what the user would have seen. */
function scripted(
  typed: string[],
): Prompts & { shown: { message: string; default?: string; refusals: string[] }[] } {
  const shown: { message: string; default?: string; refusals: string[] }[] = [];
  const answer = async (
    message: string,
    validate: (v: string) => Verdict | Promise<Verdict>,
    dflt?: string,
  ) => {
    const seen = { message, ...(dflt !== undefined ? { default: dflt } : {}), refusals: [] as string[] };
    shown.push(seen);
    for (;;) {
      const next = typed.shift();
      if (next === undefined)
        throw new Error(`no scripted answer left for "${message}" (refused: ${seen.refusals.join(' | ')})`);
      const value = next || dflt || '';
      const verdict = await validate(value);
      if (verdict === true) return value;
      seen.refusals.push(verdict);
    }
  };
  return {
    shown,
    input: (q) => answer(q.message, q.validate, q.default),
    password: (q) => answer(q.message, q.validate),
  };
}

/** Prompts that fail the test if `--yes` ever asks. */
const mustNotAsk: Prompts = {
  input: () => Promise.reject(new Error('--yes prompted')),
  password: () => Promise.reject(new Error('--yes prompted')),
};

const botQuestion: Question = {
  key: 'COZE_BOT_ID',
  flag: '--bot-id',
  message: 'Bot id',
  validate: (v) => (/^\d{5,25}$/.test(v) ? true : 'The bot id is the long number after /bot/.'),
};

test('the current value comes from the flag, then a secret file, the environment, .env, then the existing config', () => {
  const layers: (keyof Sources)[] = ['flags', 'files', 'env', 'dotenv', 'existing'];
  // Remove the layers one by one from the front: each time the next one in line answers.
  for (let i = 0; i < layers.length; i++) {
    const s: Sources = { ...noSources };
    for (const l of layers.slice(i)) s[l] = { COZE_API_TOKEN: `from-${l}` };
    assert.equal(valueSources(s)('COZE_API_TOKEN'), `from-${layers[i]}`);
  }
  assert.equal(valueSources(noSources)('COZE_API_TOKEN'), undefined);
});

test('an empty flag does not hide the environment, and the environment may use the older bridge names', () => {
  const current = valueSources({
    ...noSources,
    flags: flagLayer({ corpId: '' }),
    env: { WEWORK_CORPID: ' ww1436e0e65a779aee ' },
  });
  assert.equal(current('WECOM_CORP_ID'), 'ww1436e0e65a779aee');
});

test('flags and secret files are keyed by setting: --coze-region cn is the coze.cn API, --coze-token-file the token', () => {
  const current = valueSources({
    ...noSources,
    flags: flagLayer({ cozeRegion: 'cn', botId: '7390000000000000001' }),
    files: fileLayer({ cozeToken: 'pat_from_file' }),
  });
  assert.equal(current('COZE_API_BASE'), 'https://api.coze.cn');
  assert.equal(current('COZE_BOT_ID'), '7390000000000000001');
  assert.equal(current('COZE_API_TOKEN'), 'pat_from_file');
  assert.match(
    valueSources({ ...noSources, flags: flagLayer({ cozeRegion: 'mars' }) })('COZE_API_BASE')!,
    /^invalid:mars$/,
  );
});

test('--yes takes the current value without asking, after the same validator accepts it', async () => {
  const seen: string[] = [];
  const current = valueSources({
    ...noSources,
    env: { COZE_BOT_ID: '7390000000000000001' },
    existing: { COZE_BOT_ID: '7000000000000000000' },
  });
  const v = await ask(
    { interactive: false, current, prompts: mustNotAsk },
    { ...botQuestion, validate: (x) => (seen.push(x), botQuestion.validate(x)) },
  );
  assert.equal(v, '7390000000000000001');
  assert.deepEqual(seen, ['7390000000000000001']);
});

test('--yes with a missing value stops with the flag and the variable to set', async () => {
  const current = valueSources(noSources);
  await assert.rejects(
    ask({ interactive: false, current, prompts: mustNotAsk }, botQuestion),
    (err: Error) => {
      assert.ok(err instanceof InitAbort);
      assert.equal(
        err.message,
        'COZE_BOT_ID is missing: pass --bot-id or set COZE_BOT_ID (init --yes asks nothing).',
      );
      return true;
    },
  );
  // An optional value may be missing; a fallback stands in for a missing one.
  assert.equal(
    await ask({ interactive: false, current, prompts: mustNotAsk }, { ...botQuestion, optional: true }),
    undefined,
  );
  assert.equal(
    await ask({ interactive: false, current, prompts: mustNotAsk }, { ...botQuestion, fallback: '70000' }),
    '70000',
  );
});

test("--yes with an invalid value stops with the validator's message (or the question's own wording), never prompting", async () => {
  const current = valueSources({ ...noSources, flags: { COZE_BOT_ID: 'my-bot' } });
  await assert.rejects(
    ask({ interactive: false, current, prompts: mustNotAsk }, botQuestion),
    (err: Error) => {
      assert.ok(err instanceof InitAbort);
      assert.match(err.message, /COZE_BOT_ID "my-bot": The bot id is the long number after \/bot\/\./);
      return true;
    },
  );
  await assert.rejects(
    ask(
      { interactive: false, current, prompts: mustNotAsk },
      { ...botQuestion, refuse: (v, p) => `Coze bot ${v}: ${p}` },
    ),
    (err: Error) =>
      err instanceof InitAbort &&
      err.message === 'Coze bot my-bot: The bot id is the long number after /bot/.',
  );
});

test('interactive: the current value is the default, and Enter keeps it', async () => {
  const prompts = scripted(['']);
  const current = valueSources({ ...noSources, existing: { COZE_BOT_ID: '7390000000000000001' } });
  assert.equal(await ask({ interactive: true, current, prompts }, botQuestion), '7390000000000000001');
  assert.deepEqual(prompts.shown, [{ message: 'Bot id', default: '7390000000000000001', refusals: [] }]);
});

test("interactive: a refused answer is asked again with the validator's message, then the typed value is taken (trimmed, normalised)", async () => {
  const prompts = scripted(['my-bot', '  KF.Example.COM  ']);
  const domain: Question = {
    key: 'WXCOZE_DOMAIN',
    flag: '--domain',
    message: 'Domain',
    normalise: (v) => v.toLowerCase(),
    validate: (v) => (/^[a-z0-9.-]+\.[a-z]+$/.test(v) ? true : 'A bare domain like kf.example.com.'),
  };
  assert.equal(
    await ask({ interactive: true, current: valueSources(noSources), prompts }, domain),
    'kf.example.com',
  );
  assert.deepEqual(prompts.shown[0]!.refusals, ['A bare domain like kf.example.com.']);
});

test('interactive: a missing value is asked for, and the prompt can start empty when the current one was declined', async () => {
  const current = valueSources({ ...noSources, env: { WECOM_TOKEN: 'declinedToken' } });
  const prompts = scripted(['NewToken123']);
  const q: Question = {
    key: 'WECOM_TOKEN',
    flag: '--token-file',
    message: 'Token',
    validate: (v) => (/^[A-Za-z0-9]{1,32}$/.test(v) ? true : '1–32 letters or digits.'),
    offerCurrent: false,
  };
  assert.equal(await ask({ interactive: true, current, prompts }, q), 'NewToken123');
  assert.equal(prompts.shown[0]!.default, undefined);
});

test('interactive secret: the current one is shown masked and kept on Enter; nothing to keep says where to get one; a wrong one is asked again', async () => {
  const check = (v: string): Verdict => (v.startsWith('pat_good') ? true : 'Coze rejected the token.');
  const q: Question = {
    key: 'COZE_API_TOKEN',
    flag: '--coze-token-file',
    message: 'Coze access token',
    secret: true,
    emptyHint: 'Create one at https://www.coze.cn/open/oauth/pats',
    validate: check,
  };

  const keep = scripted(['']);
  const kept = await ask(
    {
      interactive: true,
      current: valueSources({ ...noSources, existing: { COZE_API_TOKEN: 'pat_good_abcdefghij9Zq' } }),
      prompts: keep,
    },
    q,
  );
  assert.equal(kept, 'pat_good_abcdefghij9Zq');
  assert.match(keep.shown[0]!.message, /^Coze access token \(Enter keeps pat_…9Zq\)$/);
  assert.ok(!keep.shown[0]!.message.includes('pat_good_abcdefghij9Zq'), 'the secret is never shown in full');

  const fresh = scripted(['', 'pat_wrong', ' pat_good_typed ']);
  assert.equal(
    await ask({ interactive: true, current: valueSources(noSources), prompts: fresh }, q),
    'pat_good_typed',
  );
  assert.deepEqual(fresh.shown[0]!.refusals, [
    'Create one at https://www.coze.cn/open/oauth/pats',
    'Coze rejected the token.',
  ]);
});

test('stages run in order, titled ones numbered, disabled ones skipped', async () => {
  const ran: string[] = [];
  const lines: string[] = [];
  const log = console.log;
  console.log = (s: string) => void lines.push(s);
  try {
    await runStages({} as InitContext, [
      { title: 'First', run: async () => void ran.push('a') },
      { run: async () => void ran.push('b') },
      { title: 'Skipped', enabled: () => false, run: async () => void ran.push('x') },
      { title: 'Second', run: async () => void ran.push('c') },
    ]);
  } finally {
    console.log = log;
  }
  assert.deepEqual(ran, ['a', 'b', 'c']);
  assert.deepEqual(lines, ['1. First', '\n2. Second']);
});
