/** A unique name per organization, taken: the one 409 every named resource answers with. */
import { isUniqueViolation } from '../adapters/db/pg-errors.js';
import { AppError } from '../shared/errors.js';

/**
 * Runs a write that may hit the name's unique constraint and turns that violation into a 409 on
 * `body.name` (e.g. "A brand with this name exists"); any other error passes through.
 */
export async function uniqueName<T>(constraint: string, resource: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (e) {
    if (!isUniqueViolation(e, constraint)) throw e;
    throw new AppError('conflict', `A ${resource} with this name exists`, {
      fields: [{ path: 'body.name', message: 'already in use' }],
    });
  }
}
