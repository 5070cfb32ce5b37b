/**
 * The Coze client as the configuration says to authenticate: the access token, or the OAuth service
 * app, whose tokens are refreshed by one instance at a time and shared (sealed) through the
 * coordinator's cache. Used by the pipeline (its thread) and the main thread (OpenAI API, health).
 */
import type { WxcozeConfig } from '../config/types.js';
import { StaticTokenAuth, type CozeAuth } from '../coze/auth.js';
import { CozeClient } from '../coze/client.js';
import { JwtOAuth } from '../coze/oauth.js';
import { loadPrivateKeyFile } from '../coze/private-key.js';
import type { Logger } from '../log/logger.js';
import type { Coordinator } from '../store/coordination/types.js';

/** Throws PrivateKeyError (problem + fix) when the OAuth app's key file cannot be used. */
export function cozeAuthFor(config: WxcozeConfig, coordinator: Coordinator, logger: Logger): CozeAuth {
  const app = config.coze.oauth;
  if (!app) return new StaticTokenAuth(config.coze.apiToken);
  return new JwtOAuth({
    apiBase: config.coze.apiBase,
    appId: app.appId,
    keyId: app.keyId,
    privateKey: loadPrivateKeyFile(app.privateKeyFile),
    cache: coordinator.cache,
    lock: coordinator,
    logger,
  });
}

export function cozeClientFor(
  config: WxcozeConfig,
  coordinator: Coordinator,
  logger: Logger,
  /** Each call's outcome, for /metrics (wxcoze_coze_api_calls_total). */
  onCall?: (call: string, code: string) => void,
): CozeClient {
  return new CozeClient({
    baseUrl: config.coze.apiBase,
    auth: cozeAuthFor(config, coordinator, logger),
    logger,
    timeoutMs: config.coze.timeoutMs,
    ...(onCall ? { onCall } : {}),
  });
}
