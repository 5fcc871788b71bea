/** /v1/orgs/{orgId}/members: who belongs to an organization, with which role. */
import { addMember, listMembers, removeMember, updateMemberRole } from '../../app/members.js';
import { actorOf, created, defineHandler, inTenant, noContent, ok } from './define.js';

export const handler = defineHandler('members', {
  listMembers: async (req) => ok(await inTenant(req, (tx) => listMembers(tx, req.tenant.orgId))),
  addMember: async (req) => {
    const m = await inTenant(req, (tx) => addMember(tx, actorOf(req), req.tenant.role, req.body));
    return created(m, `/v1/orgs/${req.tenant.orgId}/members/${m.userId}`);
  },
  updateMember: async (req) =>
    ok(
      await inTenant(req, (tx) =>
        updateMemberRole(tx, actorOf(req), req.tenant.role, req.params.userId, req.body.role),
      ),
    ),
  removeMember: async (req) => {
    await inTenant(req, (tx) => removeMember(tx, actorOf(req), req.tenant.role, req.params.userId));
    return noContent();
  },
});
