/**
 * Who is asking, as a `web`-channel identity that store.resolveUser turns into the stable internal
 * user id Coze sees as `user_id` (so bot memory is per person). In order:
 *   1. Open-WebUI's forwarded user headers, only from a key marked `:trust-headers` (anyone can
 *      send headers): `<scope>/owui:<Open-WebUI user id>`;
 *   2. the request's `user` field (string, or Open-WebUI's `{id,…}` object): `<scope>/user:<value>`;
 *   3. the API key itself: `key:<digest of the key>`.
 * The scope is the key's tenant or the key itself (KeyMatch.scope): the same `user` sent by two
 * apps is two people unless their keys are configured as one tenant.
 */
import { createHash } from 'node:crypto';
import type { KeyMatch } from './auth.js';
import { badRequest } from './errors.js';

export const WEB_CHANNEL = 'web';
/** The background identity Open-WebUI task requests run as, apart from every person's memory. */
export const TASK_EXTERNAL_ID = 'task:background';

export const OWUI_HEADERS = {
  userId: 'x-openwebui-user-id',
  name: 'x-openwebui-user-name',
  email: 'x-openwebui-user-email',
  chatId: 'x-openwebui-chat-id',
  task: 'x-openwebui-task',
} as const;

export interface Identity {
  channel: string;
  externalId: string;
  source: 'openwebui-headers' | 'user-field' | 'api-key';
  /** The same identity as written before identities were scoped (adopted once after the upgrade). */
  legacyId?: string;
  /** For logs only (debug level): decoded display name and chat id when forwarded. */
  name?: string;
  chatId?: string;
}

type Headers = Record<string, string | string[] | undefined>;

const MAX_ID = 200;
/** identities.external_id holds 191 characters (MySQL's indexed utf8mb4 limit). */
const MAX_EXTERNAL_ID = 191;

/** `<scope>/<kind>:<id>`; an id too long for the column is replaced by its digest (still one per id). */
function scoped(key: KeyMatch, kind: 'user' | 'owui', id: string): string {
  const full = `${key.scope}/${kind}:${id}`;
  if (full.length <= MAX_EXTERNAL_ID) return full;
  return `${key.scope}/${kind}#${createHash('sha256').update(id).digest('hex')}`;
}

function header(h: Headers, name: string): string | undefined {
  const v = h[name];
  const s = (Array.isArray(v) ? v[0] : v)?.trim();
  return s ? s : undefined;
}

/** Open-WebUI URL-encodes the display name (`quote(name, safe=" ")`). */
function decodeName(v: string): string {
  try {
    return decodeURIComponent(v);
  } catch {
    return v;
  }
}

export function identityOf(headers: Headers, user: unknown, key: KeyMatch): Identity {
  if (key.trustHeaders) {
    const id = header(headers, OWUI_HEADERS.userId);
    if (id) {
      if (id.length > MAX_ID)
        throw badRequest(`${OWUI_HEADERS.userId} is longer than ${MAX_ID} characters`, null);
      const out: Identity = {
        channel: WEB_CHANNEL,
        externalId: scoped(key, 'owui', id),
        source: 'openwebui-headers',
        legacyId: id,
      };
      const name = header(headers, OWUI_HEADERS.name);
      if (name) out.name = decodeName(name);
      const chatId = header(headers, OWUI_HEADERS.chatId);
      if (chatId) out.chatId = chatId;
      return out;
    }
  }
  const u = userFieldId(user);
  if (u !== undefined) {
    if (u.length > MAX_ID) throw badRequest(`user is longer than ${MAX_ID} characters`, 'user');
    return {
      channel: WEB_CHANNEL,
      externalId: scoped(key, 'user', u),
      source: 'user-field',
      legacyId: `user:${u}`,
    };
  }
  return { channel: WEB_CHANNEL, externalId: `key:${key.keyId}`, source: 'api-key' };
}

/** `user` as a string, or the `id` of Open-WebUI's pipeline-style user object. */
function userFieldId(user: unknown): string | undefined {
  if (typeof user === 'string') return user.trim() || undefined;
  if (typeof user === 'number') return String(user);
  if (user && typeof user === 'object') {
    const id = (user as Record<string, unknown>).id;
    if (typeof id === 'string' && id.trim()) return id.trim();
    if (typeof id === 'number') return String(id);
  }
  return undefined;
}
