/**
 * The callback side of the fake: what WeCom POSTs/GETs to the bridge (docs/protocol.md §callback-verify, §callback-push, §callback-delivery).
 * Signed and encrypted with the production WecomCrypto, so a fake/bridge mismatch can only come from
 * the bridge's handling, not from two crypto implementations agreeing on a bug.
 */
import { request } from 'undici';
import { WecomCrypto } from '../../wecom/crypto.js';
import { newEchostr, newNonce } from './ids.js';

/** WeCom gives a callback 5 s, then retries 3 times (docs/protocol.md §callback-delivery). */
export const CALLBACK_TIMEOUT_MS = 5000;
export const CALLBACK_RETRIES = 3;

const cdata = (s: string) => `<![CDATA[${s}]]>`;

/** The decrypted kf event (docs/protocol.md §kf-callback). */
export function kfEventXml(
  corpId: string,
  token: string,
  openKfId: string,
  createTime = Math.floor(Date.now() / 1000),
): string {
  return (
    `<xml><ToUserName>${cdata(corpId)}</ToUserName><CreateTime>${createTime}</CreateTime>` +
    `<MsgType>${cdata('event')}</MsgType><Event>${cdata('kf_msg_or_event')}</Event>` +
    `<Token>${cdata(token)}</Token><OpenKfId>${cdata(openKfId)}</OpenKfId></xml>`
  );
}

/** Query + XML envelope for an event push, exactly as WeCom sends it (signature over Encrypt only). */
export function buildSignedCallback(
  crypto: WecomCrypto,
  corpId: string,
  innerXml: string,
  opts: { agentId?: string; timestamp?: string; nonce?: string } = {},
): { query: Record<string, string>; body: string } {
  const timestamp = opts.timestamp ?? String(Math.floor(Date.now() / 1000));
  const nonce = opts.nonce ?? newNonce();
  const encrypt = crypto.encrypt(innerXml);
  return {
    query: { msg_signature: crypto.sign(timestamp, nonce, encrypt), timestamp, nonce },
    body: `<xml><ToUserName>${cdata(corpId)}</ToUserName><Encrypt>${cdata(encrypt)}</Encrypt><AgentID>${cdata(opts.agentId ?? '')}</AgentID></xml>`,
  };
}

function withQuery(url: string, query: Record<string, string>): string {
  const u = new URL(url);
  for (const [k, v] of Object.entries(query)) u.searchParams.set(k, v);
  return u.toString();
}

/** One attempt; 0 stands for "no answer in time" or a network error. */
async function attempt(
  url: string,
  method: 'GET' | 'POST',
  body: string | undefined,
  timeoutMs: number,
): Promise<{ status: number; body: string }> {
  try {
    const res = await request(url, {
      method,
      ...(body !== undefined ? { body, headers: { 'content-type': 'text/xml' } } : {}),
      signal: AbortSignal.timeout(timeoutMs),
    });
    return { status: res.statusCode, body: await res.body.text() };
  } catch {
    return { status: 0, body: '' };
  }
}

/** POSTs until a 200 or 1 + 3 attempts; returns every attempt's status. */
export async function postWithRetries(
  url: string,
  signed: { query: Record<string, string>; body: string },
  timeoutMs = CALLBACK_TIMEOUT_MS,
): Promise<number[]> {
  const statuses: number[] = [];
  const target = withQuery(url, signed.query);
  for (let i = 0; i <= CALLBACK_RETRIES; i++) {
    const { status } = await attempt(target, 'POST', signed.body, timeoutMs);
    statuses.push(status);
    if (status === 200) break;
  }
  return statuses;
}

/** URL verification as the admin console does it when the callback URL is saved (docs/protocol.md §callback-verify). */
export async function verifyUrl(
  url: string,
  crypto: WecomCrypto,
  timeoutMs = CALLBACK_TIMEOUT_MS,
): Promise<{ status: number; body: string; expected: string }> {
  const expected = newEchostr();
  const echostr = crypto.encrypt(expected);
  const timestamp = String(Math.floor(Date.now() / 1000));
  const nonce = newNonce();
  // URLSearchParams encodes + / = as %2B %2F %3D, like the official sample.
  const target = withQuery(url, {
    msg_signature: crypto.sign(timestamp, nonce, echostr),
    timestamp,
    nonce,
    echostr,
  });
  const { status, body } = await attempt(target, 'GET', undefined, timeoutMs);
  return { status, body, expected };
}
