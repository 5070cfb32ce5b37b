/**
 * Voice messages on this machine's ffmpeg: WeCom's AMR converted for Coze to transcribe and
 * answered once as text; without a converter the polite text.
 */
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { KF, settle, startHarness, waitFor, type Harness } from '../helpers/harness.js';
import { requireAmrFfmpeg } from '../helpers/requirements.js';
import { makeAmr, wavInfo } from '../helpers/voice.js';

const skip = requireAmrFfmpeg();
let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const sent = (user: string) => h!.wecom.sentTo(user);

test(
  "a customer's AMR voice is converted, transcribed by Coze and answered once as text",
  { skip },
  async () => {
    h = await startHarness();
    const heard: Buffer[] = [];
    // Like Coze: ogg, mp3 and wav only (sniffed from the bytes), anything else refused.
    h.coze.setTranscriber((f) => {
      if (f.data.subarray(0, 4).toString('latin1') !== 'RIFF') return null;
      heard.push(f.data);
      return '我想查询订单';
    });
    await h.wecom.customerSends(KF, 'wmVoice', {
      media: makeAmr(2),
      msgtype: 'voice',
      contentType: 'audio/amr',
    });
    await waitFor('the answer', () => sent('wmVoice').length >= 1, 60_000);
    await settle(1000);
    assert.deepEqual(
      sent('wmVoice').map((s) => s.content),
      ['收到：我想查询订单'],
      'answered once, from the transcribed words',
    );
    assert.equal(heard.length, 1);
    const info = wavInfo(heard[0]!);
    assert.equal(info.sampleRate, 16000);
    assert.equal(info.channels, 1);
    // The console shows what the customer said.
    const rows = (await h.server.store.conversations.thread(KF, 'wmVoice', { limit: 10 })).items;
    assert.equal(rows.find((r) => r.origin === 3)?.transcript, '我想查询订单');

    // A recording that is not AMR at all: the polite voice text, Coze never asked.
    await h.wecom.customerSends(KF, 'wmNoise', {
      media: Buffer.concat([Buffer.from('#!AMR\n'), Buffer.alloc(200, 2)]),
      msgtype: 'voice',
      contentType: 'audio/amr',
    });
    await waitFor('the polite text', () => sent('wmNoise').length >= 1, 60_000);
    assert.match(sent('wmNoise')[0]!.content ?? '', /语音/);
    assert.equal(heard.length, 1, 'nothing more was sent to be transcribed');
    assert.equal(h.coze.chats.length, 1);
  },
);
