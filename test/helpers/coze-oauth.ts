/**
 * A Coze OAuth service app for tests: an RSA key pair (made once per process), the app id and public
 * key id the fake Coze registers, and the private key written to a file the way Coze hands it out
 * (private_key.pem, PKCS#8 PEM), mode 0600 unless a test asks for another.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const OAUTH_APP_ID = '1180123456789';
export const OAUTH_KEY_ID = 'vZwfltTu9fAmkpXXRvtyRdDstN5S3ecEp1jW0zuT2Dk';

export interface KeyPair {
  privateKey: KeyObject;
  privatePem: string;
  publicPem: string;
}

function makePair(): KeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    privateKey,
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

let app: KeyPair | undefined;
let other: KeyPair | undefined;

/** The app's key pair (the fake knows its public half). */
export function appKeys(): KeyPair {
  return (app ??= makePair());
}

/** A key pair Coze has never seen: what a wrong private_key.pem signs with. */
export function strangerKeys(): KeyPair {
  return (other ??= makePair());
}

/** The fake Coze's `oauth` option for the app. */
export function fakeOAuthApp(tokenLifetimeS?: number) {
  return {
    appId: OAUTH_APP_ID,
    keyId: OAUTH_KEY_ID,
    publicKey: appKeys().publicPem,
    ...(tokenLifetimeS !== undefined ? { tokenLifetimeS } : {}),
  };
}

/** Writes `pem` to <dir>/private_key.pem with `mode`; returns the path. */
export function writeKeyFile(
  dir: string,
  pem = appKeys().privatePem,
  mode = 0o600,
  name = 'private_key.pem',
): string {
  const path = join(dir, name);
  writeFileSync(path, pem, { mode });
  chmodSync(path, mode);
  return path;
}
