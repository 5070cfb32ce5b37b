/**
 * Voice out: a customer who spoke gets the answer as text and then as a voice message (Coze's speech
 * synthesis, converted to AMR by this machine's ffmpeg), both within WeCom's 5-message budget; the
 * text always goes first and alone when the voice cannot or may not be made.
 */
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { FAKE_SECONDS_PER_CHAR, FAKE_VOICE_ID } from '../../src/fakes/coze/routes/speech.js';
import { amrSeconds } from '../../src/pipeline/voice-reply.js';
import { KF, settle, startHarness, waitFor, type Harness } from '../helpers/harness.js';
import { requireAmrFfmpeg } from '../helpers/requirements.js';
import { makeAmr } from '../helpers/voice.js';
import { inboxStates } from '../helpers/inbox-states.js';

const skip = requireAmrFfmpeg();
let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const VOICE_ON = { WXCOZE_VOICE_REPLY: 'on', COZE_VOICE_ID: FAKE_VOICE_ID };
const sent = (user: string) => h!.wecom.sentTo(user);

async function speaks(user: string): Promise<void> {
  await h!.wecom.customerSends(KF, user, { media: makeAmr(2), msgtype: 'voice', contentType: 'audio/amr' });
}

test(
  'a customer who spoke gets the text, then the same answer as an AMR voice message, once',
  { skip },
  async () => {
    h = await startHarness(VOICE_ON);
    h.coze.setTranscriber(() => '营业时间是几点');
    await speaks('wmTalk');
    await waitFor('text and voice', () => sent('wmTalk').length >= 2, 60_000);
    await settle(1000);
    const out = sent('wmTalk');
    assert.deepEqual(
      out.map((m) => m.msgtype),
      ['text', 'voice'],
      'the text first, then the voice, nothing twice',
    );
    assert.equal(out[0]!.content, '收到：营业时间是几点');
    // Coze spoke exactly the text answer, in the configured voice.
    assert.deepEqual(h.coze.speeches, [{ input: '收到：营业时间是几点', voiceId: FAKE_VOICE_ID }]);
    // WeCom got a real AMR as long as the speech (the fake speaks 0.2 s per character).
    const media = h.wecom.uploaded((out[1]!.payload as { media_id: string }).media_id)!;
    assert.equal(media.type, 'voice');
    assert.equal(media.data.subarray(0, 6).toString('latin1'), '#!AMR\n');
    const expected = [...'收到：营业时间是几点'].length * FAKE_SECONDS_PER_CHAR;
    assert.ok(Math.abs(amrSeconds(media.data) - expected) < 0.2, `${amrSeconds(media.data)} s of voice`);
    // Both count in the budget: two of the five used.
    assert.equal(await h.server.store.budgetUsed(KF, 'wmTalk'), 2);
  },
);

test(
  'typed messages, answers too long to speak and accounts without voice get text only',
  { skip },
  async () => {
    h = await startHarness({
      ...VOICE_ON,
      // The second account keeps voice replies off.
      WXCOZE_ACCOUNTS: JSON.stringify({ wkQuiet: { voiceReply: false } }),
    });
    // Typed: no voice.
    await h.wecom.customerSends(KF, 'wmTyped', { text: '你好' });
    await waitFor('the text', () => sent('wmTyped').length >= 1);
    // Spoken, but the answer is over the 1024 bytes Coze speaks at once: the text is the answer.
    const long = '这是一个很长的回答。'.repeat(40); // 1200 bytes
    h.coze.setResponder(() => long);
    await speaks('wmLong');
    await waitFor('the long text', () => sent('wmLong').length >= 1, 60_000);
    await settle(1000);
    assert.deepEqual(
      sent('wmTyped').map((m) => m.msgtype),
      ['text'],
    );
    assert.ok(sent('wmLong').every((m) => m.msgtype === 'text'));
    assert.equal(
      sent('wmLong')
        .map((m) => m.content)
        .join(''),
      long,
    );
    assert.deepEqual(h.coze.speeches, [], 'Coze was never asked to speak');
  },
);

test(
  'a voice that cannot be made (Coze refuses the voice) is skipped and logged; the text stands',
  { skip },
  async () => {
    h = await startHarness({ WXCOZE_VOICE_REPLY: 'on', COZE_VOICE_ID: '1234567890' });
    h.coze.setTranscriber(() => '在吗');
    await speaks('wmNoVoice');
    await waitFor('the text', () => sent('wmNoVoice').length >= 1, 60_000);
    await waitFor('the message done', async () => (await inboxStates(h!.server.store)).done === 1, 30_000);
    await settle(500);
    assert.deepEqual(
      sent('wmNoVoice').map((m) => [m.msgtype, m.content]),
      [['text', '收到：在吗']],
    );
    assert.equal(await h.server.store.budgetUsed(KF, 'wmNoVoice'), 1, 'the skipped voice spent nothing');
  },
);

test('voice replies on without a voice: start refuses, naming the setting to set', async () => {
  const { loadConfig } = await import('../../src/config/load.js');
  const { serverEnv, startFakes, tempDir } = await import('../helpers/harness.js');
  const fakes = await startFakes();
  try {
    const dir = tempDir();
    const { problems } = loadConfig({ env: serverEnv(fakes, dir, { WXCOZE_VOICE_REPLY: 'on' }), cwd: dir });
    assert.equal(problems.length, 1);
    assert.equal(problems[0]!.key, 'COZE_VOICE_ID');
    assert.match(problems[0]!.fix, /COZE_VOICE_ID|voice_id/);
  } finally {
    await fakes.wecom.close();
    await fakes.coze.close();
  }
});
