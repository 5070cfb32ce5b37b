import type { ChatTarget } from './types.js';

/** The ids that name a Coze runnable, as the config and each account's settings spell them. */
export interface TargetIds {
  botId?: string;
  workflowId?: string;
  appId?: string;
}

/**
 * The one rule for which Coze runnable answers: the bot when `botId` is set, otherwise the
 * chatflow `workflowId` (inside app `appId` when set). Config validation makes sure one of the two
 * ids is there; an account's settings that name neither use the default target instead.
 */
export function chatTargetOf(ids: TargetIds): ChatTarget {
  if (ids.botId) return { kind: 'bot', botId: ids.botId };
  return { kind: 'chatflow', workflowId: ids.workflowId ?? '', ...(ids.appId ? { appId: ids.appId } : {}) };
}

/** True when the ids name a runnable of their own (an account's settings may leave both out). */
export function namesTarget(ids: TargetIds): boolean {
  return Boolean(ids.botId || ids.workflowId);
}
