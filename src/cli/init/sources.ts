/**
 * Where init finds the current value of a setting, first match wins: a flag on the command line, a
 * secret file (`--coze-token-file`, `-` for stdin), the environment, the `.env` file in the working
 * folder, then the existing config file. Interactive init offers that value as the default (Enter
 * keeps it); `init --yes` uses it as the answer.
 */
import { pick } from '../../config/aliases.js';
import { apiBaseFromRegion } from '../lib/coze-setup.js';
import type { SecretOption } from '../lib/secret-input.js';
import type { InitOptions } from './context.js';

/** Values by config key (e.g. COZE_BOT_ID); environment-like layers may use the keys' aliases. */
export type Layer = Record<string, string | undefined>;

export interface Sources {
  flags: Layer;
  files: Layer;
  env: Layer;
  dotenv: Layer;
  existing: Layer;
}

export type ValueOf = (key: string) => string | undefined;

export function valueSources(s: Sources): ValueOf {
  const given = (layer: Layer, key: string) =>
    layer[key] !== undefined && layer[key] !== '' ? layer[key] : undefined;
  return (key) =>
    given(s.flags, key) ??
    given(s.files, key) ??
    pick(s.env, key) ??
    pick(s.dotenv, key) ??
    pick(s.existing, key);
}

/** Secrets init takes from the environment, a file or stdin rather than the command line. */
export const INIT_SECRETS: (SecretOption & { key: string })[] = [
  { name: 'cozeToken', flag: '--coze-token', env: 'COZE_API_TOKEN', key: 'COZE_API_TOKEN' },
  { name: 'secret', flag: '--secret', env: 'WECOM_SECRET', key: 'WECOM_SECRET' },
  { name: 'token', flag: '--token', env: 'WECOM_TOKEN', key: 'WECOM_TOKEN' },
  { name: 'aesKey', flag: '--aes-key', env: 'WECOM_ENCODING_AES_KEY', key: 'WECOM_ENCODING_AES_KEY' },
];

/** The command line's values by config key. A region name becomes its API base; an unknown one is kept marked for the Coze stage to refuse. */
export function flagLayer(opts: InitOptions): Layer {
  return {
    COZE_API_BASE: opts.cozeRegion
      ? (apiBaseFromRegion(opts.cozeRegion) ?? `invalid:${opts.cozeRegion}`)
      : undefined,
    COZE_API_TOKEN: opts.cozeToken,
    WXCOZE_COZE_TOKEN_EXPIRES_AT: opts.cozeTokenExpires,
    COZE_JWT_OAUTH_CLIENT_ID: opts.cozeOauthAppId,
    COZE_JWT_OAUTH_PUBLIC_KEY_ID: opts.cozeOauthKeyId,
    COZE_JWT_OAUTH_PRIVATE_KEY_FILE_PATH: opts.cozeOauthKeyFile,
    COZE_BOT_ID: opts.botId,
    COZE_WORKFLOW_ID: opts.workflowId,
    COZE_APP_ID: opts.appId,
    WECOM_CORP_ID: opts.corpId,
    WECOM_SECRET: opts.secret,
    WECOM_OPEN_KFID: opts.kfAccount,
    WECOM_API_BASE: opts.wecomApiBase,
    WECOM_TOKEN: opts.token,
    WECOM_ENCODING_AES_KEY: opts.aesKey,
    WXCOZE_DOMAIN: opts.domain,
    PORT: opts.port,
    WXCOZE_HOST: opts.host,
  };
}

/** Secret-file values (read by readSecretOptions, keyed by option name) by config key. */
export function fileLayer(fromFiles: Record<string, string>): Layer {
  return Object.fromEntries(
    INIT_SECRETS.filter((s) => fromFiles[s.name] !== undefined).map((s) => [s.key, fromFiles[s.name]]),
  );
}
