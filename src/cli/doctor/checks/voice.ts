import { VoiceConverter } from '../../../media/voice.js';
import { type DoctorCheck, pass, warn } from '../types.js';

const INSTALL =
  'Install it: `sudo apt install ffmpeg` (voice replies also need `sudo apt install libavcodec-extra`), or set WXCOZE_FFMPEG to its path.';

/**
 * Which converter voice messages go through (WeCom's AMR → audio Coze transcribes, and speech →
 * AMR for voice replies). Only a warning: without it, voice gets the polite text and all else works.
 */
export const voiceCheck: DoctorCheck = {
  id: 'voice',
  title: 'voice',
  async run(ctx) {
    const a = await VoiceConverter.fromPath(ctx.config.pipeline.ffmpeg).ability();
    if (!a.available)
      return warn(this.title, `${a.reason}: voice messages get the polite text (WXCOZE_VOICE_TEXT)`, INSTALL);
    const mark = (b: boolean) => (b ? '✓' : '✗');
    const detail = `ffmpeg ${a.version} (AMR in ${mark(a.amrIn)}, AMR out ${mark(a.amrOut)})`;
    if (!a.amrIn)
      return warn(
        this.title,
        `${detail}: it cannot read WeCom's voice (AMR); voice messages get the polite text`,
        INSTALL,
      );
    const { service } = ctx.config;
    const repliesOn =
      service.defaults.voiceReply || Object.values(service.accounts).some((o) => o.voiceReply === true);
    if (!a.amrOut && repliesOn)
      return warn(
        this.title,
        `${detail}: voice replies are on (WXCOZE_VOICE_REPLY) but cannot be made (no AMR encoder): customers get the text only`,
        'For voice replies: `sudo apt install libavcodec-extra` (ffmpeg with libopencore_amrnb).',
      );
    return pass(this.title, `${detail}${repliesOn ? '; voice replies on' : ''}`);
  },
};
