import { z } from 'zod';
import { briefSchema, imageSpecSchema, textSlotNames } from '../../../domain/brand-types.js';
import { adjustmentKinds } from '../../../domain/rendering/types.js';
import { requestStatuses } from '../../../domain/request-status.js';
import { workflowStepsSchema } from '../../../domain/workflow-types.js';
import {
  callCost,
  csv,
  dateRangeQuery,
  nameAndDescription,
  namedResource,
  page,
  pageQuery,
  timestamp,
  uuid,
} from './common.js';
import { platformName } from './platforms.js';

// ---- variant adjustments ------------------------------------------------------------------
const pxBox = z.object({ x: z.number().int(), y: z.number().int(), w: z.number().int(), h: z.number().int() });
/** One change the renderer made on its own (functions/domain/rendering/types.ts Adjustment). */
export const variantAdjustment = z
  .object({
    kind: z.enum(adjustmentKinds),
    slot: z.enum(textSlotNames).optional(),
    /** Before/after: a pixel box, an opacity (0..1) or a #RRGGBB colour; `from` is null for a new plate. */
    from: z.union([pxBox, z.number(), z.string()]).nullable(),
    to: z.union([pxBox, z.number(), z.string()]),
    reason: z.string(),
    contrast: z.object({ before: z.number(), after: z.number(), min: z.number() }).optional(),
  })
  .meta({ id: 'VariantAdjustment' });

// ---- approval workflows ----------------------------------------------------------------------
export const workflowSchema = namedResource('ApprovalWorkflow', {
  steps: workflowStepsSchema,
  allowAutoApprove: z.boolean(),
});
export const createWorkflowRequest = z.strictObject({
  ...nameAndDescription,
  steps: workflowStepsSchema,
  allowAutoApprove: z.boolean().default(false),
});
export const updateWorkflowRequest = z
  .strictObject({
    ...nameAndDescription,
    name: nameAndDescription.name.optional(),
    steps: workflowStepsSchema.optional(),
    allowAutoApprove: z.boolean().optional(),
    isActive: z.boolean().optional(),
  })
  .refine((v) => Object.keys(v).length > 0, 'nothing to update');
export const listWorkflowsQuery = z.strictObject({ ...pageQuery });
export const workflowPage = page(workflowSchema);

// ---- content requests ------------------------------------------------------------------------
export const requestStatus = z.enum(requestStatuses);

export const createContentRequest = z.strictObject({
  brandId: uuid,
  templateId: uuid.optional(),
  brief: briefSchema,
  image: imageSpecSchema,
  platforms: z
    .array(platformName)
    .min(1)
    .max(8)
    .refine((p) => new Set(p).size === p.length, 'platforms must not repeat'),
  /** Defaults to the brand's default workflow (if any). */
  approvalWorkflowId: uuid.optional(),
});

export const contentRequestSummary = z
  .object({
    id: uuid,
    brandId: uuid,
    templateId: uuid.nullable(),
    workflowId: uuid.nullable(),
    requestedBy: uuid,
    status: requestStatus,
    brief: briefSchema,
    image: imageSpecSchema,
    platforms: z.array(z.string()),
    run: z.number().int(),
    /** Why the request failed ({state, code, message}), when status = failed. */
    failure: z.record(z.string(), z.unknown()).nullable(),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({ id: 'ContentRequest' });

/** The compliance verdict on a sourced image or a variant (null until it was checked). */
const complianceVerdict = { complianceScore: z.number().int().nullable(), complianceDecision: z.string().nullable() };

const sourcedImage = z.object({
  id: uuid,
  aspectGroup: z.string(),
  covers: z.array(z.string()),
  source: z.string(),
  width: z.number().int(),
  height: z.number().int(),
  license: z.unknown(),
  ...complianceVerdict,
});

export const contentRequestDetail = contentRequestSummary
  .extend({
    timeline: z.array(
      z.object({
        run: z.number().int(),
        step: z.string(),
        status: z.string(),
        startedAt: timestamp,
        finishedAt: timestamp.nullable(),
        durationMs: z.number().int().nullable(),
        detail: z.unknown().nullable(),
      }),
    ),
    /** The first sourced image (kept for older clients; `masters` lists them all). */
    master: sourcedImage.nullable(),
    /** One sourced image per layout group that needed its own; `covers` = the groups it serves. */
    masters: z.array(sourcedImage),
    /** How each layout group's image was found and what it cost; `usage` sums every Freepik call of the request. */
    sourcing: z.object({
      groups: z.array(
        z.object({
          aspectGroup: z.string(),
          platforms: z.array(z.string()),
          status: z.string(),
          source: z.string(),
          assetId: uuid.nullable(),
          plan: z.unknown().nullable(),
          candidatesConsidered: z.number().int(),
          downloads: z.number().int(),
          generations: z.number().int(),
          ...callCost,
          attempts: z.array(z.unknown()),
        }),
      ),
      usage: z.object({
        calls: z.number().int(),
        failedCalls: z.number().int(),
        ...callCost,
      }),
    }),
    variants: z.array(
      z.object({
        id: uuid,
        platform: z.string(),
        width: z.number().int(),
        height: z.number().int(),
        format: z.string(),
        bytes: z.number().int(),
        sha256: z.string(),
        ...complianceVerdict,
        findings: z.unknown().nullable(),
        /** What the renderer changed on its own to fit the copy and keep it legible; null for variants rendered before this was recorded. */
        adjustments: z.array(variantAdjustment).nullable(),
        /** Short-lived presigned GET URL. */
        url: z.string(),
        urlExpiresAt: timestamp,
      }),
    ),
    /** {score, decision, findings[]} of the master asset. */
    compliance: z.unknown().nullable(),
    approvals: z.array(
      z.object({
        id: uuid,
        run: z.number().int(),
        stepIndex: z.number().int(),
        stepName: z.string(),
        status: z.string(),
        dueAt: timestamp.nullable(),
        decidedAt: timestamp.nullable(),
        outcomeReason: z.string().nullable(),
        decisions: z.array(
          z.object({ approverId: uuid, decision: z.string(), comment: z.string().nullable(), createdAt: timestamp }),
        ),
      }),
    ),
    manifest: z.unknown().nullable(),
    rejectionReason: z.string().nullable(),
    publishedAt: timestamp.nullable(),
  })
  .meta({ id: 'ContentRequestDetail' });

export const listContentRequestsQuery = z.strictObject({
  ...pageQuery,
  ...dateRangeQuery,
  status: csv(requestStatus, requestStatuses.length).optional(),
  brandId: uuid.optional(),
  /** Full-text search over headline and body (web-search syntax: words, "phrases", -exclusions). */
  q: z.string().trim().min(1).max(200).optional(),
});
export const contentRequestPage = page(contentRequestSummary);

// ---- activity --------------------------------------------------------------------------------
export const activitySchema = z
  .object({
    id: z.string(),
    userId: uuid.nullable(),
    actor: z.string().nullable(),
    action: z.string(),
    resourceType: z.string(),
    resourceId: z.string().nullable(),
    requestId: z.string().nullable(),
    ip: z.string().nullable(),
    userAgent: z.string().nullable(),
    details: z.unknown().nullable(),
    createdAt: timestamp,
  })
  .meta({ id: 'ActivityEntry' });
export const listActivityQuery = z.strictObject({
  ...pageQuery,
  ...dateRangeQuery,
  resourceType: z.string().max(60).optional(),
  resourceId: z.string().max(100).optional(),
  userId: uuid.optional(),
  action: z.string().max(80).optional(),
});
export const activityPage = page(activitySchema);
