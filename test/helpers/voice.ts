/** Real voice for the voice tests, made with the machine's ffmpeg (see requireAmrFfmpeg). */
import { spawnSync } from 'node:child_process';

/** `seconds` of a tone as AMR-NB 8 kHz mono, the format WeCom delivers a customer's voice in. */
export function makeAmr(seconds = 1): Buffer {
  const r = spawnSync(
    'ffmpeg',
    [
      '-hide_banner',
      '-loglevel',
      'error',
      '-f',
      'lavfi',
      '-i',
      `sine=frequency=440:duration=${seconds}`,
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
      'pipe:1',
    ],
    { maxBuffer: 10 * 1024 * 1024 },
  );
  if (r.status !== 0) throw new Error(`ffmpeg could not make an AMR: ${r.stderr.toString()}`);
  return r.stdout;
}

/** A WAV's channels, sample rate and declared data length (RIFF header of a PCM WAV). */
export function wavInfo(wav: Buffer): { channels: number; sampleRate: number; riffSize: number } {
  if (wav.toString('latin1', 0, 4) !== 'RIFF' || wav.toString('latin1', 8, 12) !== 'WAVE')
    throw new Error('not a WAV');
  return { channels: wav.readUInt16LE(22), sampleRate: wav.readUInt32LE(24), riffSize: wav.readUInt32LE(4) };
}
