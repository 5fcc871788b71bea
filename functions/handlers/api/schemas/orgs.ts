import { z } from 'zod';
import { orgRoles } from '../../../domain/roles.js';
import { timestamp, uuid } from './common.js';

export const orgRole = z.enum(orgRoles);

export const orgSchema = z
  .object({
    id: uuid,
    name: z.string(),
    slug: z.string(),
    plan: z.string(),
    status: z.string(),
    apiRateLimitPerMinute: z.number().int(),
    /** The caller's role in this organization. */
    role: orgRole,
    createdAt: timestamp,
  })
  .meta({ id: 'Organization' });

export const createOrgRequest = z.strictObject({
  name: z.string().trim().min(2).max(120),
  /** URL-friendly unique name; derived from the name when omitted. */
  slug: z
    .string()
    .regex(/^[a-z0-9](?:[a-z0-9-]{1,48}[a-z0-9])$/, 'lowercase letters, digits and dashes (3-50)')
    .optional(),
});
export const updateOrgRequest = z
  .strictObject({
    name: z.string().trim().min(2).max(120).optional(),
  })
  .refine((v) => Object.keys(v).length > 0, 'nothing to update');

export const meSchema = z
  .object({
    user: z.object({ id: uuid, email: z.string(), displayName: z.string() }),
    memberships: z.array(z.object({ orgId: uuid, orgName: z.string(), orgSlug: z.string(), role: orgRole })),
  })
  .meta({ id: 'Me' });

export const memberSchema = z
  .object({
    userId: uuid,
    email: z.string(),
    displayName: z.string(),
    role: orgRole,
    status: z.string(),
    createdAt: timestamp,
  })
  .meta({ id: 'Member' });

export const addMemberRequest = z.strictObject({
  email: z.string().trim().toLowerCase().pipe(z.email()),
  role: orgRole,
  /** Display name used if the person has no account yet. */
  name: z.string().trim().min(1).max(120).optional(),
});
export const updateMemberRequest = z.strictObject({ role: orgRole });
