/**
 * One rule for "may trying again get past this?" (functions/shared/errors.ts), used by the
 * workflow tasks (raw errors become Transient.*), the Freepik retry loop, safe downloads and the
 * Meta connector. The cases are the failures those callers actually see.
 */
import { describe, expect, it } from 'vitest';
import { classifyGraphError } from '../../functions/adapters/analytics/meta-graph-connector.js';
import { AppError, asTransient, isTransientError, isTransientStatus } from '../../functions/shared/errors.js';

const withCode = (code: string, message = code) => Object.assign(new Error(message), { code });
const sdkError = (name: string, status: number) =>
  Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });
const noHeaders = { get: () => null };

describe('isTransientStatus', () => {
  it.each([
    [0, true],
    [408, true],
    [429, true],
    [500, true],
    [503, true],
    [599, true],
    [200, false],
    [400, false],
    [401, false],
    [403, false],
    [404, false],
    [422, false],
  ])('%i -> %s', (status, transient) => {
    expect(isTransientStatus(status)).toBe(transient);
  });
});

describe('isTransientError', () => {
  it('takes an AppError at its word', () => {
    expect(isTransientError(new AppError('upstream_unavailable', 'x', { retryable: true }))).toBe(true);
    expect(isTransientError(new AppError('rate_limited', 'x', { retryable: true }))).toBe(true);
    expect(isTransientError(new AppError('upstream_rejected', 'x'))).toBe(false);
    // A retryable-looking cause inside a permanent AppError stays permanent: the AppError decided.
    expect(isTransientError(new AppError('validation_failed', 'x', { cause: withCode('ECONNRESET') }))).toBe(false);
  });

  it.each([
    ['a reset socket', withCode('ECONNRESET')],
    ['a refused connection', withCode('ECONNREFUSED')],
    ['a DNS hiccup', withCode('EAI_AGAIN')],
    ['undici closing the socket', withCode('UND_ERR_SOCKET')],
    ['postgres.js losing its connection', withCode('CONNECTION_CLOSED')],
    ['an admin shutdown (57P01)', withCode('57P01')],
    ['a serialization failure (40001)', withCode('40001')],
    ['a deadlock (40P01)', withCode('40P01')],
    ['any connection exception (08xxx)', withCode('08006')],
    ['a server starting up', Object.assign(new Error('the database system is starting up'), { name: 'PostgresError' })],
    ['S3 throttling', sdkError('SlowDown', 503)],
    ['an SDK 500', sdkError('InternalError', 500)],
    ['an SDK 429', sdkError('ThrottlingException', 429)],
    ['an SDK timeout', Object.assign(new Error('timed out'), { name: 'TimeoutError' })],
    ['an SDK-retryable error', Object.assign(new Error('x'), { $retryable: {} })],
    ['a network error two causes down', new Error('outer', { cause: new Error('mid', { cause: withCode('EPIPE') }) })],
  ])('counts %s', (_what, e) => {
    expect(isTransientError(e)).toBe(true);
  });

  it.each([
    ['a plain bug', new TypeError('undefined is not a function')],
    ['a unique violation (23505)', withCode('23505')],
    ['an RLS refusal (42501)', withCode('42501')],
    ['S3 NoSuchKey', sdkError('NoSuchKey', 404)],
    ['an SDK access denial', sdkError('AccessDenied', 403)],
    [
      'a network error deeper than four causes',
      [1, 2, 3, 4].reduce((c) => new Error('wrap', { cause: c }), withCode('ECONNRESET') as Error),
    ],
    ['nothing at all', undefined],
  ])('does not count %s', (_what, e) => {
    expect(isTransientError(e)).toBe(false);
  });
});

describe('asTransient', () => {
  it('turns a raw transient failure into Transient.upstream_unavailable, keeping the cause', () => {
    const raw = withCode('ECONNRESET', 'read ECONNRESET');
    const e = asTransient(raw) as AppError;
    expect(e).toBeInstanceOf(AppError);
    expect(e.name).toBe('Transient.upstream_unavailable');
    expect(e.message).toContain('read ECONNRESET');
    expect(e.cause).toBe(raw);
  });

  it('leaves AppErrors and permanent failures alone', () => {
    const app = new AppError('invalid_state', 'no');
    expect(asTransient(app)).toBe(app);
    const bug = new TypeError('x');
    expect(asTransient(bug)).toBe(bug);
  });
});

describe('the Meta connector follows the same rule for HTTP answers', () => {
  it.each([
    [503, 'transient'],
    [500, 'transient'],
    [429, 'transient'],
    [0, 'transient'],
    [400, 'permanent'],
  ])('HTTP %i without a Graph code -> %s', (status, kind) => {
    expect(classifyGraphError(status, undefined, noHeaders).kind).toBe(kind);
  });
});
