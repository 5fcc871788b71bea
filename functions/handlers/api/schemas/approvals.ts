/**
 * Request/response schemas of the approval routes: review links, approvals for signed-in members,
 * tenant webhooks and the local outbox. Pure zod (imported by CDK code through the route table).
 */
import { z } from 'zod';
import { timestamp, uuid } from './common.js';

// ---- review links ----------------------------------------------------------------------------
/** The review form as posted. Loose on purpose: the handler validates and re-renders the page with the problems. */
export const reviewFormBody = z.strictObject({
  decision: z.string().max(40).optional(),
  approval: z.string().max(64).optional(),
  form_token: z.string().max(300).optional(),
  comment: z.string().max(4000).optional(),
  delegate_to: z.string().max(64).optional(),
});

// ---- approvals (signed-in) -------------------------------------------------------------------
export const approvalStatus = z.enum(['pending', 'approved', 'rejected', 'changes_requested', 'expired', 'cancelled']);
export const listApprovalsQuery = z.strictObject({
  status: approvalStatus.optional(),
  /** Only steps where the caller currently holds a vote. */
  mine: z
    .enum(['true', 'false'])
    .optional()
    .transform((v) => v === 'true'),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
export const approvalItemSchema = z
  .object({
    id: uuid,
    requestId: uuid,
    headline: z.string(),
    run: z.number().int(),
    stepIndex: z.number().int(),
    stepName: z.string(),
    status: approvalStatus,
    phase: z.enum(['initial', 'escalated']),
    dueAt: timestamp.nullable(),
    decidedAt: timestamp.nullable(),
    outcomeReason: z.string().nullable(),
    approverIds: z.array(uuid),
    createdAt: timestamp,
  })
  .meta({ id: 'ApprovalStep' });
export const approvalList = z.object({ items: z.array(approvalItemSchema) });
export const decideApprovalRequest = z
  .strictObject({
    decision: z.enum(['approve', 'reject', 'request_changes', 'delegate']),
    /** Required to reject (the reason) and to request changes. */
    comment: z.string().trim().max(2000).optional(),
    /** Required to delegate: an active member of the organization. */
    delegateTo: uuid.optional(),
  })
  .superRefine((v, ctx) => {
    if ((v.decision === 'reject' || v.decision === 'request_changes') && !v.comment)
      ctx.addIssue({
        code: 'custom',
        path: ['comment'],
        message: v.decision === 'reject' ? 'a reason is required to reject' : 'describe the changes you need',
      });
    if (v.decision === 'delegate' && !v.delegateTo)
      ctx.addIssue({ code: 'custom', path: ['delegateTo'], message: 'required to delegate' });
  });
export const decideApprovalResponse = z.object({
  /** The step's outcome when this decision completed it, else `pending`. */
  status: z.enum(['pending', 'approved', 'rejected', 'changes_requested']),
});

// ---- webhooks --------------------------------------------------------------------------------
export const webhookEvent = z.enum(['content.published']);
export const webhookSchema = z
  .object({
    id: uuid,
    url: z.string(),
    events: z.array(z.string()),
    isActive: z.boolean(),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({ id: 'WebhookEndpoint' });
export const webhookWithSecret = webhookSchema
  .extend({
    /** HMAC-SHA256 signing secret. Shown only in this response: store it now. */
    secret: z.string(),
  })
  .meta({ id: 'WebhookEndpointWithSecret' });
export const createWebhookRequest = z.strictObject({
  url: z.string().url().max(2000),
  events: z.array(webhookEvent).min(1).max(10).optional(),
});
export const updateWebhookRequest = z
  .strictObject({
    url: z.string().url().max(2000).optional(),
    events: z.array(webhookEvent).min(1).max(10).optional(),
    isActive: z.boolean().optional(),
  })
  .refine((v) => Object.keys(v).length > 0, 'nothing to update');
export const webhookList = z.object({ items: z.array(webhookSchema) });
export const deliverySchema = z
  .object({
    id: uuid,
    eventId: z.string(),
    eventType: z.string(),
    status: z.enum(['pending', 'delivered', 'failed']),
    attempts: z.number().int(),
    lastStatusCode: z.number().int().nullable(),
    lastError: z.string().nullable(),
    nextAttemptAt: timestamp.nullable(),
    deliveredAt: timestamp.nullable(),
    createdAt: timestamp,
  })
  .meta({ id: 'WebhookDelivery' });
export const deliveryList = z.object({ items: z.array(deliverySchema) });
export const listDeliveriesQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(200).default(50) });

// ---- local outbox ----------------------------------------------------------------------------
export const outboxQuery = z.strictObject({
  /** Only mail to this address. */
  to: z.string().max(320).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});
export const outboxList = z.object({
  items: z.array(
    z.object({
      id: uuid,
      to: z.string(),
      subject: z.string(),
      text: z.string(),
      links: z.array(z.string()),
      status: z.string(),
      createdAt: timestamp,
    }),
  ),
});
