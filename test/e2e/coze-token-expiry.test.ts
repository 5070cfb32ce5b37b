/** A personal access token's recorded expiry (`init --coze-token-expires`): doctor warns a week ahead, init refuses a date gone by. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { baseEnv, cli, freePort, initFlags, startFakes, tempDir, type Fakes } from './helpers.js';

let f: Fakes;
before(async () => {
  f = await startFakes();
});
after(async () => {
  await f.close();
});

interface Check {
  ok: boolean;
  title: string;
  detail: string;
  fix?: string;
  warning?: boolean;
}
async function cozeCheck(env: Record<string, string>): Promise<Check> {
  const r = await cli(['doctor', '--json'], env);
  const c = (JSON.parse(r.stdout) as { checks: Check[] }).checks.find((x) => /Coze token/.test(x.title));
  assert.ok(c, r.out);
  return c;
}

test("a personal token's recorded expiry: doctor warns within a week, with how to renew or switch", async () => {
  const day = (d: number) => new Date(Date.now() + 8 * 3_600_000 + d * 86_400_000).toISOString().slice(0, 10);
  const dataDir = tempDir();
  const env = baseEnv({ WXCOZE_DATA_DIR: dataDir });
  const r = await cli([...initFlags(f, await freePort()), '--coze-token-expires', day(4)], env);
  assert.equal(r.exitCode, 0, r.out);
  const soon = await cozeCheck(env);
  assert.ok(soon.ok && soon.warning, JSON.stringify(soon));
  assert.match(
    soon.detail,
    new RegExp(`expires on ${day(4)} \\(\\d days? from now\\): then every answer fails`),
  );
  assert.match(soon.fix!, /Create a new personal access token .* or switch to an OAuth service app/);

  const later = await cli(['init', '--yes', '--coze-token-expires', day(20)], env);
  assert.equal(later.exitCode, 0, later.out);
  const fine = await cozeCheck(env);
  assert.ok(fine.ok && !fine.warning, JSON.stringify(fine));
  assert.match(fine.detail, new RegExp(`expires on ${day(20)}`));

  const past = await cli(['init', '--yes', '--coze-token-expires', day(-2)], env);
  assert.equal(past.exitCode, 1, past.out);
  assert.match(past.out, /WXCOZE_COZE_TOKEN_EXPIRES_AT .* has passed: the token no longer works/);
});
