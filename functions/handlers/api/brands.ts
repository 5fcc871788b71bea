/** /v1/orgs/{orgId}/brands: brand profiles. */
import { createBrand, deleteBrand, getBrand, listBrands, updateBrand } from '../../app/brands.js';
import { actorOf, created, defineHandler, inTenant, noContent, ok } from './define.js';

export const handler = defineHandler('brands', {
  listBrands: async (req) => ok(await inTenant(req, (tx) => listBrands(tx, req.tenant.orgId, req.query))),
  createBrand: async (req) => {
    const b = await inTenant(req, (tx) => createBrand(tx, actorOf(req), req.body));
    return created(b, `/v1/orgs/${req.tenant.orgId}/brands/${b.id}`);
  },
  getBrand: async (req) => ok(await inTenant(req, (tx) => getBrand(tx, req.tenant.orgId, req.params.brandId))),
  updateBrand: async (req) =>
    ok(await inTenant(req, (tx) => updateBrand(tx, actorOf(req), req.params.brandId, req.body))),
  deleteBrand: async (req) => {
    await inTenant(req, (tx) => deleteBrand(tx, actorOf(req), req.params.brandId));
    return noContent();
  },
});
