/**
 * Checks on pixels and layout: palette, contrast, logo, fonts, safe zone, file size, resolution,
 * licence, and text that did not fit. Inputs are measurements made by the render adapter
 * (dominant colors, background luminance under each text block, the actual ink boxes), so these
 * functions stay pure.
 */
import type { AssetLicense, BrandKit } from '../brand-types.js';
import type { PlatformPreset } from '../platforms.js';
import { safeRect } from '../platforms.js';
import { bottom, contains, gap, intersects, right, type Box } from '../rendering/geometry.js';
import type { DominantColor, RenderedLayout, TextBackground } from '../rendering/types.js';
import { SHIPPED_FONTS } from '../brand-types.js';
import { chroma, ciede2000, contrastFromLuminance, hexToRgb, relativeLuminance, rgbToLab } from './color.js';
import type { Finding } from './types.js';

const SLOT_LABEL = { headline: 'headline', body: 'body text', cta: 'call to action' } as const;
const pct = (v: number) => `${Math.round(v * 100)}%`;
const mb = (b: number) => `${(b / (1024 * 1024)).toFixed(1)} MB`;

/** The preset a finding is about: `name` goes into Finding.platform, `label` into messages. */
export interface Where {
  name: string;
  label: string;
}
const onWhere = (w?: Where) => (w ? ` on ${w.label}` : '');

/** Below this CIELAB chroma a color counts as neutral (white/grey/black) and is allowed anywhere. */
export const NEUTRAL_CHROMA = 10;
/** Images whose colorful part is smaller than this share are treated as neutral overall. */
const MIN_COLORFUL_SHARE = 0.15;
const PALETTE_ERROR_BELOW = 0.1;
const PALETTE_WARNING_BELOW = 0.35;

export function checkPalette(colors: readonly DominantColor[], brand: BrandKit, where?: Where): Finding[] {
  const palette = brand.colors.palette.map((c) => ({ ...c, lab: rgbToLab(hexToRgb(c.hex)) }));
  const rows = colors.map((c) => {
    const lab = rgbToLab(hexToRgb(c.hex));
    let nearest = palette[0];
    let dE = Infinity;
    for (const p of palette) {
      const d = ciede2000(lab, p.lab);
      if (d < dE) {
        dE = d;
        nearest = p;
      }
    }
    const neutral = chroma(lab) < NEUTRAL_CHROMA;
    return {
      hex: c.hex,
      share: c.share,
      neutral,
      nearest: nearest.hex,
      nearestName: nearest.name,
      deltaE: Math.round(dE * 10) / 10,
      onPalette: neutral || dE <= brand.colors.maxDeltaE,
    };
  });
  const colorful = rows.filter((r) => !r.neutral);
  const colorfulShare = colorful.reduce((s, r) => s + r.share, 0);
  if (colorfulShare < MIN_COLORFUL_SHARE) return [];
  const onShare = colorful.filter((r) => r.onPalette).reduce((s, r) => s + r.share, 0) / colorfulShare;
  if (onShare >= PALETTE_WARNING_BELOW) return [];
  const off = colorful.filter((r) => !r.onPalette).sort((a, b) => b.share - a.share);
  const severity = onShare < PALETTE_ERROR_BELOW ? 'error' : 'warning';
  return [
    {
      check: 'palette',
      severity,
      platform: where?.name,
      message: `Only ${pct(onShare)} of the image's colors are close to your brand palette; the main colors (${off
        .slice(0, 3)
        .map((r) => r.hex)
        .join(', ')}) are off-brand.`,
      fixHint: 'Pick a photo in your brand colors, or use an overlay in a brand color with higher opacity.',
      details: { onPaletteShare: Math.round(onShare * 1000) / 1000, maxDeltaE: brand.colors.maxDeltaE, colors: rows },
    },
  ];
}

/**
 * The contrast measure: text colour against the 10% of the background closest to it (p90 for
 * light text, p10 for dark). Text over a busy photo is only readable if it also reads over the
 * photo's worst patches. The renderer adapts its legibility with this same function.
 */
export function contrastUnder(textHex: string, bg: TextBackground): number {
  const textLum = relativeLuminance(hexToRgb(textHex));
  const worst = textLum >= bg.luminance.p50 ? bg.luminance.p90 : bg.luminance.p10;
  return contrastFromLuminance(textLum, worst);
}

export function checkContrast(
  layout: RenderedLayout,
  backgrounds: readonly TextBackground[],
  minContrast: number,
  where?: Where,
): Finding[] {
  const findings: Finding[] = [];
  for (const t of layout.texts) {
    const bg = backgrounds.find((b) => b.slot === t.slot);
    if (!t.bbox || !bg || bg.samples === 0) continue;
    const ratio = contrastUnder(t.color, bg);
    if (ratio >= minContrast) continue;
    const severity = ratio < Math.min(3, minContrast) ? 'error' : 'warning';
    findings.push({
      check: 'contrast',
      severity,
      platform: where?.name,
      message: `The ${SLOT_LABEL[t.slot]} is hard to read${onWhere(where)}: contrast ${ratio.toFixed(1)}:1 where the text sits (needs ${minContrast}:1).`,
      fixHint:
        'Raise the overlay opacity, pick a text color that stands out more from the background, or choose a calmer photo.',
      details: { slot: t.slot, ratio: Math.round(ratio * 100) / 100, minContrast, textColor: t.color, background: bg },
    });
  }
  return findings;
}

export function checkLogo(layout: RenderedLayout, where?: Where): Finding[] {
  if (!layout.logoExpected) return [];
  const logo = layout.logo;
  if (!logo) {
    return [
      {
        check: 'logo',
        severity: 'error',
        platform: where?.name,
        message: `The brand logo is missing from the image${onWhere(where)}.`,
        fixHint: 'Upload a logo to the brand (PNG with transparency works best), or turn the logo off in the template.',
        details: {},
      },
    ];
  }
  const findings: Finding[] = [];
  if (logo.box.w < logo.minWidth) {
    findings.push({
      check: 'logo',
      severity: 'error',
      platform: where?.name,
      message: `The logo is ${logo.box.w} px wide, smaller than your brand minimum of ${logo.minWidth} px for this size.`,
      fixHint: 'Increase the logo width in the brand settings, or use a wider logo file (less padding around it).',
      details: { box: logo.box, minWidth: logo.minWidth },
    });
  }
  for (const t of layout.texts) {
    if (!t.bbox) continue;
    const g = gap(logo.box, t.bbox);
    if (g < logo.clearSpace) {
      findings.push({
        check: 'logo',
        severity: 'warning',
        platform: where?.name,
        message: `The ${SLOT_LABEL[t.slot]} comes within ${g} px of the logo; your brand asks for ${logo.clearSpace} px of clear space.`,
        fixHint: 'Move the text box away from the logo corner in the template, or move the logo to another corner.',
        details: { slot: t.slot, gap: g, clearSpace: logo.clearSpace, logo: logo.box, text: t.bbox },
      });
    }
  }
  return findings;
}

export function checkFonts(layout: RenderedLayout, brand: BrandKit, where?: Where): Finding[] {
  const findings: Finding[] = [];
  const allowed = new Set(brand.fonts.allowed.map((f) => f.trim().toLowerCase()));
  const shipped = new Set<string>(SHIPPED_FONTS.map((f) => f.toLowerCase()));
  for (const t of layout.texts) {
    if (t.lines.length === 0) continue;
    if (!allowed.has(t.font.family.toLowerCase())) {
      findings.push({
        check: 'fonts',
        severity: 'error',
        platform: where?.name,
        message: `The ${SLOT_LABEL[t.slot]} is set in ${t.font.family}, which is not one of your brand fonts (${brand.fonts.allowed.join(', ')}).`,
        fixHint: `Allow ${t.font.family} in the brand fonts, or pick a brand font the renderer ships (${SHIPPED_FONTS.join(', ')}).`,
        details: { slot: t.slot, used: t.font.family, allowed: brand.fonts.allowed },
      });
    } else if (!shipped.has(t.font.requestedFamily.toLowerCase())) {
      findings.push({
        check: 'fonts',
        severity: 'warning',
        platform: where?.name,
        message: `Your ${SLOT_LABEL[t.slot]} font ${t.font.requestedFamily} is not available for rendering, so ${t.font.family} was used.`,
        fixHint: `Set the brand's ${t.slot === 'headline' ? 'headline' : 'body'} font to one the renderer ships (${SHIPPED_FONTS.join(', ')}).`,
        details: { slot: t.slot, requested: t.font.requestedFamily, used: t.font.family },
      });
    }
    if (t.missingGlyphs.length > 0) {
      findings.push({
        check: 'fonts',
        severity: 'warning',
        platform: where?.name,
        message:
          `Some characters in the ${SLOT_LABEL[t.slot]} (${t.missingGlyphs.join(' ')}) ` +
          'are in none of the fonts the renderer ships and show as empty boxes.',
        fixHint: 'Remove these characters from on-image text (they can stay in the post text).',
        details: { slot: t.slot, missing: t.missingGlyphs },
      });
    }
  }
  return findings;
}

function overflow(outer: Box, inner: Box) {
  return {
    top: Math.max(0, outer.y - inner.y),
    left: Math.max(0, outer.x - inner.x),
    bottom: Math.max(0, bottom(inner) - bottom(outer)),
    right: Math.max(0, right(inner) - right(outer)),
  };
}

export function checkSafeZone(layout: RenderedLayout, preset: PlatformPreset): Finding[] {
  const safe = safeRect(preset);
  const elements: Array<{ name: string; box: Box }> = [
    ...layout.texts.filter((t) => t.bbox).map((t) => ({ name: SLOT_LABEL[t.slot], box: t.bbox as Box })),
    ...(layout.logo ? [{ name: 'logo', box: layout.logo.box }] : []),
  ];
  const findings: Finding[] = [];
  for (const el of elements) {
    const out = !contains(safe, el.box);
    const covered = preset.uiOverlays.filter((o) => intersects(o, el.box));
    if (!out && covered.length === 0) continue;
    const where = out
      ? Object.entries(overflow(safe, el.box))
          .filter(([, v]) => v > 0)
          .map(([side, v]) => `${v} px into the ${side} margin`)
          .join(', ')
      : `under the ${covered.map((o) => o.label).join(', ')}`;
    findings.push({
      check: 'safe_zone',
      severity: 'error',
      platform: preset.name,
      message: `On ${preset.label} the ${el.name} reaches ${where}, where the app's interface or cropping can hide it.`,
      fixHint:
        `Move the ${el.name} inside the safe area (${preset.safeZone.top} px from the top, ` +
        `${preset.safeZone.bottom} px from the bottom, ${preset.safeZone.left} px from the sides).`,
      details: { element: el.name, box: el.box, safe, overlays: covered },
    });
  }
  return findings;
}

export function checkFileSize(bytes: number, preset: PlatformPreset): Finding[] {
  if (bytes <= preset.maxBytes) return [];
  return [
    {
      check: 'file_size',
      severity: 'error',
      platform: preset.name,
      message: `The ${preset.label} file is ${mb(bytes)}; the platform accepts at most ${mb(preset.maxBytes)}.`,
      fixHint:
        'Re-render with a lower quality for this platform, or use a less detailed photo (grain and noise compress poorly).',
      details: { bytes, maxBytes: preset.maxBytes },
    },
  ];
}

/** Output px per source px for a cover crop of `source` into the preset. */
export function coverScale(
  source: { width: number; height: number },
  target: { width: number; height: number },
): number {
  return Math.max(target.width / source.width, target.height / source.height);
}

export function checkUpscale(
  scale: number,
  maxUpscale: number,
  preset: PlatformPreset,
  source: { width: number; height: number },
): Finding[] {
  if (scale <= maxUpscale) return [];
  const need = { width: Math.ceil(preset.width / maxUpscale), height: Math.ceil(preset.height / maxUpscale) };
  return [
    {
      check: 'resolution',
      severity: 'error',
      platform: preset.name,
      message:
        `The photo (${source.width}x${source.height}) has to be enlarged ${scale.toFixed(1)}x for ${preset.label} ` +
        `and will look blurry (your limit is ${maxUpscale}x).`,
      fixHint: `Use a larger image: at least ${need.width}x${need.height} px covering this format (download the 'large' or 'original' size).`,
      details: {
        scale: Math.round(scale * 100) / 100,
        maxUpscale,
        source,
        target: { width: preset.width, height: preset.height },
      },
    },
  ];
}

export function checkLicense(license: AssetLicense | null | undefined): Finding[] {
  if (!license) return [];
  const credit = `Image by ${license.author ?? 'the author'} on Freepik`;
  if (license.type === 'premium') {
    return [
      {
        check: 'license',
        severity: 'warning',
        message:
          'This is a premium stock image: it may only be used under your premium plan, and the author must be credited unless your plan waives it.',
        fixHint: `Confirm your plan covers this use and add "${credit}" to the post text.`,
        details: { license },
      },
    ];
  }
  if (license.attributionRequired) {
    return [
      {
        check: 'license',
        severity: 'warning',
        message: 'The image licence requires crediting the author.',
        fixHint: `Add "${credit}" to the post text.`,
        details: { license },
      },
    ];
  }
  return [];
}

export function checkPlacement(layout: RenderedLayout, where?: Where): Finding[] {
  const findings: Finding[] = [];
  for (const t of layout.texts) {
    if (!t.truncated) continue;
    const placed = t.lines.length > 0;
    findings.push({
      check: 'copy_length',
      severity: 'error',
      platform: where?.name,
      message: placed
        ? `The ${SLOT_LABEL[t.slot]} did not fit${onWhere(where)} and was cut to "${t.lines.join(' ')}".`
        : `There was no room for the ${SLOT_LABEL[t.slot]}${onWhere(where)}, so it was left out.`,
      fixHint: `Shorten the ${SLOT_LABEL[t.slot]}, or give its box more room / a smaller minimum font size in the template.`,
      details: { slot: t.slot, sourceText: t.sourceText, lines: t.lines, box: t.box, size: t.size },
    });
  }
  return findings;
}
