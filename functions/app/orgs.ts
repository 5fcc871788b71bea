/** Use cases: the signed-in user, their organizations, creating and renaming one. */
import { randomBytes, randomUUID } from 'node:crypto';
import { withTenant, withUser, type Db, type Tx } from '../adapters/db/client.js';
import {
  findOrg,
  findUser,
  insertOrgWithOwner,
  listMyMemberships,
  listMyOrgRows,
  ORG_SLUG_CONSTRAINT,
  updateOrgRow,
  type OrgRow,
} from '../adapters/db/stores/org-store.js';
import type { OrgRole } from '../domain/roles.js';
import { AppError } from '../shared/errors.js';
import { audit, type ActorContext } from './audit.js';
import { isoReq } from './dto-dates.js';
import { isUniqueViolation } from '../adapters/db/pg-errors.js';

export interface OrgDto {
  id: string;
  name: string;
  slug: string;
  plan: string;
  status: string;
  apiRateLimitPerMinute: number;
  role: OrgRole;
  createdAt: string;
}
const toOrg = (o: OrgRow, role: OrgRole): OrgDto => ({
  id: o.id,
  name: o.name,
  slug: o.slug,
  plan: o.plan,
  status: o.status,
  apiRateLimitPerMinute: o.apiRateLimitPerMinute,
  role,
  createdAt: isoReq(o.createdAt),
});

export async function getMe(db: Db, userId: string) {
  return withUser(db, userId, async (tx) => {
    const u = await findUser(tx, userId);
    if (!u) throw new AppError('unauthenticated', 'Unknown user');
    return { user: u, memberships: await listMyMemberships(tx, userId) };
  });
}

export async function listMyOrgs(db: Db, userId: string): Promise<{ items: OrgDto[] }> {
  return withUser(db, userId, async (tx) => {
    const rows = await listMyOrgRows(tx, userId);
    return { items: rows.map((r) => toOrg(r.o, r.role)) };
  });
}

export function slugify(name: string): string {
  const base = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/, '');
  return base.length >= 2 ? base : `org${base ? `-${base}` : ''}`;
}

/** Creates the organization with the caller as its owner, in one transaction (RLS: as the new tenant). */
export async function createOrg(
  db: Db,
  ctx: Omit<ActorContext, 'orgId'> & { userId: string },
  input: { name: string; slug?: string },
): Promise<OrgDto> {
  const id = randomUUID();
  // Without an explicit slug, a random suffix keeps two "Acme" organizations from colliding.
  const slug = input.slug ?? `${slugify(input.name)}-${randomBytes(3).toString('hex')}`;
  try {
    return await withTenant(db, { orgId: id, userId: ctx.userId }, async (tx) => {
      const org = await insertOrgWithOwner(tx, { id, name: input.name, slug }, ctx.userId);
      await audit(
        tx,
        { ...ctx, orgId: id },
        { action: 'org.create', resourceType: 'organization', resourceId: id, details: { name: input.name, slug } },
      );
      return toOrg(org, 'owner');
    });
  } catch (e) {
    if (isUniqueViolation(e, ORG_SLUG_CONSTRAINT)) {
      throw new AppError('conflict', 'That slug is taken', {
        fields: [{ path: 'body.slug', message: 'already in use' }],
      });
    }
    throw e;
  }
}

export async function getOrg(tx: Tx, orgId: string, role: OrgRole): Promise<OrgDto> {
  const o = await findOrg(tx, orgId);
  if (!o) throw new AppError('not_found');
  return toOrg(o, role);
}

export async function updateOrg(tx: Tx, ctx: ActorContext, role: OrgRole, input: { name?: string }): Promise<OrgDto> {
  const o = await updateOrgRow(tx, ctx.orgId, input);
  if (!o) throw new AppError('not_found');
  await audit(tx, ctx, {
    action: 'org.update',
    resourceType: 'organization',
    resourceId: ctx.orgId,
    details: { fields: Object.keys(input) },
  });
  return toOrg(o, role);
}
