/**
 * Named resources of an organization (brands, templates, approval workflows): the DTO they share,
 * and for those whose name is unique per organization, the one 409 a taken name answers with and
 * the create/update sequence around it.
 */
import type { Tx } from '../adapters/db/client.js';
import { isUniqueViolation } from '../adapters/db/pg-errors.js';
import { AppError } from '../shared/errors.js';
import { audit, type ActorContext } from './audit.js';
import { isoReq } from './dto-dates.js';

interface NamedRow {
  id: string;
  name: string;
  description?: string | null;
  isActive: boolean;
  createdAt: Date;
  updatedAt: Date;
}

/**
 * A named resource as the API returns it, in the order its schema lists the fields
 * (handlers/api/schemas/common.ts `namedResource`): id, name, description, its own `fields`,
 * isActive and the timestamps.
 */
export const namedDto = <F extends object>(r: NamedRow, fields: F) => ({
  id: r.id,
  name: r.name,
  description: r.description ?? null,
  ...fields,
  isActive: r.isActive,
  createdAt: isoReq(r.createdAt),
  updatedAt: isoReq(r.updatedAt),
});

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

/** A resource whose name is unique per organization, as its writes need it. */
export interface NamedResource<Row, Dto> {
  /** Audit actions `<name>.create` / `<name>.update`; the 409 says "A <name> with this name exists". */
  name: string;
  /** The unique (organization, name) constraint. */
  constraint: string;
  /** `resourceType` of its audit entries, when it is not `name` (e.g. `approval_workflow`). */
  resourceType?: string;
  toDto: (row: Row) => Dto;
}

/**
 * The create and update of a named resource: the store write (a taken name answers 409), its
 * audit entry in the same transaction, the row mapped to the DTO.
 */
export function namedWrites<Row extends { id: string }, Dto>(r: NamedResource<Row, Dto>) {
  const write = (
    tx: Tx,
    ctx: ActorContext,
    verb: 'create' | 'update',
    store: () => Promise<Row>,
    details: (row: Row) => Record<string, unknown>,
  ): Promise<Dto> =>
    uniqueName(r.constraint, r.name, async () => {
      const row = await store();
      await audit(tx, ctx, {
        action: `${r.name}.${verb}`,
        resourceType: r.resourceType ?? r.name,
        resourceId: row.id,
        details: details(row),
      });
      return r.toDto(row);
    });
  return {
    /** Inserts the row; `details` are the facts its audit entry keeps. */
    create: (tx: Tx, ctx: ActorContext, insert: () => Promise<Row>, details: (row: Row) => Record<string, unknown>) =>
      write(tx, ctx, 'create', insert, details),
    /** Applies `input` to the row; the audit entry lists the fields given. */
    update: (tx: Tx, ctx: ActorContext, input: object, update: () => Promise<Row>) =>
      write(tx, ctx, 'update', update, () => ({ fields: Object.keys(input) })),
  };
}
