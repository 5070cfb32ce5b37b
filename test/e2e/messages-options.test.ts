/**
 * Numeric options through the real CLI (issue 9): `stop --timeout abc` used to be accepted and then
 * report "still running after abc s"; `logs -n -3` was taken as a count. One shared parser refuses them.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { baseEnv, cli, tempDir } from './helpers.js';

test('numeric options are checked: stop --timeout abc, logs -n abc and -n -3 are refused with what is expected', async () => {
  const env = baseEnv({ WXCOZE_DATA_DIR: tempDir() });
  for (const args of [
    ['stop', '--timeout', 'abc'],
    ['logs', '-n', 'abc'],
    ['logs', '-n', '-3'],
    ['start', '--drain-ms', '1.5'],
    ['verify', '--timeout', '0'],
  ]) {
    const r = await cli(args, env);
    assert.notEqual(r.exitCode, 0, `${args.join(' ')} must fail`);
    assert.match(
      r.out,
      new RegExp(`argument '${args[2]!.replace('.', '\\.')}' is invalid\\. Use a whole number`),
      `${args.join(' ')}: ${r.out}`,
    );
    assert.doesNotMatch(r.out, /still running after/);
  }
});
