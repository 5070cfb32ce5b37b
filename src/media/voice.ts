/**
 * Voice messages both ways, on the system's ffmpeg (src/media/ffmpeg.ts): WeCom's voice (AMR) to
 * audio Coze transcribes, and Coze's synthesized speech to the AMR WeCom sends as a voice message.
 * This is what the pipeline's `VoicePort` (src/pipeline/ports.ts) is made of.
 */
import { Ffmpeg, type FfmpegAbility } from './ffmpeg.js';

/** Formats Coze's /v1/audio/transcriptions takes as they are (docs/protocol.md §coze-audio). */
const TRANSCRIBABLE: [RegExp, string, string][] = [
  [/^OggS/, 'ogg', 'audio/ogg'],
  [/^ID3/, 'mp3', 'audio/mpeg'],
  [/^RIFF....WAVE/s, 'wav', 'audio/wav'],
];

export function transcribableKind(data: Buffer): { ext: string; mime: string } | undefined {
  const head = data.subarray(0, 12).toString('latin1');
  for (const [re, ext, mime] of TRANSCRIBABLE) if (re.test(head)) return { ext, mime };
  // An MP3 without an ID3 tag starts with a frame sync (11 bits set).
  if (data.length > 2 && data[0] === 0xff && (data[1]! & 0xe0) === 0xe0)
    return { ext: 'mp3', mime: 'audio/mpeg' };
  return undefined;
}

/**
 * A WAV written to a pipe has no sizes in its header (ffmpeg cannot seek back to fill them in):
 * fill in the RIFF and data chunk sizes so every reader sees the true length.
 */
export function fixWavSizes(wav: Buffer): Buffer {
  if (wav.length < 12 || wav.toString('latin1', 0, 4) !== 'RIFF') return wav;
  const out = Buffer.from(wav);
  out.writeUInt32LE(out.length - 8, 4);
  let at = 12;
  while (at + 8 <= out.length) {
    const id = out.toString('latin1', at, at + 4);
    if (id === 'data') {
      out.writeUInt32LE(out.length - at - 8, at + 4);
      break;
    }
    at += 8 + out.readUInt32LE(at + 4) + (out.readUInt32LE(at + 4) % 2);
  }
  return out;
}

/** AMR-NB at 12.2 kbit/s: 32 bytes per 20 ms frame, 1600 bytes a second (after the 6-byte header). */
export const AMR_BYTES_PER_SECOND = 1600;

export class VoiceConverter {
  constructor(private readonly ffmpeg: Ffmpeg) {}

  static fromPath(path: string): VoiceConverter {
    return new VoiceConverter(new Ffmpeg({ path }));
  }

  ability(): Promise<FfmpegAbility> {
    return this.ffmpeg.probe();
  }

  /**
   * Audio Coze transcribes: the voice as it is when Coze takes its format, else converted to a
   * 16 kHz mono WAV (speech needs no more). Undefined when it needs converting and no ffmpeg here
   * can; rejects when the conversion itself fails (a broken or unknown voice).
   */
  async toTranscribable(data: Buffer): Promise<{ data: Buffer; ext: string; mime: string } | undefined> {
    const kind = transcribableKind(data);
    if (kind) return { data, ...kind };
    const a = await this.ability();
    if (!a.available) return undefined;
    const wav = await this.ffmpeg.convert(data, [
      '-ac',
      '1',
      '-ar',
      '16000',
      '-c:a',
      'pcm_s16le',
      '-f',
      'wav',
    ]);
    return { data: fixWavSizes(wav), ext: 'wav', mime: 'audio/wav' };
  }

  /** WeCom's voice message format: AMR-NB, 8 kHz mono. Undefined when ffmpeg here cannot encode AMR. */
  async toWecomVoice(data: Buffer): Promise<Buffer | undefined> {
    const a = await this.ability();
    if (!a.available || !a.amrOut) return undefined;
    return this.ffmpeg.convert(data, [
      '-ac',
      '1',
      '-ar',
      '8000',
      '-c:a',
      'libopencore_amrnb',
      '-b:a',
      '12.2k',
      '-f',
      'amr',
    ]);
  }
}
