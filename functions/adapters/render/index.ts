/**
 * The render adapter's public surface (sharp-backed). Workflow tasks call:
 *   composeMaster -> (store master) -> renderVariants -> (store variants) -> checkVariant per variant.
 */
export {
  composeMaster,
  decodeImage,
  encodeUnderLimit,
  sha256Hex,
  type MasterAsset,
  type ComposeMasterOptions,
  type DecodedImage,
} from './image-io.js';
export {
  renderVariant,
  renderVariants,
  prepareLogo,
  type RenderedVariant,
  type RenderInput,
  type RenderVariantInput,
  type RenderVariantsInput,
  type PreparedLogo,
} from './renderer.js';
export { analyzeImage, dominantColors, sampleBackground, type RawImage } from './analyze.js';
export { configureSharp, sharpSettings, mapPool, INPUT_LIMITS, type SharpSettings } from './sharp-config.js';
export { configureFonts, shippedFonts, type ShippedFont } from './fonts.js';
export { previewTemplate, type PreviewInput, type PreviewResult } from './preview.js';
export { variantKey, masterKey } from '../../domain/rendering/keys.js';
