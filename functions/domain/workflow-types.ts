import { z } from 'zod';
import { orgRoles } from './roles.js';

export const workflowStepSchema = z.strictObject({
  name: z.string().trim().min(1).max(80),
  approvers: z
    .strictObject({
      userIds: z.array(z.string().uuid()).max(50).default([]),
      roles: z.array(z.enum(orgRoles)).max(6).default([]),
    })
    .refine((a) => a.userIds.length + a.roles.length > 0, 'a step needs at least one approver (user or role)'),
  quorum: z
    .discriminatedUnion('type', [
      z.strictObject({ type: z.literal('any') }),
      z.strictObject({ type: z.literal('all') }),
      z.strictObject({ type: z.literal('n_of_m'), n: z.number().int().min(1).max(50) }),
    ])
    .default({ type: 'any' }),
  /** Hours before the step escalates (then expires after the same time again). */
  deadlineHours: z
    .number()
    .min(0.001)
    .max(24 * 30)
    .default(48),
  reminderHours: z
    .number()
    .min(0.001)
    .max(24 * 30)
    .optional(),
  escalateTo: z.strictObject({ userId: z.string().uuid().optional(), role: z.enum(orgRoles).optional() }).optional(),
});
export type WorkflowStep = z.infer<typeof workflowStepSchema>;

export const workflowStepsSchema = z.array(workflowStepSchema).min(1).max(10);
