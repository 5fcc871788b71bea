/** Assertions on the typed errors (AppError) that code under test rejects with. */
import { expect } from 'vitest';
import { AppError } from '../../functions/shared/errors.js';

/** The AppError `p` rejects with; the test fails when `p` resolves or rejects with anything else. */
export async function rejectionOf(p: Promise<unknown>): Promise<AppError> {
  const e = await p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (x) => x,
  );
  expect(e).toBeInstanceOf(AppError);
  return e as AppError;
}

/** `detail.reason` of the AppError `p` rejects with, once its code is checked. */
export async function refusalReason(p: Promise<unknown>, code: string): Promise<unknown> {
  const e = await rejectionOf(p);
  expect(e.code).toBe(code);
  return e.detail?.reason;
}
