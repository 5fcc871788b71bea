/** /v1/orgs/{orgId}/content-requests: submit briefs, follow them, cancel and re-drive them. */
import {
  cancelContentRequest,
  createContentRequest,
  getContentRequest,
  listContentRequests,
  retryContentRequest,
} from '../../app/content-requests.js';
import { services } from '../composition/root.js';
import { AppError } from '../../shared/errors.js';
import { pipelineMetric } from '../../shared/metrics.js';
import { accepted, actorOf, defineHandler, ok, readInTenant } from './define.js';

const IDEMPOTENCY_KEY_RE = /^[\x21-\x7e]{1,200}$/;

export const handler = defineHandler(
  'content-requests',
  {
    listContentRequests: async (req) => ok(await readInTenant(req, listContentRequests(req.params.orgId, req.query))),
    createContentRequest: async (req) => {
      const key = req.headers['idempotency-key'];
      if (key !== undefined && !IDEMPOTENCY_KEY_RE.test(key)) {
        throw new AppError('validation_failed', 'Idempotency-Key must be 1-200 visible ASCII characters', {
          fields: [{ path: 'header.idempotency-key', message: 'invalid' }],
        });
      }
      const r = await createContentRequest(services.db(), actorOf(req), services.workflow(), req.body, key);
      if (!r.replayed) pipelineMetric('requestsAccepted');
      return {
        status: r.status,
        body: r.body,
        headers: {
          location: `/v1/orgs/${req.tenant.orgId}/content-requests/${r.body.id}`,
          ...(r.replayed ? { 'idempotent-replayed': 'true' } : {}),
        },
      };
    },
    getContentRequest: async (req) =>
      ok(await readInTenant(req, getContentRequest(req.params.orgId, services.store(), req.params.requestId))),
    cancelContentRequest: async (req) =>
      ok(await cancelContentRequest(services.db(), actorOf(req), services.workflow(), req.params.requestId)),
    retryContentRequest: async (req) =>
      accepted(await retryContentRequest(services.db(), actorOf(req), services.workflow(), req.params.requestId)),
  },
  // The hottest reads: the gate travels with them (one round trip to PostgreSQL per request).
  { gatedReads: ['listContentRequests', 'getContentRequest'] },
);
