/** /v1/orgs/{orgId}/activity: the audit log. */
import { listActivity } from '../../app/activity.js';
import { defineHandler, inTenant, ok } from './define.js';

export const handler = defineHandler('activity', {
  listActivity: async (req) => ok(await inTenant(req, (tx) => listActivity(tx, req.tenant.orgId, req.query))),
});
