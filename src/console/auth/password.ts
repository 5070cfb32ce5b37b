import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * Operator passwords, as scrypt hashes (node:crypto, no native addon). Parameters: N = 2^15,
 * r = 8, p = 1, 16-byte random salt, 32-byte key — ~32 MiB and ~50–100 ms per check on a small
 * VPS, the cost OWASP's password storage cheat sheet recommends for scrypt. The parameters are
 * stored with each hash (`scrypt$N$r$p$salt$key`, base64url), so raising them later keeps old
 * hashes valid.
 */
const N = 2 ** 15;
const R = 8;
const P = 1;
const KEYLEN = 32;
/** Node refuses N·r·128 bytes above its 32 MiB default; allow twice what is needed. */
const maxmemFor = (n: number, r: number) => 256 * n * r;

function derive(
  password: string,
  salt: Buffer,
  n: number,
  r: number,
  p: number,
  len: number,
): Promise<Buffer> {
  const opts: ScryptOptions = { N: n, r, p, maxmem: maxmemFor(n, r) };
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFC'), salt, len, opts, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, N, R, P, KEYLEN);
  return ['scrypt', N, R, P, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/** True when `password` matches `stored`; false for any other stored text (never throws on it). */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const f = stored.split('$');
  if (f.length !== 6 || f[0] !== 'scrypt') return false;
  const [n, r, p] = [Number(f[1]), Number(f[2]), Number(f[3])];
  // Bounds keep a tampered row from making one login burn the server's memory.
  if (![n, r, p].every(Number.isInteger) || n < 2 || n > 2 ** 20 || r < 1 || r > 32 || p < 1 || p > 16)
    return false;
  const salt = Buffer.from(f[4]!, 'base64url');
  const want = Buffer.from(f[5]!, 'base64url');
  if (want.length < 16 || want.length > 64) return false;
  const got = await derive(password, salt, n, r, p, want.length);
  return timingSafeEqual(got, want);
}

/** A hash nobody's password matches: checked for unknown names, so they take as long as known ones. */
let decoy: Promise<string> | undefined;
export function decoyHash(): Promise<string> {
  decoy ??= hashPassword(randomBytes(18).toString('base64url'));
  return decoy;
}

/** A password for `--generate` and `init --yes`: 20 characters, ~119 bits, no look-alike characters. */
export function generatePassword(): string {
  const alphabet = 'abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  const bytes = randomBytes(40);
  let out = '';
  for (const b of bytes) {
    // Rejection sampling: 56 letters, bytes ≥ 224 would bias the first 32.
    if (b >= 224) continue;
    out += alphabet[b % alphabet.length];
    if (out.length === 20) return out;
  }
  return out + generatePassword().slice(out.length);
}

/** What is wrong with a new password, or undefined. Length is what matters (NIST SP 800-63B). */
export function passwordProblem(password: string): string | undefined {
  if ([...password].length < 8) return 'is shorter than 8 characters';
  if ([...password].length > 200) return 'is longer than 200 characters';
  return undefined;
}

/** Operator names: letters (any script), digits, `.`, `_`, `-`; 1–32 characters. */
export const OPERATOR_NAME_RE = /^[\p{L}\p{N}._-]{1,32}$/u;
export function operatorNameProblem(name: string): string | undefined {
  return OPERATOR_NAME_RE.test(name)
    ? undefined
    : 'must be 1–32 letters, digits, ".", "_" or "-" (no spaces)';
}
