/** Memberships of the current tenant (user_organizations; every function runs in withTenant's transaction). */
import { and, eq, inArray } from 'drizzle-orm';
import { userOrganizations } from '../../../../db/schema/index.js';
import type { Tx } from '../client.js';

/** Those of `userIds` that are active members of the organization. */
export async function activeMemberIds(tx: Tx, orgId: string, userIds: string[]): Promise<Set<string>> {
  const found = await tx
    .select({ userId: userOrganizations.userId })
    .from(userOrganizations)
    .where(
      and(
        eq(userOrganizations.organizationId, orgId),
        eq(userOrganizations.status, 'active'),
        inArray(userOrganizations.userId, userIds),
      ),
    );
  return new Set(found.map((f) => f.userId));
}
