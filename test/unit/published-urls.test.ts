import { expect, test } from 'vitest';
import { createObjectStore } from '../../functions/adapters/storage/object-store.js';
import { publishedKey } from '../../functions/domain/rendering/keys.js';

const sha = 'ab'.repeat(32);

test('published keys are named by content, under published/, and refuse odd ids', () => {
  expect(
    publishedKey({ orgId: 'org1', requestId: 'req1', platform: 'instagram_square', format: 'jpeg', sha256: sha }),
  ).toBe(`published/org1/req1/instagram_square-${sha.slice(0, 16)}.jpg`);
  expect(() => publishedKey({ orgId: '../x', requestId: 'r', platform: 'p', format: 'png', sha256: sha })).toThrow(
    RangeError,
  );
  expect(() => publishedKey({ orgId: 'o', requestId: 'r', platform: 'p', format: 'png', sha256: 'nothex' })).toThrow(
    RangeError,
  );
});

test('public URLs: the CloudFront domain without the origin path in AWS, the S3 endpoint locally; only for published keys', () => {
  const key = `published/org1/req1/facebook-${sha.slice(0, 16)}.png`;
  expect(createObjectStore({ bucket: 'assets', cdnDomain: 'd111.cloudfront.net' }).publicUrl(key)).toBe(
    `https://d111.cloudfront.net/org1/req1/facebook-${sha.slice(0, 16)}.png`,
  );
  expect(createObjectStore({ bucket: 'assets', endpoint: 'http://127.0.0.1:4569' }).publicUrl(key)).toBe(
    `http://127.0.0.1:4569/assets/${key}`,
  );
  expect(() =>
    createObjectStore({ bucket: 'assets', cdnDomain: 'd111.cloudfront.net' }).publicUrl(
      'orgs/org1/requests/req1/master.png',
    ),
  ).toThrow(/not a published key/);
});
