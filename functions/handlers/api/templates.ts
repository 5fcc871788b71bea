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
import { actorOf, defineHandler, ok, orgCollection } from './define.js';

export const handler = defineHandler('templates', {
  ...orgCollection(
    { one: 'Template', path: 'templates', idParam: 'templateId' },
    { list: listTemplates, create: createTemplate, get: getTemplate, update: updateTemplate, remove: deleteTemplate },
  ),
  previewTemplate: async (req) =>
    ok(await previewTemplate(services.db(), services.store(), actorOf(req), req.params.templateId, req.body)),
});
