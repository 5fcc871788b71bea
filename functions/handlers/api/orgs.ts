/** /v1/me and /v1/orgs: identity and organizations. */
import { createOrg, getMe, getOrg, listMyOrgs, updateOrg } from '../../app/orgs.js';
import { services } from '../composition/root.js';
import { actorOf, created, defineHandler, inTenant, ok } from './define.js';

export const handler = defineHandler('orgs', {
  getMe: async (req) => ok(await getMe(services.db(), req.caller.userId)),
  listOrgs: async (req) => ok(await listMyOrgs(services.db(), req.caller.userId)),
  createOrg: async (req) => {
    const org = await createOrg(
      services.db(),
      { userId: req.caller.userId, requestId: req.requestId, ip: req.ip, userAgent: req.userAgent },
      req.body,
    );
    return created(org, `/v1/orgs/${org.id}`);
  },
  getOrg: async (req) => ok(await inTenant(req, (tx) => getOrg(tx, req.tenant.orgId, req.tenant.role))),
  updateOrg: async (req) => ok(await inTenant(req, (tx) => updateOrg(tx, actorOf(req), req.tenant.role, req.body))),
});
