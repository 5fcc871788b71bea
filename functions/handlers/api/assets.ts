/** /v1/orgs/{orgId}/brands/{brandId}/assets: the asset library (presigned upload + server-side confirm). */
import { confirmAsset, createAsset, deleteAsset, getAsset, listAssets, updateAsset } from '../../app/assets.js';
import { services } from '../composition/root.js';
import { actorOf, created, defineHandler, inTenant, noContent, ok } from './define.js';

export const handler = defineHandler('assets', {
  listAssets: async (req) =>
    ok(await inTenant(req, (tx) => listAssets(tx, req.tenant.orgId, req.params.brandId, req.query))),
  createAsset: async (req) => {
    const r = await inTenant(req, (tx) =>
      createAsset(tx, actorOf(req), services.store(), req.params.brandId, req.body),
    );
    return created(r, `/v1/orgs/${req.tenant.orgId}/brands/${req.params.brandId}/assets/${r.asset.id}`);
  },
  getAsset: async (req) =>
    ok(
      await inTenant(req, (tx) =>
        getAsset(tx, req.tenant.orgId, services.store(), req.params.brandId, req.params.assetId),
      ),
    ),
  updateAsset: async (req) =>
    ok(await inTenant(req, (tx) => updateAsset(tx, actorOf(req), req.params.brandId, req.params.assetId, req.body))),
  confirmAsset: async (req) =>
    ok(await confirmAsset(services.db(), actorOf(req), services.store(), req.params.brandId, req.params.assetId)),
  deleteAsset: async (req) => {
    await inTenant(req, (tx) => deleteAsset(tx, actorOf(req), req.params.brandId, req.params.assetId));
    return noContent();
  },
});
