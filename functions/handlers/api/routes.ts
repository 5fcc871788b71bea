/**
 * THE route table. Used by: the CDK HTTP API (one Lambda per distinct `fn`, one route per entry,
 * the JWT authorizer on `auth: 'jwt'` routes), the local API server (local/servers/
 * api-server.ts), the middy chain (auth, membership, permission, validation) and /openapi.json.
 *
 * HOW TO ADD ROUTES (other engineers: analytics, approvals, pages)
 *  1. Add entries below, keyed by a unique camelCase id (it becomes the OpenAPI operationId):
 *       myThing: route({ method: 'GET', path: '/v1/orgs/{orgId}/things/{thingId}', fn: 'things',
 *         auth: 'jwt', permission: 'analytics:read', summary: 'Read a thing',
 *         query: z.strictObject({...}), request: z.strictObject({...}), response: thingSchema }),
 *     - `path` uses API Gateway syntax; `*Id` params must be UUIDs (anything else is a 404).
 *     - tenant routes (`/v1/orgs/{orgId}...` + auth 'jwt') MUST name a `permission`
 *       (functions/domain/permissions.ts; add one there + docs/permissions.md if none fits).
 *     - `auth: 'public'` for open pages; `auth: 'link'` when the handler verifies a token from the
 *       path/query itself (review links). Non-JSON responses: set `produces: 'text/html'` etc.
 *     - Keep schemas pure zod (put them in ./schemas/<area>.ts): this file is imported by CDK code.
 *  2. Create functions/handlers/api/<fn>.ts:
 *       export const handler = defineHandler('things', { myThing: async (req) => ok(...) });
 *     (./define.ts; the compiler demands exactly one implementation per route of that fn.)
 *  3. Tests: test/support/api.ts starts the local server with this table against a fresh DB.
 */
import { z } from 'zod';
import { route, toEntries, type RouteDef } from '../../shared/http/route-def.js';
import { healthSchema } from './schemas/common.js';
import {
  addMemberRequest, createOrgRequest, meSchema, memberSchema, orgSchema, updateMemberRequest, updateOrgRequest,
} from './schemas/orgs.js';
import {
  assetPage, assetSchema, brandPage, brandSchema, createAssetRequest, createAssetResponse, createBrandRequest,
  createTemplateRequest, listAssetsQuery, listBrandsQuery, listTemplatesQuery, templatePage, templateSchema,
  updateAssetRequest, updateBrandRequest, updateTemplateRequest,
} from './schemas/brands.js';
import {
  activityPage, contentRequestDetail, contentRequestPage, contentRequestSummary, createContentRequest,
  createWorkflowRequest, listActivityQuery, listContentRequestsQuery, listWorkflowsQuery, updateWorkflowRequest,
  workflowPage, workflowSchema,
} from './schemas/content.js';
import { previewRequest, previewResponse } from './schemas/preview.js';
import {
  approvalList, createWebhookRequest, decideApprovalRequest, decideApprovalResponse, deliveryList, listApprovalsQuery,
  listDeliveriesQuery, outboxList, outboxQuery, reviewFormBody, updateWebhookRequest, webhookList, webhookSchema, webhookWithSecret,
} from './schemas/approvals.js';
import {
  contentAnalyticsQuery, contentAnalyticsResponse, dashboardPageQuery, dashboardQuery, dashboardResponse, devSignInRequest,
  ingestMetricsRequest, ingestMetricsResponse, usageResponse,
} from './schemas/analytics.js';
import { MAX_INGEST_BODY_BYTES } from '../../domain/analytics/metrics.js';

const idempotencyHeader = {
  name: 'Idempotency-Key',
  description: 'Makes the POST safe to retry: the same key with the same body returns the first response; with a different body, 409 idempotency_conflict. Kept 24 h.',
};

export const api = {
  // ---- system --------------------------------------------------------------------------------
  health: route({ method: 'GET', path: '/health', fn: 'system', auth: 'public', summary: 'Liveness check', response: healthSchema }),
  openapi: route({ method: 'GET', path: '/openapi.json', fn: 'system', auth: 'public', summary: 'This API as an OpenAPI 3.1 document' }),

  // ---- me and organizations ------------------------------------------------------------------
  getMe: route({ method: 'GET', path: '/v1/me', fn: 'orgs', auth: 'jwt', summary: 'The signed-in user and their memberships', response: meSchema }),
  listOrgs: route({ method: 'GET', path: '/v1/orgs', fn: 'orgs', auth: 'jwt', summary: 'Organizations I belong to', response: z.object({ items: z.array(orgSchema) }) }),
  createOrg: route({ method: 'POST', path: '/v1/orgs', fn: 'orgs', auth: 'jwt', summary: 'Create an organization (the caller becomes its owner)', request: createOrgRequest, response: orgSchema, status: 201 }),
  getOrg: route({ method: 'GET', path: '/v1/orgs/{orgId}', fn: 'orgs', auth: 'jwt', permission: 'org:read', summary: 'One organization', response: orgSchema }),
  updateOrg: route({ method: 'PATCH', path: '/v1/orgs/{orgId}', fn: 'orgs', auth: 'jwt', permission: 'org:update', summary: 'Rename an organization', request: updateOrgRequest, response: orgSchema }),

  // ---- members -------------------------------------------------------------------------------
  listMembers: route({ method: 'GET', path: '/v1/orgs/{orgId}/members', fn: 'members', auth: 'jwt', permission: 'members:read', summary: 'Members and their roles', response: z.object({ items: z.array(memberSchema) }) }),
  addMember: route({ method: 'POST', path: '/v1/orgs/{orgId}/members', fn: 'members', auth: 'jwt', permission: 'members:manage', summary: 'Add a member by email (creates the user if needed)', request: addMemberRequest, response: memberSchema, status: 201 }),
  updateMember: route({ method: 'PATCH', path: '/v1/orgs/{orgId}/members/{userId}', fn: 'members', auth: 'jwt', permission: 'members:manage', summary: "Change a member's role (the last owner cannot be demoted)", request: updateMemberRequest, response: memberSchema }),
  removeMember: route({ method: 'DELETE', path: '/v1/orgs/{orgId}/members/{userId}', fn: 'members', auth: 'jwt', permission: 'members:manage', summary: 'Remove a member (the last owner cannot be removed)', status: 204 }),

  // ---- brands --------------------------------------------------------------------------------
  listBrands: route({ method: 'GET', path: '/v1/orgs/{orgId}/brands', fn: 'brands', auth: 'jwt', permission: 'brands:read', summary: 'Brand profiles', query: listBrandsQuery, response: brandPage }),
  createBrand: route({ method: 'POST', path: '/v1/orgs/{orgId}/brands', fn: 'brands', auth: 'jwt', permission: 'brands:write', summary: 'Create a brand profile', request: createBrandRequest, response: brandSchema, status: 201 }),
  getBrand: route({ method: 'GET', path: '/v1/orgs/{orgId}/brands/{brandId}', fn: 'brands', auth: 'jwt', permission: 'brands:read', summary: 'One brand profile', response: brandSchema }),
  updateBrand: route({ method: 'PATCH', path: '/v1/orgs/{orgId}/brands/{brandId}', fn: 'brands', auth: 'jwt', permission: 'brands:write', summary: 'Update a brand profile (JSON fields are replaced whole)', request: updateBrandRequest, response: brandSchema }),
  deleteBrand: route({ method: 'DELETE', path: '/v1/orgs/{orgId}/brands/{brandId}', fn: 'brands', auth: 'jwt', permission: 'brands:write', summary: 'Delete a brand profile (soft delete)', status: 204 }),

  // ---- brand assets --------------------------------------------------------------------------
  listAssets: route({ method: 'GET', path: '/v1/orgs/{orgId}/brands/{brandId}/assets', fn: 'assets', auth: 'jwt', permission: 'assets:read', summary: 'Asset library: list and search', query: listAssetsQuery, response: assetPage }),
  createAsset: route({ method: 'POST', path: '/v1/orgs/{orgId}/brands/{brandId}/assets', fn: 'assets', auth: 'jwt', permission: 'assets:write', summary: 'Start an upload: returns a pending asset and a presigned PUT URL', request: createAssetRequest, response: createAssetResponse, status: 201 }),
  getAsset: route({ method: 'GET', path: '/v1/orgs/{orgId}/brands/{brandId}/assets/{assetId}', fn: 'assets', auth: 'jwt', permission: 'assets:read', summary: 'One asset (with a short-lived download URL when ready)', response: assetSchema.extend({ url: z.string().nullable() }) }),
  updateAsset: route({ method: 'PATCH', path: '/v1/orgs/{orgId}/brands/{brandId}/assets/{assetId}', fn: 'assets', auth: 'jwt', permission: 'assets:write', summary: 'Rename, retag or relicense an asset', request: updateAssetRequest, response: assetSchema }),
  confirmAsset: route({ method: 'POST', path: '/v1/orgs/{orgId}/brands/{brandId}/assets/{assetId}/confirm', fn: 'assets', auth: 'jwt', permission: 'assets:write', summary: 'Verify the uploaded file (type, size, dimensions, checksum) and mark the asset ready', response: assetSchema }),
  deleteAsset: route({ method: 'DELETE', path: '/v1/orgs/{orgId}/brands/{brandId}/assets/{assetId}', fn: 'assets', auth: 'jwt', permission: 'assets:write', summary: 'Delete an asset (soft delete; refused while a brand uses it as logo)', status: 204 }),

  // ---- templates -----------------------------------------------------------------------------
  listTemplates: route({ method: 'GET', path: '/v1/orgs/{orgId}/templates', fn: 'templates', auth: 'jwt', permission: 'templates:read', summary: 'Layered templates', query: listTemplatesQuery, response: templatePage }),
  createTemplate: route({ method: 'POST', path: '/v1/orgs/{orgId}/templates', fn: 'templates', auth: 'jwt', permission: 'templates:write', summary: "Create a template (validated against the brand's colors and fonts)", request: createTemplateRequest, response: templateSchema, status: 201 }),
  getTemplate: route({ method: 'GET', path: '/v1/orgs/{orgId}/templates/{templateId}', fn: 'templates', auth: 'jwt', permission: 'templates:read', summary: 'One template', response: templateSchema }),
  updateTemplate: route({ method: 'PATCH', path: '/v1/orgs/{orgId}/templates/{templateId}', fn: 'templates', auth: 'jwt', permission: 'templates:write', summary: 'Update a template (a layers change bumps the version)', request: updateTemplateRequest, response: templateSchema }),
  deleteTemplate: route({ method: 'DELETE', path: '/v1/orgs/{orgId}/templates/{templateId}', fn: 'templates', auth: 'jwt', permission: 'templates:write', summary: 'Delete a template (soft delete)', status: 204 }),
  previewTemplate: route({ method: 'POST', path: '/v1/orgs/{orgId}/templates/{templateId}/preview', fn: 'templates', auth: 'jwt', permission: 'templates:preview', summary: 'Render one preset from a brief and a brand asset, with compliance findings (no side effects)', request: previewRequest, response: previewResponse, maxBodyBytes: 64 * 1024 }),

  // ---- approval workflows --------------------------------------------------------------------
  listWorkflows: route({ method: 'GET', path: '/v1/orgs/{orgId}/approval-workflows', fn: 'approval-workflows', auth: 'jwt', permission: 'workflows:read', summary: 'Approval workflows', query: listWorkflowsQuery, response: workflowPage }),
  createWorkflow: route({ method: 'POST', path: '/v1/orgs/{orgId}/approval-workflows', fn: 'approval-workflows', auth: 'jwt', permission: 'workflows:write', summary: 'Create an approval workflow (ordered steps; named approvers must be members)', request: createWorkflowRequest, response: workflowSchema, status: 201 }),
  getWorkflow: route({ method: 'GET', path: '/v1/orgs/{orgId}/approval-workflows/{workflowId}', fn: 'approval-workflows', auth: 'jwt', permission: 'workflows:read', summary: 'One approval workflow', response: workflowSchema }),
  updateWorkflow: route({ method: 'PATCH', path: '/v1/orgs/{orgId}/approval-workflows/{workflowId}', fn: 'approval-workflows', auth: 'jwt', permission: 'workflows:write', summary: 'Update an approval workflow', request: updateWorkflowRequest, response: workflowSchema }),
  deleteWorkflow: route({ method: 'DELETE', path: '/v1/orgs/{orgId}/approval-workflows/{workflowId}', fn: 'approval-workflows', auth: 'jwt', permission: 'workflows:write', summary: 'Delete an approval workflow (refused while requests in flight use it)', status: 204 }),

  // ---- content requests ----------------------------------------------------------------------
  listContentRequests: route({ method: 'GET', path: '/v1/orgs/{orgId}/content-requests', fn: 'content-requests', auth: 'jwt', permission: 'requests:read', summary: 'Content requests: filter by status/brand/date, full-text search, cursor pages', query: listContentRequestsQuery, response: contentRequestPage }),
  createContentRequest: route({ method: 'POST', path: '/v1/orgs/{orgId}/content-requests', fn: 'content-requests', auth: 'jwt', permission: 'requests:create', summary: 'Submit a brief: starts the pipeline (202)', request: createContentRequest, response: contentRequestSummary, status: 202, headers: [idempotencyHeader] }),
  getContentRequest: route({ method: 'GET', path: '/v1/orgs/{orgId}/content-requests/{requestId}', fn: 'content-requests', auth: 'jwt', permission: 'requests:read', summary: 'Status, timeline, variants (short-lived URLs), compliance report and approvals', response: contentRequestDetail }),
  cancelContentRequest: route({ method: 'POST', path: '/v1/orgs/{orgId}/content-requests/{requestId}/cancel', fn: 'content-requests', auth: 'jwt', permission: 'requests:cancel', summary: 'Cancel a request that has not finished (409 otherwise)', response: contentRequestSummary }),
  retryContentRequest: route({ method: 'POST', path: '/v1/orgs/{orgId}/content-requests/{requestId}/retry', fn: 'content-requests', auth: 'jwt', permission: 'requests:retry', summary: 'Re-drive a failed, cancelled, rejected or changes-requested request as a new run (202)', response: contentRequestSummary, status: 202 }),

  // ---- audit log -----------------------------------------------------------------------------
  listActivity: route({ method: 'GET', path: '/v1/orgs/{orgId}/activity', fn: 'activity', auth: 'jwt', permission: 'activity:read', summary: 'The audit log, newest first', query: listActivityQuery, response: activityPage }),

  // ---- analytics, usage and the dashboard page (issue 8) ---------------------------------------
  ingestMetrics: route({ method: 'POST', path: '/v1/orgs/{orgId}/analytics/metrics', fn: 'analytics', auth: 'jwt', permission: 'analytics:write', summary: 'Ingest a batch of platform metrics (<= 5,000 samples; idempotent per variant, platform, metric and timestamp; a changed value replaces the stored one)', request: ingestMetricsRequest, response: ingestMetricsResponse, maxBodyBytes: MAX_INGEST_BODY_BYTES }),
  getDashboard: route({ method: 'GET', path: '/v1/orgs/{orgId}/analytics/dashboard', fn: 'analytics', auth: 'jwt', permission: 'analytics:read', summary: 'Totals, daily trend, top content, engagement by platform, compliance trend and spend vs budget for a date range (from rollups)', query: dashboardQuery, response: dashboardResponse }),
  getDashboardView: route({ method: 'GET', path: '/v1/orgs/{orgId}/analytics/dashboard/view', fn: 'analytics', auth: 'jwt', permission: 'analytics:read', summary: 'The same dashboard as server-rendered HTML with SVG charts (the dashboard page inserts it)', query: dashboardQuery, produces: 'text/html' }),
  getContentAnalytics: route({ method: 'GET', path: '/v1/orgs/{orgId}/analytics/content/{requestId}', fn: 'analytics', auth: 'jwt', permission: 'analytics:read', summary: 'Performance of one content request: totals, daily trend, per variant, last 48 hours', query: contentAnalyticsQuery, response: contentAnalyticsResponse }),
  getUsage: route({ method: 'GET', path: '/v1/orgs/{orgId}/usage', fn: 'analytics', auth: 'jwt', permission: 'usage:read', summary: 'Month-to-date paid API usage by provider and endpoint, and the quota and budget remaining', response: usageResponse }),
  dashboardPage: route({ method: 'GET', path: '/dashboard', fn: 'dashboard-pages', auth: 'public', summary: 'The dashboard page (HTML shell; data comes from the API with the signed-in token)', query: dashboardPageQuery, produces: 'text/html', tag: 'pages' }),
  dashboardCallback: route({ method: 'GET', path: '/dashboard/callback', fn: 'dashboard-pages', auth: 'public', summary: 'Cognito hosted sign-in callback: keeps the ID token in the tab and opens the dashboard', produces: 'text/html', tag: 'pages' }),
  devSignInPage: route({ method: 'GET', path: '/dev/sign-in', fn: 'dev', auth: 'public', summary: 'Local sign-in page listing the seeded users (APP_MODE=local only; 404 otherwise)', produces: 'text/html', tag: 'pages' }),
  devSignIn: route({ method: 'POST', path: '/dev/sign-in', fn: 'dev', auth: 'public', summary: 'Local sign-in: mints a local-issuer token for the chosen user (APP_MODE=local only)', request: devSignInRequest, consumes: ['application/x-www-form-urlencoded'], produces: 'text/html', maxBodyBytes: 4096, tag: 'pages' }),

  // ---- approvals: review links, signed-in approvals, webhooks, local outbox (issue 7) -----------
  reviewPage: route({ method: 'GET', path: '/review/{token}', fn: 'approvals', auth: 'link', summary: 'Review page of an emailed approval link (HTML; opening it decides nothing)', produces: 'text/html', tag: 'approvals' }),
  reviewDecide: route({ method: 'POST', path: '/review/{token}', fn: 'approvals', auth: 'link', summary: 'Decide through an approval link: approve, reject (reason), request changes (comment) or delegate (HTML confirmation)', request: reviewFormBody, consumes: ['application/x-www-form-urlencoded'], produces: 'text/html', maxBodyBytes: 16 * 1024, tag: 'approvals' }),
  listApprovals: route({ method: 'GET', path: '/v1/orgs/{orgId}/approvals', fn: 'approvals', auth: 'jwt', permission: 'approvals:read', summary: 'Approval steps, newest first; mine=true: the pending steps waiting for the caller', query: listApprovalsQuery, response: approvalList }),
  decideApproval: route({ method: 'POST', path: '/v1/orgs/{orgId}/approvals/{approvalId}/decision', fn: 'approvals', auth: 'jwt', permission: 'approvals:decide', summary: 'Decide an approval step as a signed-in approver (same rules as the review links)', request: decideApprovalRequest, response: decideApprovalResponse }),
  listWebhooks: route({ method: 'GET', path: '/v1/orgs/{orgId}/webhooks', fn: 'webhooks', auth: 'jwt', permission: 'webhooks:manage', summary: 'Webhook endpoints (secrets are never listed)', response: webhookList }),
  createWebhook: route({ method: 'POST', path: '/v1/orgs/{orgId}/webhooks', fn: 'webhooks', auth: 'jwt', permission: 'webhooks:manage', summary: 'Register a webhook endpoint; the response shows its signing secret once', request: createWebhookRequest, response: webhookWithSecret, status: 201 }),
  getWebhook: route({ method: 'GET', path: '/v1/orgs/{orgId}/webhooks/{webhookId}', fn: 'webhooks', auth: 'jwt', permission: 'webhooks:manage', summary: 'One webhook endpoint', response: webhookSchema }),
  updateWebhook: route({ method: 'PATCH', path: '/v1/orgs/{orgId}/webhooks/{webhookId}', fn: 'webhooks', auth: 'jwt', permission: 'webhooks:manage', summary: 'Change the URL or events of an endpoint, or pause it', request: updateWebhookRequest, response: webhookSchema }),
  deleteWebhook: route({ method: 'DELETE', path: '/v1/orgs/{orgId}/webhooks/{webhookId}', fn: 'webhooks', auth: 'jwt', permission: 'webhooks:manage', summary: 'Delete an endpoint (and its delivery log)', status: 204 }),
  rotateWebhookSecret: route({ method: 'POST', path: '/v1/orgs/{orgId}/webhooks/{webhookId}/rotate-secret', fn: 'webhooks', auth: 'jwt', permission: 'webhooks:manage', summary: 'Replace the signing secret (shown once); the old one stops at once', response: webhookWithSecret }),
  listWebhookDeliveries: route({ method: 'GET', path: '/v1/orgs/{orgId}/webhooks/{webhookId}/deliveries', fn: 'webhooks', auth: 'jwt', permission: 'webhooks:manage', summary: 'Delivery log of an endpoint: attempts, status codes, errors, next retry', query: listDeliveriesQuery, response: deliveryList }),
  devOutbox: route({ method: 'GET', path: '/dev/outbox', fn: 'dev', auth: 'public', summary: 'Emails the local stack would have sent (to, subject, text, links); APP_MODE=local only, 404 otherwise', query: outboxQuery, response: outboxList, tag: 'dev' }),
} as const satisfies Record<string, RouteDef>;

export type ApiTable = typeof api;
export type RouteId = keyof ApiTable;
/** Every route with its id, in table order. */
export const routes = toEntries(api);
/** Distinct handler modules (one Lambda each). */
export const functionNames = [...new Set(routes.map((r) => r.fn))];
