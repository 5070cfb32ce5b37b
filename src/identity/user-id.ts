import { randomBytes } from 'node:crypto';

/**
 * A new internal user id: what Coze sees as `user_id`. Random rather than derived from a channel id,
 * so it never leaks a WeChat external_userid to Coze and stays valid when identities are linked.
 */
export function newUserId(): string {
  return 'u_' + randomBytes(12).toString('hex');
}
