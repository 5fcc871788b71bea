import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type DecryptCommand, GenerateDataKeyCommand } from '@aws-sdk/client-kms';
import { afterAll, describe, expect, test } from 'vitest';
import {
  FieldCipher,
  KmsKeyProvider,
  LocalKeyProvider,
  isEncryptedField,
  keyProviderFromEnv,
  type FieldContext,
  type KmsLike,
} from '../../functions/adapters/crypto/envelope.js';

const ORG_A = '0b6f8f3e-1f0e-4a51-9d1c-7f7cbb2d0a01';
const ORG_B = '5c1d2a9e-3b7f-4e0c-8a6d-2e4f6a8b0c02';
const ctxA: FieldContext = { orgId: ORG_A, field: 'webhook_endpoints.secret_enc' };
const SECRET = 'whsec_Zr4l-päßwörd-🔑';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'svp-crypto-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const cipher = new FieldCipher(new LocalKeyProvider(randomBytes(32)));

/** Flips one bit in the decoded bytes of part `i` of a ciphertext. */
function tamper(value: string, i: number): string {
  const parts = value.split('.');
  const b = Buffer.from(parts[i], 'base64url');
  b[Math.floor(b.length / 2)] ^= 0x01;
  parts[i] = b.toString('base64url');
  return parts.join('.');
}

describe('FieldCipher with a local key', () => {
  test('round trip returns the original text, and the ciphertext does not contain it', async () => {
    const enc = await cipher.encrypt(SECRET, ctxA);
    expect(enc.startsWith('v1.local-')).toBe(true);
    expect(isEncryptedField(enc)).toBe(true);
    expect(enc).not.toContain('whsec');
    expect(await cipher.decrypt(enc, ctxA)).toBe(SECRET);
    expect(await cipher.decrypt(await cipher.encrypt('', ctxA), ctxA)).toBe('');
  });

  test('the same value encrypts differently every time (fresh data key and IV)', async () => {
    const [a, b] = [await cipher.encrypt(SECRET, ctxA), await cipher.encrypt(SECRET, ctxA)];
    expect(a).not.toBe(b);
    expect(a.split('.')[2]).not.toBe(b.split('.')[2]);
  });

  test('a value moved to another tenant, column or row does not decrypt', async () => {
    const enc = await cipher.encrypt(SECRET, { ...ctxA, rowId: 'row-1' });
    await expect(cipher.decrypt(enc, { ...ctxA, orgId: ORG_B, rowId: 'row-1' })).rejects.toThrow(
      /could not be decrypted/,
    );
    await expect(
      cipher.decrypt(enc, { ...ctxA, field: 'social_connections.access_token_enc', rowId: 'row-1' }),
    ).rejects.toThrow(/could not be decrypted/);
    await expect(cipher.decrypt(enc, { ...ctxA, rowId: 'row-2' })).rejects.toThrow(/could not be decrypted/);
    await expect(cipher.decrypt(enc, ctxA)).rejects.toThrow(/could not be decrypted/);
    expect(await cipher.decrypt(enc, { ...ctxA, rowId: 'row-1' })).toBe(SECRET);
  });

  test('tampering with any part is detected, and errors never echo the plaintext', async () => {
    const enc = await cipher.encrypt(SECRET, ctxA);
    for (const i of [2, 3, 4]) {
      const err = await cipher.decrypt(tamper(enc, i), ctxA).then(
        () => null,
        (e: Error) => e,
      );
      expect(err, `part ${i}`).toBeInstanceOf(Error);
      expect(err!.message).toMatch(/could not be decrypted/);
      expect(`${err!.message} ${String(err!.cause ?? '')}`).not.toContain('whsec');
    }
    // truncation, wrong version, garbage
    await expect(cipher.decrypt(enc.slice(0, -4), ctxA)).rejects.toThrow(/could not be decrypted/);
    await expect(cipher.decrypt(enc.replace(/^v1\./, 'v2.'), ctxA)).rejects.toThrow(/could not be decrypted/);
    await expect(cipher.decrypt('not-encrypted', ctxA)).rejects.toThrow(/could not be decrypted/);
  });

  test('a ciphertext swapped between fields of the same tenant fails even with an untouched data key', async () => {
    const a = (await cipher.encrypt('first', ctxA)).split('.');
    const b = (await cipher.encrypt('second', ctxA)).split('.');
    const spliced = [...a.slice(0, 3), ...b.slice(3)].join('.');
    await expect(cipher.decrypt(spliced, ctxA)).rejects.toThrow(/could not be decrypted/);
  });

  test('another key cannot decrypt, and says which key the value needs', async () => {
    const enc = await cipher.encrypt(SECRET, ctxA);
    const other = new FieldCipher(new LocalKeyProvider(randomBytes(32)));
    await expect(other.decrypt(enc, ctxA)).rejects.toThrow(/sealed under key "local-[0-9a-f]{8}"/);
  });

  test('a context without tenant or field is refused', async () => {
    await expect(cipher.encrypt('x', { orgId: '', field: 'f' })).rejects.toThrow(/orgId and field/);
    await expect(cipher.encrypt('x', { orgId: ORG_A } as FieldContext)).rejects.toThrow(/orgId and field/);
  });
});

describe('LocalKeyProvider.fromFile', () => {
  test('creates a 32-byte key with mode 0600 when missing, and reuses it afterwards', async () => {
    const file = path.join(tmp, 'nested', 'keys', 'field.key');
    const p1 = LocalKeyProvider.fromFile(file);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(Buffer.from(readFileSync(file, 'utf8').trim(), 'base64')).toHaveLength(32);
    const p2 = LocalKeyProvider.fromFile(file);
    expect(p2.kid).toBe(p1.kid);
    const enc = await new FieldCipher(p1).encrypt(SECRET, ctxA);
    expect(await new FieldCipher(p2).decrypt(enc, ctxA)).toBe(SECRET);
  });

  test('refuses a key file other users can read, and a key of the wrong size', () => {
    const open = path.join(tmp, 'open.key');
    writeFileSync(open, randomBytes(32).toString('base64'));
    chmodSync(open, 0o644);
    expect(() => LocalKeyProvider.fromFile(open)).toThrow(/readable by other users/);
    const short = path.join(tmp, 'short.key');
    writeFileSync(short, randomBytes(16).toString('base64'), { mode: 0o600 });
    expect(() => LocalKeyProvider.fromFile(short)).toThrow(/32 base64-encoded bytes/);
  });

  test('keyProviderFromEnv picks the key file unless a KMS key is configured', () => {
    const file = path.join(tmp, 'env.key');
    expect(keyProviderFromEnv({ FIELD_KEY_FILE: file }).kid).toMatch(/^local-/);
    expect(keyProviderFromEnv({ FIELD_KMS_KEY_ID: 'alias/svp-fields', AWS_REGION: 'eu-west-1' }).kid).toBe('kms');
  });

  test('never falls back to a key file inside AWS: no key is created, the error names the missing variable', () => {
    for (const aws of [
      { AWS_LAMBDA_FUNCTION_NAME: 'svp-prod-task' },
      { LAMBDA_TASK_ROOT: '/var/task' },
      { APP_MODE: 'aws' },
    ]) {
      const file = path.join(tmp, `lambda-${Object.keys(aws)[0]}.key`);
      expect(() => keyProviderFromEnv({ ...aws, FIELD_KEY_FILE: file })).toThrow(/FIELD_KMS_KEY_ID is not set/);
      expect(statSync(file, { throwIfNoEntry: false })).toBeUndefined();
    }
    expect(
      keyProviderFromEnv({
        AWS_LAMBDA_FUNCTION_NAME: 'svp-prod-task',
        FIELD_KMS_KEY_ID: 'arn:aws:kms:eu-west-1:1:key/k',
      }).kid,
    ).toBe('kms');
  });
});

/** In-memory stand-in for KMS that enforces the encryption context like the real service. */
class FakeKms implements KmsLike {
  readonly kek = randomBytes(32);
  calls: string[] = [];
  async send(cmd: GenerateDataKeyCommand | DecryptCommand) {
    const ctx = JSON.stringify(cmd.input.EncryptionContext ?? {});
    if (cmd instanceof GenerateDataKeyCommand) {
      this.calls.push(`generate ${cmd.input.KeyId} ${cmd.input.KeySpec} ${ctx}`);
      const dk = randomBytes(32);
      const iv = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', this.kek, iv);
      c.setAAD(Buffer.from(ctx));
      return { Plaintext: dk, CiphertextBlob: Buffer.concat([iv, c.update(dk), c.final(), c.getAuthTag()]) };
    }
    this.calls.push(`decrypt ${cmd.input.KeyId} ${ctx}`);
    const blob = Buffer.from(cmd.input.CiphertextBlob!);
    const d = createDecipheriv('aes-256-gcm', this.kek, blob.subarray(0, 12));
    d.setAAD(Buffer.from(ctx));
    d.setAuthTag(blob.subarray(blob.length - 16));
    try {
      return { Plaintext: Buffer.concat([d.update(blob.subarray(12, blob.length - 16)), d.final()]) };
    } catch {
      throw Object.assign(new Error('InvalidCiphertextException'), { name: 'InvalidCiphertextException' });
    }
  }
}

describe('KmsKeyProvider', () => {
  test('seals data keys with the tenant as encryption context; another tenant cannot open them', async () => {
    const kms = new FakeKms();
    const c = new FieldCipher(new KmsKeyProvider({ keyId: 'alias/svp-fields', client: kms }), { cacheMs: 0 });
    const enc = await c.encrypt(SECRET, ctxA);
    expect(enc.startsWith('v1.kms.')).toBe(true);
    expect(await c.decrypt(enc, ctxA)).toBe(SECRET);
    expect(kms.calls[0]).toBe(`generate alias/svp-fields AES_256 ${JSON.stringify({ field: ctxA.field, org: ORG_A })}`);
    expect(kms.calls[1]).toMatch(/^decrypt alias\/svp-fields /);
    await expect(c.decrypt(enc, { ...ctxA, orgId: ORG_B })).rejects.toThrow(/could not be decrypted/);
  });

  test('repeated decrypts of one value reuse the unwrapped data key (one KMS call)', async () => {
    const kms = new FakeKms();
    const c = new FieldCipher(new KmsKeyProvider({ keyId: 'k', client: kms }));
    const enc = await c.encrypt(SECRET, ctxA);
    for (let i = 0; i < 3; i++) expect(await c.decrypt(enc, ctxA)).toBe(SECRET);
    expect(kms.calls.filter((x) => x.startsWith('decrypt'))).toHaveLength(1);
  });

  test('KMS throttling surfaces as a retryable error', async () => {
    const busy: KmsLike = {
      send: async () => {
        throw Object.assign(new Error('slow down'), { name: 'ThrottlingException' });
      },
    };
    const c = new FieldCipher(new KmsKeyProvider({ keyId: 'k', client: busy }));
    await expect(c.encrypt(SECRET, ctxA)).rejects.toMatchObject({
      name: 'Transient.upstream_unavailable',
      retryable: true,
    });
  });
});
