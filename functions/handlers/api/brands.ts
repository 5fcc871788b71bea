/** /v1/orgs/{orgId}/brands: brand profiles. */
import { createBrand, deleteBrand, getBrand, listBrands, updateBrand } from '../../app/brands.js';
import { defineHandler, orgCollection } from './define.js';

export const handler = defineHandler(
  'brands',
  orgCollection(
    { one: 'Brand', path: 'brands', idParam: 'brandId' },
    { list: listBrands, create: createBrand, get: getBrand, update: updateBrand, remove: deleteBrand },
  ),
);
