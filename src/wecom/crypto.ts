/**
 * WXBizMsgCrypt (docs/protocol.md §wxbizmsgcrypt) on node:crypto: the signature + AES-256-CBC envelope WeCom uses for every
 * callback (URL verification and event push). Kept free of XML and HTTP so it can be tested against the
 * official vectors (docs/protocol.md §crypto-vectors) in isolation.
 */
import * as nodeCrypto from 'node:crypto';
import { createCipheriv, createDecipheriv, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import type { Decipher } from 'node:crypto';

/**
 * One-shot digest (Node ≥ 20.12, within our engines): about a third of createHash's cost for a callback's
 * ~600 bytes, and no Hash object per callback. Not in the @types/node we build with, hence the cast.
 */
const oneShotHash = (
  nodeCrypto as unknown as { hash(this: void, algorithm: string, data: string, encoding: 'hex'): string }
).hash;

/** Official SDK return codes (docs/protocol.md §crypto-codes). We reuse them so logs line up with WeCom's docs and SDKs. */
export const CryptoErrorCode = {
  ValidateSignature: -40001,
  ParseXml: -40002,
  ComputeSignature: -40003,
  IllegalAesKey: -40004,
  ValidateReceiveId: -40005,
  EncryptAES: -40006,
  DecryptAES: -40007,
  IllegalBuffer: -40008,
  EncodeBase64: -40009,
  DecodeBase64: -40010,
  GenReturnXml: -40011,
} as const;

export class WecomCryptoError extends Error {
  override name = 'WecomCryptoError';
  constructor(
    /** SDK code, -40001..-40011. */
    readonly code: number,
    /** Short human reason, safe to log (never contains key material). */
    readonly reason: string,
  ) {
    super(`wecom crypto ${code}: ${reason}`);
  }
}

/** WeCom pads to 32-byte blocks (not AES's 16), so Node's own PKCS#7 must stay off (docs/protocol.md §wxbizmsgcrypt (pitfalls)). */
const PAD_BLOCK = 32;
const RANDOM_LEN = 16;
const LEN_FIELD = 4;
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export class WecomCrypto {
  private readonly key: Buffer;
  private readonly iv: Buffer;
  /**
   * AES-256 block decryption without chaining, reused for every callback: CBC is chained by XOR-ing each
   * decrypted block with the previous ciphertext block (the IV for the first), which decrypt() does itself.
   * ECB keeps no state between update() calls when every input is whole blocks, and padding is off (WeCom
   * pads to 32 bytes itself), so nothing is ever buffered; creating a CBC decipher per callback cost more
   * than the decryption.
   */
  private readonly blockDecipher: Decipher;

  constructor(
    private readonly token: string,
    encodingAesKey: string,
    readonly receiveId: string,
  ) {
    // The 43-char key is base64 without its '='. Node's lenient decoder is deliberate here: real keys often
    // carry non-zero discarded bits in the 43rd char, which strict decoders wrongly reject (docs/protocol.md §wxbizmsgcrypt).
    if (!/^[A-Za-z0-9+/]{43}$/.test(encodingAesKey)) {
      throw new WecomCryptoError(CryptoErrorCode.IllegalAesKey, 'EncodingAESKey must be 43 base64 chars');
    }
    this.key = Buffer.from(encodingAesKey + '=', 'base64');
    if (this.key.length !== 32)
      throw new WecomCryptoError(CryptoErrorCode.IllegalAesKey, 'EncodingAESKey does not decode to 32 bytes');
    this.iv = this.key.subarray(0, 16);
    this.blockDecipher = createDecipheriv('aes-256-ecb', this.key, null);
    this.blockDecipher.setAutoPadding(false);
  }

  /** msg_signature = sha1 of the four strings sorted byte-wise and concatenated, lowercase hex. */
  sign(timestamp: string, nonce: string, encrypt: string): string {
    return oneShotHash('sha1', [this.token, timestamp, nonce, encrypt].sort().join(''), 'hex');
  }

  /** Timing-safe, so a forger cannot learn the signature byte by byte. */
  verify(signature: string, timestamp: string, nonce: string, encrypt: string): boolean {
    const expected = Buffer.from(this.sign(timestamp, nonce, encrypt), 'utf8');
    const given = Buffer.from(String(signature ?? '').toLowerCase(), 'utf8');
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  /** Decrypts without checking the receive id (see open() for the checked variant). */
  decrypt(encrypt: string): { message: string; receiveId: string } {
    if (typeof encrypt !== 'string' || encrypt.length === 0 || encrypt.length % 4 !== 0) {
      throw new WecomCryptoError(CryptoErrorCode.DecodeBase64, 'ciphertext is not base64');
    }
    const cipherText = Buffer.from(encrypt, 'base64');
    // Node's decoder silently skips junk, which would hide tampering: only base64 exactly as an
    // encoder writes it (WeCom's does) comes back unchanged. ~1 µs against ~5 µs for a regex over the
    // whole string, on every callback.
    if (cipherText.toString('base64') !== encrypt) {
      throw new WecomCryptoError(CryptoErrorCode.DecodeBase64, 'ciphertext is not base64');
    }
    // Anything not a whole number of AES blocks was truncated or tampered with; OpenSSL would throw.
    if (cipherText.length === 0 || cipherText.length % 16 !== 0) {
      throw new WecomCryptoError(CryptoErrorCode.DecryptAES, 'ciphertext length is not a multiple of 16');
    }
    let plain: Buffer;
    try {
      plain = this.blockDecipher.update(cipherText);
    } catch {
      throw new WecomCryptoError(CryptoErrorCode.DecryptAES, 'aes decrypt failed');
    }
    if (plain.length !== cipherText.length)
      throw new WecomCryptoError(CryptoErrorCode.DecryptAES, 'aes decrypt failed');
    // CBC: plaintext block i = D(C_i) XOR C_(i-1), with C_0 the IV. From the end, so each C is read unchanged.
    for (let i = plain.length - 1; i >= 16; i--) plain[i]! ^= cipherText[i - 16]!;
    for (let i = 0; i < 16; i++) plain[i]! ^= this.iv[i]!;
    const pad = plain[plain.length - 1]!;
    // A wrong key or a tampered block yields a random pad byte; refuse it instead of slicing garbage.
    if (pad < 1 || pad > PAD_BLOCK || pad > plain.length) {
      throw new WecomCryptoError(
        CryptoErrorCode.DecryptAES,
        'bad padding (wrong key or tampered ciphertext)',
      );
    }
    const body = plain.subarray(0, plain.length - pad);
    if (body.length < RANDOM_LEN + LEN_FIELD)
      throw new WecomCryptoError(CryptoErrorCode.IllegalBuffer, 'plaintext too short');
    const msgLen = body.readUInt32BE(RANDOM_LEN);
    const msgStart = RANDOM_LEN + LEN_FIELD;
    if (msgLen > body.length - msgStart)
      throw new WecomCryptoError(CryptoErrorCode.IllegalBuffer, 'message length exceeds plaintext');
    return {
      message: body.subarray(msgStart, msgStart + msgLen).toString('utf8'),
      receiveId: body.subarray(msgStart + msgLen).toString('utf8'),
    };
  }

  /**
   * Encrypts like WeCom does. `random` (16 bytes) is only for deterministic tests; production uses fresh
   * random bytes, which also makes two encryptions of the same message unlinkable.
   */
  encrypt(message: string, random: Buffer = randomBytes(RANDOM_LEN)): string {
    if (random.length !== RANDOM_LEN)
      throw new WecomCryptoError(CryptoErrorCode.EncryptAES, 'random prefix must be 16 bytes');
    const msg = Buffer.from(message, 'utf8');
    const len = Buffer.alloc(LEN_FIELD);
    len.writeUInt32BE(msg.length); // bytes, not chars (docs/protocol.md §wxbizmsgcrypt: the 你好 vector)
    const unpadded = Buffer.concat([random, len, msg, Buffer.from(this.receiveId, 'utf8')]);
    const pad = PAD_BLOCK - (unpadded.length % PAD_BLOCK); // 1..32, a full block when aligned
    const plain = Buffer.concat([unpadded, Buffer.alloc(pad, pad)]);
    try {
      const cipher = createCipheriv('aes-256-cbc', this.key, this.iv);
      cipher.setAutoPadding(false);
      return Buffer.concat([cipher.update(plain), cipher.final()]).toString('base64');
    } catch {
      throw new WecomCryptoError(CryptoErrorCode.EncryptAES, 'aes encrypt failed');
    }
  }

  /**
   * What the callback route needs: signature check → decrypt → receive id must be ours (the corp id for
   * kf). Order matters: never spend AES work or leak timing on unsigned input.
   */
  open(signature: string, timestamp: string, nonce: string, encrypt: string): string {
    if (!this.verify(signature, timestamp, nonce, encrypt)) {
      throw new WecomCryptoError(CryptoErrorCode.ValidateSignature, 'bad signature');
    }
    const { message, receiveId } = this.decrypt(encrypt);
    if (receiveId !== this.receiveId)
      throw new WecomCryptoError(CryptoErrorCode.ValidateReceiveId, 'receive id mismatch');
    return message;
  }

  /**
   * GET URL verification (docs/protocol.md §callback-verify): returns the plaintext to echo back verbatim. Some frameworks decode
   * '+' in a query string to a space; base64 never contains spaces, so restoring them is safe.
   */
  verifyUrl(signature: string, timestamp: string, nonce: string, echostr: string): string {
    return this.open(signature, timestamp, nonce, String(echostr ?? '').replace(/ /g, '+'));
  }
}

function randomAlnum(length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += ALNUM[randomInt(ALNUM.length)];
  return out;
}

/** A callback Token as the console would accept it: letters/digits, ≤32 chars (docs/protocol.md §callback-config). */
export function generateToken(): string {
  return randomAlnum(32);
}

/**
 * 43 chars of [a-zA-Z0-9]; any such string plus '=' decodes to 32 bytes (43·6 = 258 bits, the last 2
 * discarded), which is exactly how the WeCom console generates them.
 */
export function generateEncodingAesKey(): string {
  return randomAlnum(43);
}
