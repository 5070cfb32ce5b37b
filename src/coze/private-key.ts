/**
 * The OAuth app's private key (private_key.pem, downloaded when the key pair was created in Coze):
 * read from its file, which must be readable by its owner only, as ssh insists for its own keys.
 * Every failure says what is wrong and what to do, for `start`, `init` and `doctor` alike.
 */
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';

export class PrivateKeyError extends Error {
  constructor(
    readonly problem: string,
    readonly fix: string,
  ) {
    super(`${problem} ${fix}`);
    this.name = 'PrivateKeyError';
  }
}

const octal = (mode: number): string => (mode & 0o777).toString(8).padStart(3, '0');

const NEW_KEY =
  'In Coze → API 管理 → 授权 → OAuth 应用 → your service app → 编辑, 创建 Key downloads a new private_key.pem; use its 公钥指纹 as the key id.';

/** The key in `path`, checked: a file, owner-only (0600 or 0400), an RSA private key in PEM. */
export function loadPrivateKeyFile(path: string): KeyObject {
  let mode: number;
  try {
    const st = statSync(path);
    if (!st.isFile())
      throw new PrivateKeyError(
        `The Coze private key path ${path} is not a file.`,
        'Set COZE_JWT_OAUTH_PRIVATE_KEY_FILE_PATH to the private_key.pem file itself.',
      );
    mode = st.mode;
  } catch (err) {
    if (err instanceof PrivateKeyError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new PrivateKeyError(
      code === 'ENOENT'
        ? `The Coze private key file ${path} does not exist.`
        : `The Coze private key file ${path} cannot be read (${code ?? (err as Error).message}).`,
      `Put the private_key.pem Coze downloaded when the key was created on this server and set COZE_JWT_OAUTH_PRIVATE_KEY_FILE_PATH to its full path (readable by the user wxcoze runs as). ${NEW_KEY}`,
    );
  }
  if (mode & 0o077)
    throw new PrivateKeyError(
      `The Coze private key file ${path} is ${octal(mode)}: other users of this machine can read it.`,
      `Run: chmod 600 ${path} (and if others may have copied it, create a new key in the OAuth app and delete the old one).`,
    );
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (err) {
    throw new PrivateKeyError(
      `The Coze private key file ${path} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}).`,
      'Make it readable by the user wxcoze runs as: chown that user, then chmod 600.',
    );
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch {
    throw new PrivateKeyError(
      `${path} does not hold a private key in PEM form (-----BEGIN PRIVATE KEY----- … -----END PRIVATE KEY-----).`,
      `Use the private_key.pem file exactly as Coze downloaded it. ${NEW_KEY}`,
    );
  }
  if (key.asymmetricKeyType !== 'rsa')
    throw new PrivateKeyError(
      `${path} holds a ${key.asymmetricKeyType ?? 'non-RSA'} key; Coze signs with RSA (RS256).`,
      `Use the private_key.pem of a key created in the Coze OAuth app. ${NEW_KEY}`,
    );
  return key;
}
