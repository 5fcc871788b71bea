import { z } from 'zod';
import {
  assetLicenseSchema,
  brandColorsSchema,
  brandFontsSchema,
  brandLogoSchema,
  complianceThresholdsSchema,
  templateLayersSchema,
  voiceRulesSchema,
} from '../../../domain/brand-types.js';
import { csv, nameAndDescription, namedResource, page, pageQuery, timestamp, timestamps, uuid } from './common.js';
import { platformName } from './platforms.js';

// ---- brands ----------------------------------------------------------------------------------
export const brandSchema = namedResource('Brand', {
  colors: brandColorsSchema,
  fonts: brandFontsSchema,
  logo: brandLogoSchema,
  voiceRules: voiceRulesSchema,
  complianceThresholds: complianceThresholdsSchema,
  defaultWorkflowId: uuid.nullable(),
});

const brandFields = {
  ...nameAndDescription,
  colors: brandColorsSchema,
  fonts: brandFontsSchema,
  logo: brandLogoSchema.optional(),
  voiceRules: voiceRulesSchema.optional(),
  complianceThresholds: complianceThresholdsSchema.optional(),
  defaultWorkflowId: uuid.nullable().optional(),
};
export const createBrandRequest = z.strictObject(brandFields);
export const updateBrandRequest = z
  .strictObject({
    ...brandFields,
    colors: brandColorsSchema.optional(),
    fonts: brandFontsSchema.optional(),
    name: brandFields.name.optional(),
    isActive: z.boolean().optional(),
  })
  .refine((v) => Object.keys(v).length > 0, 'nothing to update');
export const listBrandsQuery = z.strictObject({ ...pageQuery, q: z.string().trim().min(1).max(100).optional() });
export const brandPage = page(brandSchema);

// ---- brand assets ----------------------------------------------------------------------------
export const assetContentTypes = ['image/png', 'image/jpeg', 'image/webp'] as const;
export const assetKinds = ['logo', 'image', 'other'] as const;

export const assetSchema = z
  .object({
    id: uuid,
    brandId: uuid,
    kind: z.enum(assetKinds),
    name: z.string(),
    status: z.enum(['pending', 'ready', 'rejected']),
    contentType: z.string().nullable(),
    bytes: z.number().int().nullable(),
    width: z.number().int().nullable(),
    height: z.number().int().nullable(),
    sha256: z.string().nullable(),
    tags: z.array(z.string()),
    license: assetLicenseSchema.nullable(),
    /** How many brands (logo), templates and content requests use this asset. */
    usageCount: z.number().int(),
    /** Why server-side verification refused the upload (status = rejected). */
    rejectionReason: z.string().nullable(),
    ...timestamps,
  })
  .meta({ id: 'BrandAsset' });

export const createAssetRequest = z.strictObject({
  name: z.string().trim().min(1).max(200),
  kind: z.enum(assetKinds).default('image'),
  contentType: z.enum(assetContentTypes),
  tags: z.array(z.string().trim().min(1).max(40)).max(20).default([]),
  license: assetLicenseSchema.optional(),
});
export const createAssetResponse = z
  .object({
    asset: assetSchema,
    upload: z.object({
      method: z.literal('PUT'),
      url: z.string(),
      /** Send exactly these headers with the PUT. */
      headers: z.record(z.string(), z.string()),
      expiresAt: timestamp,
      maxBytes: z.number().int(),
    }),
  })
  .meta({ id: 'AssetUpload' });
export const listAssetsQuery = z.strictObject({
  ...pageQuery,
  /** Search by name (substring, typo tolerant) or exact tag. */
  q: z.string().trim().min(1).max(100).optional(),
  kind: z.enum(assetKinds).optional(),
  status: csv(z.enum(['pending', 'ready', 'rejected'])).optional(),
});
export const assetPage = page(assetSchema);
export const updateAssetRequest = z
  .strictObject({
    name: z.string().trim().min(1).max(200).optional(),
    tags: z.array(z.string().trim().min(1).max(40)).max(20).optional(),
    license: assetLicenseSchema.nullable().optional(),
  })
  .refine((v) => Object.keys(v).length > 0, 'nothing to update');

// ---- templates -------------------------------------------------------------------------------
export const templateSchema = namedResource('Template', {
  brandId: uuid,
  layers: templateLayersSchema,
  platforms: z.array(z.string()),
  version: z.number().int(),
});
export const createTemplateRequest = z.strictObject({
  brandId: uuid,
  ...nameAndDescription,
  layers: templateLayersSchema,
  /** Presets this template is meant for (empty = all). */
  platforms: z.array(platformName).max(20).default([]),
});
export const updateTemplateRequest = z
  .strictObject({
    ...nameAndDescription,
    name: nameAndDescription.name.optional(),
    layers: templateLayersSchema.optional(),
    platforms: z.array(platformName).max(20).optional(),
    isActive: z.boolean().optional(),
  })
  .refine((v) => Object.keys(v).length > 0, 'nothing to update');
export const listTemplatesQuery = z.strictObject({ ...pageQuery, brandId: uuid.optional() });
export const templatePage = page(templateSchema);
