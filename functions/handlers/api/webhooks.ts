/** Tenant webhook endpoints: CRUD (the signing secret is returned once), secret rotation, the delivery log. */
import { approvalServices } from '../../handlers/composition/approvals.js';
import {
  createEndpoint,
  deleteEndpoint,
  getEndpoint,
  listDeliveries,
  listEndpoints,
  rotateSecret,
  updateEndpoint,
} from '../../app/approvals/webhooks.js';
import { actorOf, created, defineHandler, inTenant, noContent, ok } from './define.js';

export const handler = defineHandler('webhooks', {
  listWebhooks: async (req) => ok({ items: await inTenant(req, (tx) => listEndpoints(tx)) }),
  createWebhook: async (req) => {
    const ep = await inTenant(req, (tx) => createEndpoint(tx, approvalServices(), actorOf(req), req.body));
    return created(ep, `/v1/orgs/${req.params.orgId}/webhooks/${ep.id}`);
  },
  getWebhook: async (req) => ok(await inTenant(req, (tx) => getEndpoint(tx, req.params.webhookId))),
  updateWebhook: async (req) =>
    ok(
      await inTenant(req, (tx) => updateEndpoint(tx, approvalServices(), actorOf(req), req.params.webhookId, req.body)),
    ),
  deleteWebhook: async (req) => {
    await inTenant(req, (tx) => deleteEndpoint(tx, actorOf(req), req.params.webhookId));
    return noContent();
  },
  rotateWebhookSecret: async (req) =>
    ok(await inTenant(req, (tx) => rotateSecret(tx, approvalServices(), actorOf(req), req.params.webhookId))),
  listWebhookDeliveries: async (req) =>
    ok({ items: await inTenant(req, (tx) => listDeliveries(tx, req.params.webhookId, req.query.limit)) }),
});
