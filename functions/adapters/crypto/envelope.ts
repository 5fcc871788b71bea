/**
 * Envelope encryption for sensitive fields (webhook secrets, per-tenant tokens, task tokens).
 *
 * Each value gets a fresh 256-bit data key; the value is sealed with AES-256-GCM under that data key
 * and the data key is sealed by a key-encryption key (KEK) held by a `KeyProvider`: AWS KMS in AWS,
 * a 32-byte key file locally. The result is one printable, versioned string:
 *
 *   v1.<kid>.<wrapped data key>.<iv>.<ciphertext+tag>        (parts base64url)
 *
 * The field context (tenant + field name, optionally the row) is authenticated as associated data,
 * both when sealing the value and when wrapping the data key (the KMS encryption context), so a
 * ciphertext copied into another tenant's row, another column or another version fails to decrypt.
 * Plaintext and key material never appear in errors or logs.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { DecryptCommand, GenerateDataKeyCommand } from '@aws-sdk/client-kms';
import { z } from 'zod';
import { AppError } from '../../shared/errors.js';
import { runsInAws } from '../../shared/runtime.js';
import type { AdapterPermissions } from '../aws-permissions.js';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;

/** Where an encrypted value belongs. Decrypting requires exactly the same context. */
export interface FieldContext {
  /** The owning tenant: a value cannot be moved to another tenant's row. */
  orgId: string;
  /** Table and column, e.g. `webhook_endpoints.secret_enc`. */
  field: string;
  /** Optional row id, to pin the value to one row as well. */
  rowId?: string;
}

/** A fresh data key: use `plaintext` once, store `wrapped`. */
export interface DataKey {
  plaintext: Buffer;
  wrapped: Buffer;
}

/**
 * Port for the key-encryption key. Implementations: `LocalKeyProvider` (key file) and
 * `KmsKeyProvider` (AWS KMS GenerateDataKey/Decrypt). `context` must be bound to the wrapped key.
 */
export interface KeyProvider {
  /** Short id written into every ciphertext ([a-z0-9-]); decrypt refuses values of another kid. */
  readonly kid: string;
  generateDataKey(context: Record<string, string>): Promise<DataKey>;
  unwrapDataKey(wrapped: Buffer, context: Record<string, string>): Promise<Buffer>;
}

const b64 = (b: Buffer) => b.toString('base64url');
const unb64 = (s: string) => Buffer.from(s, 'base64url');

function contextMap(ctx: FieldContext): Record<string, string> {
  if (!ctx || typeof ctx.orgId !== 'string' || !ctx.orgId || typeof ctx.field !== 'string' || !ctx.field) {
    throw new AppError('internal', 'field encryption needs a context with orgId and field');
  }
  const m: Record<string, string> = { field: ctx.field, org: ctx.orgId };
  if (ctx.rowId) m.row = ctx.rowId;
  return m;
}
/** Stable serialization (sorted keys) so the same context always gives the same AAD bytes. */
function canonical(m: Record<string, string>): string {
  return JSON.stringify(
    Object.keys(m)
      .sort()
      .map((k) => [k, m[k]]),
  );
}

function undecryptable(cause?: unknown): AppError {
  // Deliberately vague and value-free: never echo the ciphertext, plaintext or key.
  return new AppError(
    'internal',
    'an encrypted field could not be decrypted (wrong key, wrong context or tampered value)',
    { cause },
  );
}

/** Encrypts and decrypts field values with envelope encryption under one KeyProvider. */
export class FieldCipher {
  private readonly cache = new Map<string, { key: Buffer; at: number }>();

  /**
   * @param provider holder of the key-encryption key
   * @param opts.cacheMs how long an unwrapped data key is reused for repeated decrypts of the same
   *   value (saves a KMS round trip per webhook delivery); 0 disables.
   */
  constructor(
    private readonly provider: KeyProvider,
    private readonly opts: { cacheMs?: number; cacheMax?: number } = {},
  ) {
    if (!/^[a-z0-9-]{1,40}$/.test(provider.kid))
      throw new Error(`key provider id must match [a-z0-9-]{1,40}: ${provider.kid}`);
  }

  async encrypt(plaintext: string, ctx: FieldContext): Promise<string> {
    if (typeof plaintext !== 'string') throw new AppError('internal', 'only strings can be encrypted');
    const m = contextMap(ctx);
    const dk = await this.provider.generateDataKey(m);
    try {
      const iv = randomBytes(IV_BYTES);
      const header = `${VERSION}.${this.provider.kid}.${b64(dk.wrapped)}`;
      const c = createCipheriv('aes-256-gcm', dk.plaintext, iv);
      c.setAAD(Buffer.from(`${header}\n${canonical(m)}`, 'utf8'));
      const ct = Buffer.concat([c.update(plaintext, 'utf8'), c.final(), c.getAuthTag()]);
      return `${header}.${b64(iv)}.${b64(ct)}`;
    } finally {
      dk.plaintext.fill(0);
    }
  }

  async decrypt(value: string, ctx: FieldContext): Promise<string> {
    const m = contextMap(ctx);
    const parts = typeof value === 'string' ? value.split('.') : [];
    if (parts.length !== 5 || parts[0] !== VERSION) throw undecryptable();
    const [, kid, wrappedB64, ivB64, ctB64] = parts;
    if (kid !== this.provider.kid) {
      throw new AppError(
        'internal',
        `an encrypted field was sealed under key "${kid}" but this process holds key "${this.provider.kid}"`,
      );
    }
    const iv = unb64(ivB64);
    const ct = unb64(ctB64);
    if (iv.length !== IV_BYTES || ct.length < TAG_BYTES) throw undecryptable();
    const header = `${VERSION}.${kid}.${wrappedB64}`;
    const cacheKey = `${wrappedB64}\n${canonical(m)}`;
    let key: Buffer;
    const hit = this.cache.get(cacheKey);
    const ttl = this.opts.cacheMs ?? 300_000;
    if (hit && Date.now() - hit.at < ttl) {
      key = hit.key;
    } else {
      try {
        key = await this.provider.unwrapDataKey(unb64(wrappedB64), m);
      } catch (e) {
        if (e instanceof AppError && e.retryable) throw e;
        throw undecryptable(e);
      }
      if (key.length !== KEY_BYTES) throw undecryptable();
      if (ttl > 0) {
        if (this.cache.size >= (this.opts.cacheMax ?? 256)) this.cache.delete(this.cache.keys().next().value as string);
        this.cache.set(cacheKey, { key, at: Date.now() });
      }
    }
    try {
      const d = createDecipheriv('aes-256-gcm', key, iv);
      d.setAAD(Buffer.from(`${header}\n${canonical(m)}`, 'utf8'));
      d.setAuthTag(ct.subarray(ct.length - TAG_BYTES));
      return Buffer.concat([d.update(ct.subarray(0, ct.length - TAG_BYTES)), d.final()]).toString('utf8');
    } catch (e) {
      throw undecryptable(e);
    }
  }
}

/** True when `value` looks like a FieldCipher ciphertext (for migrations of legacy plaintext). */
export function isEncryptedField(value: unknown): value is string {
  return typeof value === 'string' && /^v1\.[a-z0-9-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(value);
}

/** KEK from a 32-byte key: wraps data keys with AES-256-GCM, the context as associated data. */
export class LocalKeyProvider implements KeyProvider {
  readonly kid: string;
  private readonly kek: Buffer;

  constructor(kek: Buffer) {
    if (kek.length !== KEY_BYTES) throw new Error(`local field key must be ${KEY_BYTES} bytes, got ${kek.length}`);
    this.kek = Buffer.from(kek);
    // A fingerprint, not the key: tells "wrong key file" apart from "tampered value".
    this.kid = `local-${createHash('sha256').update(this.kek).digest('hex').slice(0, 8)}`;
  }

  /**
   * Reads the key file, creating it (32 random bytes, base64, mode 0600, directory 0700) when
   * missing. Refuses a file that other users can read.
   */
  static fromFile(file: string = DEFAULT_LOCAL_KEY_FILE): LocalKeyProvider {
    const abs = path.resolve(file);
    let text: string;
    try {
      text = readFileSync(abs, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      mkdirSync(path.dirname(abs), { recursive: true, mode: 0o700 });
      try {
        writeFileSync(abs, `${randomBytes(KEY_BYTES).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
        chmodSync(abs, 0o600); // the umask may have narrowed it further; never wider
      } catch (w) {
        if ((w as NodeJS.ErrnoException).code !== 'EEXIST') throw w; // another process won the race
      }
      text = readFileSync(abs, 'utf8');
    }
    if (process.platform !== 'win32' && (statSync(abs).mode & 0o077) !== 0) {
      throw new Error(`configuration error: field key file ${abs} is readable by other users; run chmod 600 on it`);
    }
    const key = Buffer.from(text.trim(), 'base64');
    if (key.length !== KEY_BYTES)
      throw new Error(`configuration error: field key file ${abs} must hold ${KEY_BYTES} base64-encoded bytes`);
    return new LocalKeyProvider(key);
  }

  async generateDataKey(context: Record<string, string>): Promise<DataKey> {
    const plaintext = randomBytes(KEY_BYTES);
    const iv = randomBytes(IV_BYTES);
    const c = createCipheriv('aes-256-gcm', this.kek, iv);
    c.setAAD(Buffer.from(canonical(context), 'utf8'));
    const wrapped = Buffer.concat([iv, c.update(plaintext), c.final(), c.getAuthTag()]);
    return { plaintext, wrapped };
  }

  async unwrapDataKey(wrapped: Buffer, context: Record<string, string>): Promise<Buffer> {
    if (wrapped.length !== IV_BYTES + KEY_BYTES + TAG_BYTES) throw new Error('wrapped data key has the wrong length');
    const d = createDecipheriv('aes-256-gcm', this.kek, wrapped.subarray(0, IV_BYTES));
    d.setAAD(Buffer.from(canonical(context), 'utf8'));
    d.setAuthTag(wrapped.subarray(wrapped.length - TAG_BYTES));
    return Buffer.concat([d.update(wrapped.subarray(IV_BYTES, wrapped.length - TAG_BYTES)), d.final()]);
  }
}

type KmsSdk = typeof import('@aws-sdk/client-kms');
let kmsSdk: Promise<KmsSdk> | undefined;
const loadKms = (): Promise<KmsSdk> => (kmsSdk ??= import('@aws-sdk/client-kms'));

/** The subset of KMSClient used here (lets unit tests pass an in-memory fake). */
export interface KmsLike {
  send(
    command: GenerateDataKeyCommand | DecryptCommand,
  ): Promise<{ Plaintext?: Uint8Array; CiphertextBlob?: Uint8Array }>;
}

/** IAM needs of the KMS provider: `key` = FIELD_KMS_KEY_ID's key ARN. */
export const FIELD_CIPHER_PERMISSIONS = {
  encrypt: [{ action: 'kms:GenerateDataKey', on: 'key' }],
  decrypt: [{ action: 'kms:Decrypt', on: 'key' }],
} as const satisfies AdapterPermissions<'encrypt' | 'decrypt', 'key'>;

/** KEK in AWS KMS: GenerateDataKey to seal, Decrypt to open; the context is the KMS encryption context. */
export class KmsKeyProvider implements KeyProvider {
  readonly kid = 'kms';
  private client: KmsLike | undefined;

  constructor(private readonly opts: { keyId: string; client?: KmsLike; region?: string }) {
    this.client = opts.client;
  }

  /** The SDK, loaded at the first key operation rather than at module load (~60 ms of a cold start). */
  private async kms() {
    const sdk = await loadKms();
    this.client ??= new sdk.KMSClient(this.opts.region ? { region: this.opts.region } : {}) as unknown as KmsLike;
    return { sdk, client: this.client };
  }

  async generateDataKey(context: Record<string, string>): Promise<DataKey> {
    const { sdk, client } = await this.kms();
    const out = await this.call(() =>
      client.send(
        new sdk.GenerateDataKeyCommand({ KeyId: this.opts.keyId, KeySpec: 'AES_256', EncryptionContext: context }),
      ),
    );
    if (!out.Plaintext || !out.CiphertextBlob) throw new AppError('internal', 'KMS GenerateDataKey returned no key');
    return { plaintext: Buffer.from(out.Plaintext), wrapped: Buffer.from(out.CiphertextBlob) };
  }

  async unwrapDataKey(wrapped: Buffer, context: Record<string, string>): Promise<Buffer> {
    // KeyId pins the KEK: a blob produced under another key is refused rather than decrypted.
    const { sdk, client } = await this.kms();
    const out = await this.call(() =>
      client.send(
        new sdk.DecryptCommand({ KeyId: this.opts.keyId, CiphertextBlob: wrapped, EncryptionContext: context }),
      ),
    );
    if (!out.Plaintext) throw new AppError('internal', 'KMS Decrypt returned no key');
    return Buffer.from(out.Plaintext);
  }

  private async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      const name = (e as { name?: string }).name ?? '';
      if (/Throttling|LimitExceeded|KMSInternal|ServiceUnavailable|TimeoutError|ECONNRESET/i.test(name)) {
        throw new AppError('upstream_unavailable', 'the key service is busy; try again', { retryable: true, cause: e });
      }
      throw e;
    }
  }
}

export const DEFAULT_LOCAL_KEY_FILE = '.local/keys/field.key';

/** Configuration for `keyProviderFromEnv`: KMS when FIELD_KMS_KEY_ID is set, else the local key file. */
export const fieldCryptoEnv = z.object({
  /** KMS key id/ARN/alias of the KEK (AWS). */
  FIELD_KMS_KEY_ID: z.string().min(1).optional(),
  /** Local key file (created when missing). */
  FIELD_KEY_FILE: z.string().min(1).default(DEFAULT_LOCAL_KEY_FILE),
  AWS_REGION: z.string().optional(),
});

export function keyProviderFromEnv(source: Record<string, string | undefined> = process.env): KeyProvider {
  const r = fieldCryptoEnv.safeParse(source);
  if (!r.success)
    throw new Error(
      `configuration error: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  const env = r.data;
  if (env.FIELD_KMS_KEY_ID) return new KmsKeyProvider({ keyId: env.FIELD_KMS_KEY_ID, region: env.AWS_REGION });
  // A key file in a Lambda would be a fresh key per container (under a read-only /var/task it
  // cannot even be written) that no other function can open: refuse rather than seal with it.
  if (runsInAws(source)) {
    throw new Error(
      'configuration error: FIELD_KMS_KEY_ID is not set; in AWS field encryption needs the KMS key (give the function the fieldKey need)',
    );
  }
  return LocalKeyProvider.fromFile(env.FIELD_KEY_FILE);
}

/** One FieldCipher per process, configured from env at first use. */
let shared: FieldCipher | undefined;
export function fieldCipher(): FieldCipher {
  shared ??= new FieldCipher(keyProviderFromEnv());
  return shared;
}
