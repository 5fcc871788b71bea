/** Use cases: the signed-in user, their organizations, creating and renaming one. */
import { randomBytes, randomUUID } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import { withTenant, withUser, type Db, type Tx } from '../adapters/db/client.js';
import { organizations, userOrganizations, users } from '../../db/schema/index.js';
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
type OrgRow = typeof organizations.$inferSelect;
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
    const [u] = await tx
      .select({ id: users.id, email: users.email, displayName: users.displayName })
      .from(users)
      .where(eq(users.id, userId));
    if (!u) throw new AppError('unauthenticated', 'Unknown user');
    const memberships = await tx
      .select({
        orgId: organizations.id,
        orgName: organizations.name,
        orgSlug: organizations.slug,
        role: userOrganizations.role,
      })
      .from(userOrganizations)
      .innerJoin(organizations, eq(organizations.id, userOrganizations.organizationId))
      .where(
        and(
          eq(userOrganizations.userId, userId),
          eq(userOrganizations.status, 'active'),
          sql`${organizations.deletedAt} is null`,
        ),
      )
      .orderBy(organizations.name);
    return { user: u, memberships };
  });
}

export async function listMyOrgs(db: Db, userId: string): Promise<{ items: OrgDto[] }> {
  return withUser(db, userId, async (tx) => {
    const rows = await tx
      .select({ o: organizations, role: userOrganizations.role })
      .from(userOrganizations)
      .innerJoin(organizations, eq(organizations.id, userOrganizations.organizationId))
      .where(
        and(
          eq(userOrganizations.userId, userId),
          eq(userOrganizations.status, 'active'),
          sql`${organizations.deletedAt} is null`,
        ),
      )
      .orderBy(organizations.name);
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
      const [org] = await tx.insert(organizations).values({ id, name: input.name, slug }).returning();
      await tx.insert(userOrganizations).values({ organizationId: id, userId: ctx.userId, role: 'owner' });
      await audit(
        tx,
        { ...ctx, orgId: id },
        { action: 'org.create', resourceType: 'organization', resourceId: id, details: { name: input.name, slug } },
      );
      return toOrg(org, 'owner');
    });
  } catch (e) {
    if (isUniqueViolation(e, 'organizations_slug_uq')) {
      throw new AppError('conflict', 'That slug is taken', {
        fields: [{ path: 'body.slug', message: 'already in use' }],
      });
    }
    throw e;
  }
}

export async function getOrg(tx: Tx, orgId: string, role: OrgRole): Promise<OrgDto> {
  const [o] = await tx.select().from(organizations).where(eq(organizations.id, orgId));
  if (!o) throw new AppError('not_found');
  return toOrg(o, role);
}

export async function updateOrg(tx: Tx, ctx: ActorContext, role: OrgRole, input: { name?: string }): Promise<OrgDto> {
  const [o] = await tx
    .update(organizations)
    .set({ ...input, updatedAt: new Date() })
    .where(eq(organizations.id, ctx.orgId))
    .returning();
  if (!o) throw new AppError('not_found');
  await audit(tx, ctx, {
    action: 'org.update',
    resourceType: 'organization',
    resourceId: ctx.orgId,
    details: { fields: Object.keys(input) },
  });
  return toOrg(o, role);
}
