/**
 * WXCOZE_ACCOUNTS' per-account settings go through the same schema as the variables they override
 * (issue 11): a keyword list given as one text used to pass validation and then throw in the worker
 * (`settings.handoffKeywords.some is not a function`), and `"followUpMenu":"no"` turned the menu on.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { formatProblems, loadConfig } from '../../src/config/load.js';
import { settingsFor } from '../../src/config/service.js';
import { GOOD_ENV } from '../helpers/config-env.js';

const good: Record<string, string> = { ...GOOD_ENV };

function load(extra: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), 'wxcoze-acc-'));
  return loadConfig({ env: { ...good, ...extra, WXCOZE_DATA_DIR: dir }, cwd: dir });
}

test('a keyword list written as one text is a comma-separated list, and "no" turns the follow-up menu off', () => {
  const { config, problems } = load({
    WXCOZE_ACCOUNTS:
      '{"wkA":{"handoffKeywords":"人工","followUpMenu":"no"},"wkB":{"handoffKeywords":"人工, 转人工，客服","welcomeMenu":["查订单","退货"],"followUpMenu":"on"}}',
    WXCOZE_FOLLOWUP_MENU: 'on',
  });
  assert.deepEqual(problems, []);
  const a = settingsFor(config.service, 'wkA');
  assert.deepEqual(a.handoffKeywords, ['人工']);
  assert.equal(a.followUpMenu, false);
  // What the worker does with it (plan-reply.ts): no TypeError.
  assert.equal(
    a.handoffKeywords.some((k) => '我要人工'.includes(k)),
    true,
  );
  const b = settingsFor(config.service, 'wkB');
  assert.deepEqual(b.handoffKeywords, ['人工', '转人工', '客服']);
  assert.deepEqual(b.welcomeMenu, ['查订单', '退货']);
  assert.equal(b.followUpMenu, true);
  assert.equal(settingsFor(config.service, 'wkOther').followUpMenu, true);
});

test('a switch that is not true/false (1/0, yes/no, on/off) is refused, naming the account and the setting', () => {
  const { problems } = load({ WXCOZE_ACCOUNTS: '{"wkA":{"followUpMenu":"maybe"},"wkB":{"followUpMenu":2}}' });
  assert.equal(problems.length, 2, JSON.stringify(problems));
  for (const p of problems) assert.equal(p.key, 'WXCOZE_ACCOUNTS');
  assert.match(problems[0]!.problem, /account "wkA": followUpMenu="maybe" is neither on nor off/);
  assert.match(problems[1]!.problem, /account "wkB": followUpMenu=2 is neither on nor off/);
  assert.match(problems[0]!.fix, /"followUpMenu" of account "wkA".*WXCOZE_FOLLOWUP_MENU/);
  assert.match(formatProblems(problems), /wxcoze cannot start: 2 configuration problems/);
});

test('per-account values of the wrong kind, unknown settings and ids as numbers are refused with the account named', () => {
  const cases: [string, RegExp][] = [
    ['{"wkA":{"handoffKeywords":5}}', /account "wkA": handoffKeywords=5 must be a list/],
    [
      '{"wkA":{"welcomeMenu":"1,2,3,4,5,6,7,8,9,10,11"}}',
      /account "wkA": welcomeMenu=.* has more than 10 buttons/,
    ],
    [
      '{"wkA":{"handoffKeyword":"人工"}}',
      /account "wkA" has an unknown setting "handoffKeyword" \(known: name, botId/,
    ],
    ['{"wkA":{"botId":7379462189365198898}}', /account "wkA": botId=.* must be the id as text in quotes/],
    ['{"wkA":{"botId":"bot-1"}}', /account "wkA": botId="bot-1" is not a Coze id/],
    [
      '{"wkA":{"botId":"7379462189365198898","workflowId":"7440000000000000001"}}',
      /account "wkA" sets botId and workflowId/,
    ],
    ['{"wkA":"7379462189365198898"}', /account "wkA" must be an object of settings/],
    ['["wkA"]', /WXCOZE_ACCOUNTS is not valid: is not a JSON object keyed by open_kfid/],
    ['{"wkA":', /WXCOZE_ACCOUNTS is not valid: .*JSON/],
  ];
  for (const [raw, expected] of cases) {
    const { problems, config } = load({ WXCOZE_ACCOUNTS: raw });
    assert.equal(problems.length, 1, `${raw}: ${JSON.stringify(problems)}`);
    assert.equal(problems[0]!.key, 'WXCOZE_ACCOUNTS');
    assert.match(problems[0]!.problem, expected, raw);
    assert.deepEqual(config.service.accounts, {}, raw);
  }
});

test('the variables follow the same rules: WXCOZE_FOLLOWUP_MENU and WXCOZE_ALLOW_PRIVATE_URLS take only true/false words', () => {
  assert.equal(load({ WXCOZE_FOLLOWUP_MENU: 'YES' }).config.service.defaults.followUpMenu, true);
  assert.equal(load({ WXCOZE_FOLLOWUP_MENU: 'off' }).config.service.defaults.followUpMenu, false);
  assert.equal(load({ WXCOZE_ALLOW_PRIVATE_URLS: '1' }).config.server.allowPrivateUrls, true);
  const bad = load({ WXCOZE_FOLLOWUP_MENU: 'enabled', WXCOZE_ALLOW_PRIVATE_URLS: 'sometimes' });
  assert.deepEqual(
    bad.problems.map((p) => p.key),
    ['WXCOZE_ALLOW_PRIVATE_URLS', 'WXCOZE_FOLLOWUP_MENU'],
  );
  assert.match(bad.problems[1]!.problem, /^WXCOZE_FOLLOWUP_MENU="enabled" is neither on nor off/);
  assert.equal(bad.config.service.defaults.followUpMenu, false);
});
