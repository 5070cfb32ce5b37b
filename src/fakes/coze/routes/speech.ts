/**
 * Text to speech (docs/protocol.md §coze-speech): POST /v1/audio/speech with JSON
 * `{input, voice_id, response_format?, sample_rate?}` answers the audio itself. The fake speaks a
 * tone whose length follows the text (a fifth of a second per character, as a person reads Chinese
 * aloud), so a long answer makes a long voice. Only `wav` and `pcm` are made here: a client asking
 * for mp3 or ogg_opus is told so rather than given bytes of the wrong kind.
 */
import type { FastifyInstance } from 'fastify';
import { fail } from '../envelope.js';
import type { FakeState } from '../state.js';

/** The one voice the fake's account has (a system voice id's shape). */
export const FAKE_VOICE_ID = '7426720361733046281';

/** Coze: "长度限制为 1024 字节"; over it, error 3010. */
export const SPEECH_MAX_INPUT_BYTES = 1024;
const SAMPLE_RATES = new Set([8000, 16000, 22050, 24000, 32000, 44100, 48000]);
/** Seconds of speech per character of input. */
export const FAKE_SECONDS_PER_CHAR = 0.2;

/** 16-bit mono PCM of a quiet 440 Hz tone, `seconds` long. */
function tone(seconds: number, rate: number): Buffer {
  const n = Math.max(1, Math.round(seconds * rate));
  const pcm = Buffer.alloc(n * 2);
  for (let i = 0; i < n; i++)
    pcm.writeInt16LE(Math.round(3000 * Math.sin((2 * Math.PI * 440 * i) / rate)), i * 2);
  return pcm;
}

function wav(pcm: Buffer, rate: number): Buffer {
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'latin1');
  h.writeUInt32LE(36 + pcm.length, 4);
  h.write('WAVEfmt ', 8, 'latin1');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20); // PCM
  h.writeUInt16LE(1, 22); // mono
  h.writeUInt32LE(rate, 24);
  h.writeUInt32LE(rate * 2, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36, 'latin1');
  h.writeUInt32LE(pcm.length, 40);
  return Buffer.concat([h, pcm]);
}

export function registerSpeechRoutes(app: FastifyInstance, state: FakeState): void {
  app.post('/v1/audio/speech', async (req, reply) => {
    const b = (req.body ?? {}) as Record<string, unknown>;
    const input = typeof b.input === 'string' ? b.input : '';
    const voiceId = typeof b.voice_id === 'string' ? b.voice_id : '';
    if (!input) return fail(reply, 4000, 'input is required');
    if (Buffer.byteLength(input, 'utf8') > SPEECH_MAX_INPUT_BYTES)
      return fail(reply, 3010, `input is longer than ${SPEECH_MAX_INPUT_BYTES} bytes`);
    if (!voiceId) return fail(reply, 4000, 'voice_id is required');
    if (!state.voiceIds.has(voiceId)) return fail(reply, 4000, `voice_id ${voiceId} not found`);
    const format = typeof b.response_format === 'string' ? b.response_format : 'mp3';
    if (format !== 'wav' && format !== 'pcm')
      return fail(reply, 4000, `the fake Coze makes wav and pcm only, not ${format}`);
    const rate = typeof b.sample_rate === 'number' ? b.sample_rate : 24000;
    if (!SAMPLE_RATES.has(rate)) return fail(reply, 4000, `sample_rate ${rate} is not supported`);
    state.speeches.push({ input, voiceId });
    const pcm = tone([...input].length * FAKE_SECONDS_PER_CHAR, rate);
    return reply
      .header('content-type', format === 'wav' ? 'audio/wav' : 'audio/pcm')
      .send(format === 'wav' ? wav(pcm, rate) : pcm);
  });
}
