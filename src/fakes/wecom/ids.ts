/** Random identifiers shaped like WeCom's (docs/protocol.md §fakes), so format assumptions in the bridge get exercised. */
import { randomBytes, randomInt } from 'node:crypto';

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export function alnum(length: number, alphabet = ALNUM): string {
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[randomInt(alphabet.length)];
  return out;
}

/** `ww` + 16 hex = 18 chars. */
export const newCorpId = () => 'ww' + randomBytes(8).toString('hex');
/** `wk` + 30 = 32 chars. */
export const newOpenKfId = () => 'wk' + alnum(30, ALNUM + '_-');
/** `wm` + 30 = 32 chars. */
export const newExternalUserId = () => 'wm' + alnum(30, ALNUM + '_-');
/** Callback Token: `ENC` + 44 = 47 chars, as in the docs and real logs. */
export const newCallbackToken = () => 'ENC' + alnum(44);
/** Opaque message ids; real ones are long alphanumerics. */
export const newMsgId = () => alnum(28);
/** Real access tokens are long and opaque (≤512 bytes). */
export const newAccessToken = () => alnum(96, ALNUM + '_-');
export const newMediaId = () => '3' + alnum(63, ALNUM + '_-');
export const newMsgCode = () => 'MSGCODE' + alnum(32);
/** Digits, like the plaintext of a real echostr. */
export const newEchostr = () => String(randomInt(1, 10)) + alnum(18, '0123456789');
export const newNonce = () => String(randomInt(100_000_000, 2_000_000_000));
