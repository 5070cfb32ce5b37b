/** The ffmpeg voice converter and the doctor's voice line, on this machine's ffmpeg. */
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { voiceCheck } from '../../src/cli/doctor/checks/voice.js';
import type { DoctorContext } from '../../src/cli/doctor/types.js';
import { Ffmpeg } from '../../src/media/ffmpeg.js';
import { VoiceConverter } from '../../src/media/voice.js';
import { requireAmrFfmpeg } from '../helpers/requirements.js';
import { makeAmr, wavInfo } from '../helpers/voice.js';

const skip = requireAmrFfmpeg();
const doctorWith = (ffmpeg: string, voiceReply = false) =>
  voiceCheck.run({
    config: { pipeline: { ffmpeg }, service: { defaults: { voiceReply }, accounts: {} } },
  } as unknown as DoctorContext);

test("WeCom's AMR becomes a 16 kHz mono WAV whose header states its true length", { skip }, async () => {
  const v = VoiceConverter.fromPath('ffmpeg');
  const out = await v.toTranscribable(makeAmr(2));
  assert.ok(out);
  assert.equal(out.ext, 'wav');
  assert.equal(out.mime, 'audio/wav');
  const info = wavInfo(out.data);
  assert.equal(info.channels, 1);
  assert.equal(info.sampleRate, 16000);
  assert.equal(info.riffSize, out.data.length - 8);
  // 2 s of 16-bit samples at 16 kHz, give or take a frame.
  assert.ok(Math.abs(out.data.length - 64_000) < 2_000, `${out.data.length} bytes`);
});

test('audio Coze already takes goes as it is, without ffmpeg', async () => {
  const v = VoiceConverter.fromPath('/nonexistent/ffmpeg');
  const ogg = Buffer.concat([Buffer.from('OggS'), Buffer.alloc(100, 1)]);
  assert.deepEqual(await v.toTranscribable(ogg), { data: ogg, ext: 'ogg', mime: 'audio/ogg' });
  assert.equal(await v.toTranscribable(Buffer.from('#!AMR\n0000')), undefined, 'AMR needs ffmpeg');
  assert.deepEqual(await v.ability(), { available: false, reason: '/nonexistent/ffmpeg not found' });
});

test('speech becomes AMR-NB for a WeCom voice message', { skip }, async () => {
  const v = VoiceConverter.fromPath('ffmpeg');
  const wav = (await v.toTranscribable(makeAmr(1)))!.data;
  const amr = await v.toWecomVoice(wav);
  assert.ok(amr);
  assert.equal(amr.subarray(0, 6).toString('latin1'), '#!AMR\n');
});

test(
  'bytes that are not audio, too large an input, and a hung ffmpeg each fail with the reason',
  { skip },
  async () => {
    await assert.rejects(
      VoiceConverter.fromPath('ffmpeg').toTranscribable(Buffer.alloc(500, 7)),
      /could not convert/,
    );
    const small = new Ffmpeg({ path: 'ffmpeg', maxInBytes: 100 });
    await assert.rejects(small.convert(Buffer.alloc(200), ['-f', 'wav']), /over the 100-byte limit/);
    const dir = mkdtempSync(join(tmpdir(), 'wxcoze-ffmpeg-'));
    const hung = join(dir, 'ffmpeg');
    writeFileSync(hung, '#!/bin/sh\nsleep 30 & wait\n');
    chmodSync(hung, 0o755);
    await assert.rejects(
      new Ffmpeg({ path: hung, timeoutMs: 300 }).convert(Buffer.alloc(10), ['-f', 'wav']),
      /took longer/,
    );
  },
);

test('doctor names the converter and what it can do, or warns what to install', { skip }, async () => {
  const ok = await doctorWith('ffmpeg');
  assert.equal(ok.ok, true);
  assert.match(ok.detail, /^ffmpeg \S+ \(AMR in ✓, AMR out ✓\)$/);
  const missing = await doctorWith('/nonexistent/ffmpeg');
  assert.equal(missing.ok, true, 'a warning, not a failure');
  assert.equal(missing.warning, true);
  assert.match(missing.detail, /not found: voice messages get the polite text/);
  assert.match(missing.fix!, /apt install ffmpeg.*libavcodec-extra/);
});

test('doctor warns when voice replies are on and this ffmpeg cannot encode AMR, not when they are off', async () => {
  // An ffmpeg that decodes AMR but has no libopencore_amrnb encoder (Debian's without libavcodec-extra).
  const dir = mkdtempSync(join(tmpdir(), 'wxcoze-ffmpeg-'));
  const stub = join(dir, 'ffmpeg');
  writeFileSync(
    stub,
    [
      '#!/bin/sh',
      'case "$2" in',
      '  -version) echo "ffmpeg version 5.1.6-0+deb12u1" ;;',
      '  -decoders) echo " A....D amrnb                AMR-NB (Adaptive Multi-Rate NarrowBand)" ;;',
      '  -encoders) echo " A..... pcm_s16le            PCM signed 16-bit little-endian" ;;',
      'esac',
      '',
    ].join('\n'),
  );
  chmodSync(stub, 0o755);
  const off = await doctorWith(stub);
  assert.equal(off.warning ?? false, false, 'voice replies off: nothing to warn about');
  assert.match(off.detail, /AMR in ✓, AMR out ✗/);
  const on = await doctorWith(stub, true);
  assert.equal(on.warning, true);
  assert.match(on.detail, /voice replies are on .* cannot be made/);
  assert.match(on.fix!, /libavcodec-extra/);
});
