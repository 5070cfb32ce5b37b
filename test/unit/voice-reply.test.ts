/** Voice out, piece by piece: what is read aloud, Coze's speech call, and AMR lengths. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { CozeClient } from '../../src/coze/client.js';
import { CozeError } from '../../src/coze/errors.js';
import { startFakeCoze, type FakeCoze } from '../../src/fakes/coze/index.js';
import { FAKE_VOICE_ID } from '../../src/fakes/coze/routes/speech.js';
import { amrSeconds, speakable } from '../../src/pipeline/voice-reply.js';

const TOKEN = 'pat_voice_test';
let fake: FakeCoze;
let client: CozeClient;
before(async () => {
  fake = await startFakeCoze({ token: TOKEN });
  client = new CozeClient({ baseUrl: fake.url, token: TOKEN, timeoutMs: 5000 });
});
after(() => fake.close());

test('what is read aloud: the words, without links, images or markdown signs', () => {
  assert.equal(
    speakable(
      '**营业时间**：9:00–18:00\n\n详见[官网](https://example.com/hours) ![店面](https://example.com/a.png)',
    ),
    '营业时间：9:00–18:00\n详见官网',
  );
  assert.equal(speakable('请看 https://example.com/x'), '请看');
  assert.equal(speakable('![图](https://example.com/a.png)'), undefined, 'nothing left to say');
  // Coze speaks at most 1024 bytes at once: a longer answer is read, not heard.
  assert.equal(speakable('好'.repeat(341))?.length, 341); // 1023 bytes
  assert.equal(speakable('好'.repeat(342)), undefined); // 1026 bytes
});

test("Coze's speech comes back as a WAV of the text; its refusals are CozeErrors with Coze's code", async () => {
  const wav = await client.speech('您好，欢迎光临', FAKE_VOICE_ID);
  assert.equal(wav.subarray(0, 4).toString('latin1'), 'RIFF');
  assert.equal(wav.subarray(8, 12).toString('latin1'), 'WAVE');
  assert.deepEqual(fake.speeches.at(-1), { input: '您好，欢迎光临', voiceId: FAKE_VOICE_ID });
  await assert.rejects(client.speech('好'.repeat(400), FAKE_VOICE_ID), (e: unknown) => {
    assert.ok(e instanceof CozeError);
    assert.equal(e.code, 3010);
    return true;
  });
  await assert.rejects(client.speech('你好', '1'), (e: unknown) => e instanceof CozeError && e.code === 4000);
  const wrong = new CozeClient({ baseUrl: fake.url, token: 'pat_wrong', timeoutMs: 5000 });
  await assert.rejects(
    wrong.speech('你好', FAKE_VOICE_ID),
    (e: unknown) => e instanceof CozeError && e.kind === 'auth',
  );
});

test("an AMR's length in seconds follows its 12.2 kbit/s frames", () => {
  const header = Buffer.from('#!AMR\n', 'latin1');
  assert.equal(amrSeconds(Buffer.concat([header, Buffer.alloc(1600 * 3)])), 3);
  assert.equal(amrSeconds(header), 0);
});
