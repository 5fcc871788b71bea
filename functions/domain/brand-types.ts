/**
 * The shapes stored as JSONB on brands, templates and requests. Defined once as zod schemas:
 * the API validates bodies with them, the schema types its JSONB columns with them, and the
 * renderer/compliance engine consume the inferred types.
 */
import { z } from 'zod';

export const hexColor = z.string().regex(/^#[0-9A-Fa-f]{6}$/, 'must be a #RRGGBB color');

export const colorRole = z.enum(['primary', 'secondary', 'accent', 'background', 'text']);
export const brandColorsSchema = z.strictObject({
  palette: z
    .array(z.strictObject({ name: z.string().min(1).max(60), hex: hexColor, role: colorRole }))
    .min(1)
    .max(16),
  /** Largest CIEDE2000 distance at which an image color still counts as "on palette". */
  maxDeltaE: z.number().min(1).max(50).default(20),
});
export type BrandColors = z.infer<typeof brandColorsSchema>;

/** Fonts the renderer ships (OFL). A brand may only name these. */
export const SHIPPED_FONTS = ['Inter'] as const;
export const brandFontsSchema = z.strictObject({
  headline: z.string().min(1).max(60),
  body: z.string().min(1).max(60),
  /** Every font family allowed to appear in renders. */
  allowed: z.array(z.string().min(1).max(60)).min(1).max(10),
});
export type BrandFonts = z.infer<typeof brandFontsSchema>;

export const logoPlacement = z.enum(['top-left', 'top-right', 'bottom-left', 'bottom-right']);
export type LogoPlacement = z.infer<typeof logoPlacement>;
export const brandLogoSchema = z.strictObject({
  /** brand_assets row holding the logo (PNG with alpha preferred). */
  assetId: z.string().uuid().optional(),
  placement: logoPlacement.default('top-right'),
  /** Logo width as a fraction of the canvas width. */
  widthPct: z.number().min(0.03).max(0.5).default(0.16),
  /** Minimum acceptable logo width as a fraction of the canvas width. */
  minWidthPct: z.number().min(0.01).max(0.5).default(0.08),
  /** Clear space around the logo, as a fraction of the logo width. */
  clearSpacePct: z.number().min(0).max(1).default(0.25),
});
export type BrandLogo = z.infer<typeof brandLogoSchema>;

export const voiceRulesSchema = z.strictObject({
  tone: z.string().max(500).optional(),
  bannedWords: z.array(z.string().min(1).max(60)).max(200).default([]),
  requiredDisclaimer: z.string().max(300).optional(),
  requiredHashtags: z
    .array(z.string().regex(/^#\w+$/u))
    .max(20)
    .default([]),
  maxHashtags: z.number().int().min(0).max(30).default(10),
});
export type VoiceRules = z.infer<typeof voiceRulesSchema>;

export const complianceCheckIds = [
  'palette',
  'contrast',
  'logo',
  'fonts',
  'banned_words',
  'disclaimer',
  'hashtags',
  'copy_length',
  'resolution',
  'safe_zone',
  'file_size',
  'license',
] as const;
export type ComplianceCheckId = (typeof complianceCheckIds)[number];

/**
 * What the renderer may change on its own so text reaches `minContrast` (each change is recorded
 * on the variant). Brands that must keep the template exactly as designed switch these off.
 */
export const legibilityRulesSchema = z.strictObject({
  /** Highest opacity the overlay may be raised to (never lowered below the template's). */
  maxOverlayOpacity: z.number().min(0).max(1).default(0.95),
  /** Text may switch to the palette colour with role `text` or `background` that reads better. */
  allowTextColorSwitch: z.boolean().default(true),
  /** A plate (rounded rectangle in a palette colour) may be put behind a text block. */
  allowPlate: z.boolean().default(true),
  /** Highest opacity of such a plate. */
  maxPlateOpacity: z.number().min(0.3).max(1).default(0.9),
});
export type LegibilityRules = z.infer<typeof legibilityRulesSchema>;

export const complianceThresholdsSchema = z.strictObject({
  /** Score at or above which a request passes without manual review (if the workflow allows). */
  autoPass: z.number().min(0).max(100).default(85),
  /** Score below which a request is rejected automatically. */
  autoReject: z.number().min(0).max(100).default(50),
  /** Relative weight of each check (default 1). */
  weights: z.partialRecord(z.enum(complianceCheckIds), z.number().min(0).max(10)).default({}),
  /** Minimum WCAG contrast ratio for text. */
  minContrast: z.number().min(1).max(21).default(4.5),
  /** Largest allowed upscaling of the source image. */
  maxUpscale: z.number().min(1).max(8).default(1.5),
  /** How the renderer may adapt a variant until its text reaches `minContrast`. */
  legibility: legibilityRulesSchema.prefault({}),
});
export type ComplianceThresholds = z.infer<typeof complianceThresholdsSchema>;
export type ComplianceThresholdsInput = z.input<typeof complianceThresholdsSchema>;

/** A rectangle relative to the canvas (0..1). */
export const relBox = z.strictObject({
  x: z.number().min(0).max(1),
  y: z.number().min(0).max(1),
  w: z.number().min(0.05).max(1),
  h: z.number().min(0.02).max(1),
});
export type RelBox = z.infer<typeof relBox>;
/** Layout classes the renderer adapts between. */
export const layoutClass = z.enum(['square', 'tall', 'wide']);
export type LayoutClass = z.infer<typeof layoutClass>;
const perLayoutBox = z
  .strictObject({ square: relBox, tall: relBox, wide: relBox })
  .partial()
  .extend({ default: relBox });

/** The text blocks a template places, in layout order: a later slot makes way for an earlier one. */
export const textSlotNames = ['headline', 'body', 'cta'] as const;
export type TextSlotName = (typeof textSlotNames)[number];
export const textAlignments = ['left', 'center', 'right'] as const;
export type Align = (typeof textAlignments)[number];
export const fontWeights = ['regular', 'bold'] as const;
export type FontWeight = (typeof fontWeights)[number];

export const textSlotSchema = z.strictObject({
  /** Text area per layout class, relative to the preset's safe rectangle (not the full canvas), so
   *  one box works on a 4:5 post and on a story with UI bands. */
  box: perLayoutBox,
  align: z.enum(textAlignments).default('left'),
  colorRole: colorRole.default('text'),
  /** Font size range in px at a 1080-px-wide canvas; scaled with the canvas. */
  minSize: z.number().min(8).max(200).default(24),
  maxSize: z.number().min(8).max(300).default(72),
  maxLines: z.number().int().min(1).max(10).default(3),
  weight: z.enum(fontWeights).default('bold'),
});
export type TextSlot = z.infer<typeof textSlotSchema>;

export const templateLayersSchema = z.strictObject({
  image: z
    .strictObject({ focus: z.enum(['attention', 'entropy', 'center']).default('attention') })
    .default({ focus: 'attention' }),
  overlay: z
    .strictObject({
      kind: z.enum(['none', 'band', 'gradient']).default('gradient'),
      colorRole: colorRole.default('primary'),
      opacity: z.number().min(0).max(1).default(0.85),
      /** Band/gradient region, per layout. */
      box: perLayoutBox.optional(),
    })
    .default({ kind: 'gradient', colorRole: 'primary', opacity: 0.85 }),
  headline: textSlotSchema,
  body: textSlotSchema.optional(),
  cta: textSlotSchema.optional(),
  logo: z
    .strictObject({ enabled: z.boolean().default(true), placement: logoPlacement.optional() })
    .default({ enabled: true }),
});
export type TemplateLayers = z.infer<typeof templateLayersSchema>;

export const assetLicenseSchema = z.strictObject({
  type: z.enum(['freemium', 'premium', 'ai_generated', 'owned']),
  author: z.string().max(200).optional(),
  sourceUrl: z.string().url().optional(),
  licenseUrl: z.string().url().optional(),
  attributionRequired: z.boolean(),
  freepikId: z.union([z.string(), z.number()]).optional(),
});
export type AssetLicense = z.infer<typeof assetLicenseSchema>;

export const briefSchema = z.strictObject({
  headline: z.string().trim().min(1).max(200),
  body: z.string().trim().max(2000).optional(),
  callToAction: z.string().trim().max(80).optional(),
  hashtags: z
    .array(z.string().regex(/^#\w{1,100}$/u, 'hashtags look like #word'))
    .max(30)
    .optional(),
});
export type Brief = z.infer<typeof briefSchema>;

export const imageSpecSchema = z
  .strictObject({
    source: z.enum(['stock', 'ai']),
    query: z.string().trim().min(2).max(200).optional(),
    prompt: z.string().trim().min(3).max(2000).optional(),
  })
  .refine((v) => (v.source === 'stock' ? !!v.query : !!v.prompt), {
    message: 'stock images need a query, AI images need a prompt',
  });
export type ImageSpec = z.infer<typeof imageSpecSchema>;

/**
 * The parts of a brand profile the renderer and compliance engine read (the JSONB columns of one
 * brand_profiles row). Not strict, so a whole row can be passed; `prefault` parses the stored
 * `{}` column defaults, so inner defaults (bannedWords, autoPass, ...) are always filled in.
 */
export const brandKitSchema = z.object({
  colors: brandColorsSchema,
  fonts: brandFontsSchema,
  logo: brandLogoSchema.prefault({}),
  voiceRules: voiceRulesSchema.prefault({}),
  complianceThresholds: complianceThresholdsSchema.prefault({}),
});
export type BrandKit = z.infer<typeof brandKitSchema>;
export type BrandKitInput = z.input<typeof brandKitSchema>;
