/** `wxcoze fakes say` when the answer does not come, or the fakes are gone: it says which, and exits 1. */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { baseEnv, cli, tempDir } from './helpers.js';
import { cleanUp, initAndStart, runFakes } from './fakes-cli.js';

after(cleanUp);

test('fakes say: no answer within the timeout (WeCom refuses the server a token), then the fakes stopped → a clear message and exit 1 each', async () => {
  const fakes = await runFakes(['--wall', '60020']);
  const env = await initAndStart(fakes.banner);
  try {
    const r = await cli(['fakes', 'say', '--timeout', '3', '你好'], env);
    assert.equal(r.exitCode, 1, r.out);
    assert.match(
      r.out,
      /✗ no answer within 3 s\. The server accepted the callback but sent nothing to wm\S+\.\n  → `wxcoze logs -n 30` shows what it did/,
    );

    // The fakes stopped (Ctrl-C), the server still running: say names the fakes and how to start them.
    fakes.child.kill('SIGINT');
    await fakes.child;
    const noFakes = await cli(['fakes', 'say', '在吗'], env);
    assert.equal(noFakes.exitCode, 1);
    assert.match(
      noFakes.out,
      new RegExp(
        `✗ the fakes are not running at http://127\\.0\\.0\\.1:${fakes.wecomPort} \\(ECONNREFUSED\\)\\.\\n  → Start them in another terminal: \`wxcoze fakes\` --wecom-port ${fakes.wecomPort}`,
      ),
    );
  } finally {
    await cli(['stop'], env);
  }
});

test('fakes say before init: names what is missing and the init to run', async () => {
  const r = await cli(['fakes', 'say', '你好'], baseEnv({ WXCOZE_DATA_DIR: tempDir() }));
  assert.equal(r.exitCode, 2, r.out);
  assert.match(
    r.out,
    /✗ wxcoze is not set up in \S+: WECOM_CORP_ID, WECOM_TOKEN, WECOM_ENCODING_AES_KEY missing or invalid, so no callback can be signed\.\n  → Run the `wxcoze init` that `wxcoze fakes` prints/,
  );
});
