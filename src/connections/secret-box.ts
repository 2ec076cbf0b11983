/**
 * Connection secrets at rest: AES-256-GCM under a 32-byte key kept in a file outside the
 * database (`--secret-key-file`, default `<data-dir>/secret.key`). A database file, its WAL or a
 * backup of them reveals no credential without that file.
 *
 * A sealed value is text: `v1.` + base64(iv (12 bytes) | tag (16 bytes) | ciphertext). The
 * connection's ARN is the additional authenticated data, so a sealed value copied onto another
 * connection's row does not open.
 *
 * The key file holds the key as base64 (44 characters) or hex (64), with optional whitespace.
 * When the default file is absent it is created with fresh random bytes, mode 0600; a file named
 * explicitly must exist (a typo must not silently start a new key that opens nothing).
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const VERSION = 'v1.';
const IV_BYTES = 12;
const TAG_BYTES = 16;
export const SECRET_KEY_FILE = 'secret.key';

export class SecretKeyError extends Error {}

export class SecretBox {
  readonly #key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== 32) throw new SecretKeyError(`the secret key must be 32 bytes, not ${key.length}`);
    this.#key = Buffer.from(key);
  }

  /**
   * The box whose key is in `file` (default `<dataDir>/secret.key`, created when absent).
   * Throws SecretKeyError when the file cannot be read or holds no 32-byte key.
   */
  static open(dataDir: string, file?: string): SecretBox {
    const path = file ?? join(dataDir, SECRET_KEY_FILE);
    if (file === undefined && !existsSync(path)) {
      try {
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new SecretKeyError(`cannot create the secret key file ${path}: ${(e as Error).message}`);
      }
    }
    let text: string;
    try {
      text = readFileSync(path, 'utf8').trim();
    } catch (e) {
      throw new SecretKeyError(`cannot read the secret key file ${path}: ${(e as Error).message}`);
    }
    const key = /^[0-9a-fA-F]{64}$/.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64');
    if (key.length !== 32) throw new SecretKeyError(`the secret key file ${path} must hold 32 bytes as base64 or hex`);
    return new SecretBox(key);
  }

  seal(plaintext: string, context: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return VERSION + Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
  }

  /** Throws SecretKeyError when the value was sealed under another key or context, or altered. */
  open(sealed: string, context: string): string {
    if (!sealed.startsWith(VERSION)) throw new SecretKeyError('not a sealed value');
    const bytes = Buffer.from(sealed.slice(VERSION.length), 'base64');
    const decipher = createDecipheriv('aes-256-gcm', this.#key, bytes.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(bytes.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretKeyError(`cannot open the secrets of ${context}: sealed under another secret key, or altered`);
    }
  }

  /** Never print the key. */
  toJSON(): string {
    return '[SecretBox]';
  }
}
