/** /v1/orgs/{orgId}/templates: layered templates (+ side-effect-free preview). */
import {
  createTemplate,
  deleteTemplate,
  getTemplate,
  listTemplates,
  previewTemplate,
  updateTemplate,
} from '../../app/templates.js';
import { services } from '../composition/root.js';
import { actorOf, created, defineHandler, inTenant, noContent, ok } from './define.js';

export const handler = defineHandler('templates', {
  listTemplates: async (req) => ok(await inTenant(req, (tx) => listTemplates(tx, req.tenant.orgId, req.query))),
  createTemplate: async (req) => {
    const t = await inTenant(req, (tx) => createTemplate(tx, actorOf(req), req.body));
    return created(t, `/v1/orgs/${req.tenant.orgId}/templates/${t.id}`);
  },
  getTemplate: async (req) => ok(await inTenant(req, (tx) => getTemplate(tx, req.tenant.orgId, req.params.templateId))),
  updateTemplate: async (req) =>
    ok(await inTenant(req, (tx) => updateTemplate(tx, actorOf(req), req.params.templateId, req.body))),
  deleteTemplate: async (req) => {
    await inTenant(req, (tx) => deleteTemplate(tx, actorOf(req), req.params.templateId));
    return noContent();
  },
  previewTemplate: async (req) =>
    ok(await previewTemplate(services.db(), services.store(), actorOf(req), req.params.templateId, req.body)),
});
