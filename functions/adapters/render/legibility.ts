/**
 * Legibility by construction: after the background is composed, the contrast under every text
 * block is measured on the real pixels with the compliance engine's measure (sampleBackground +
 * contrastUnder, exactly what checkVariant reports), and the variant is adapted within the
 * brand's rules (complianceThresholds.legibility) until each block reaches minContrast:
 *   1. raise the overlay's opacity (up to maxOverlayOpacity) for the text it backs;
 *   2. switch the text to the palette's text/background colour that reads best;
 *   3. put a plate in the palette colour that stands out most from the text behind the block.
 * Every change is recorded with the contrast before and after. What no allowed change fixes stays
 * as it is, and the checker reports it. Deterministic: fixed order, fixed steps, no randomness.
 */
import type { BrandKit } from '../../domain/brand-types.js';
import { contrastUnder } from '../../domain/compliance/image-checks.js';
import { intersect, intersects, union, type Box } from '../../domain/rendering/geometry.js';
import {
  bestTextColor,
  colorLabel,
  opacitySteps,
  pct,
  plateColorFor,
  plateFor,
  ratioText,
  SLOT_LABEL,
  textColorCandidates,
} from '../../domain/rendering/legibility.js';
import type { Adjustment, PlannedOverlay, PlannedPlate, PlannedText } from '../../domain/rendering/types.js';
import { sampleBackground, type RawImage } from './analyze.js';
import { composeBackground } from './compose.js';

export interface LegibleBackground {
  /** Photo + overlay + plates, before text. */
  img: RawImage;
  overlay: PlannedOverlay | null;
  /** The texts with their final colours. */
  texts: PlannedText[];
  plates: PlannedPlate[];
  adjustments: Adjustment[];
}

const PLATE_OPACITIES = [0.6, 0.7, 0.8];
const list = (xs: string[]) =>
  xs.length <= 1 ? xs.join('') : `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1]}`;
const r2 = (v: number) => Math.round(v * 100) / 100;

export async function composeLegible(
  base: RawImage,
  overlay0: PlannedOverlay | null,
  texts0: readonly PlannedText[],
  brand: BrandKit,
): Promise<LegibleBackground> {
  const min = brand.complianceThresholds.minContrast;
  const rules = brand.complianceThresholds.legibility;
  const canvas = { x: 0, y: 0, w: base.width, h: base.height };
  let overlay = overlay0;
  const plates: PlannedPlate[] = [];
  const texts = texts0.map((t) => ({ ...t }));
  const adjustments: Adjustment[] = [];
  const drawn = texts.filter((t) => t.lines.length > 0);
  const ratio = (on: RawImage, t: PlannedText, color = t.color) =>
    contrastUnder(color, sampleBackground(on, at(t), t.slot));
  // Measured only where the text is (the same blend, the same samples as on the whole canvas),
  // which is composed once, at the end.
  const region: Box = union(drawn.map((t) => intersect(t.estimate, canvas))) ?? canvas;
  const at = (t: PlannedText) => ({ ...t.estimate, x: t.estimate.x - region.x, y: t.estimate.y - region.y });
  const compose = (o: PlannedOverlay | null, ps: readonly PlannedPlate[]) => composeBackground(base, o, ps, region);
  let img = await compose(overlay, plates);
  const failing = () => drawn.filter((t) => ratio(img, t) < min);

  // 1. A more opaque overlay, for the text it backs: the least opacity that is enough.
  const backed = overlay ? failing().filter((t) => intersects(t.estimate, overlay!.box)) : [];
  let fullest: { opacity: number; img: RawImage; before: number; after: number } | null = null;
  const raiseOpacity = (to: { opacity: number; img: RawImage; before: number; after: number }) => {
    adjustments.push({
      kind: 'overlay_opacity',
      from: overlay!.opacity,
      to: to.opacity,
      reason:
        `The ${list(backed.map((t) => SLOT_LABEL[t.slot]))} read${backed.length > 1 ? '' : 's'} at ${ratioText(to.before)} ` +
        `on the ${overlay!.kind}; its opacity went from ${pct(overlay!.opacity)} to ${pct(to.opacity)} ` +
        `(brand maximum ${pct(rules.maxOverlayOpacity)}) for ${min}:1.`,
      contrast: { before: r2(to.before), after: r2(to.after), min },
    });
    overlay = { ...overlay!, opacity: to.opacity };
    img = to.img;
  };
  if (overlay && backed.length > 0 && overlay.opacity < rules.maxOverlayOpacity) {
    const worst = (on: RawImage) => Math.min(...backed.map((t) => ratio(on, t)));
    const before = worst(img);
    for (const opacity of opacitySteps(overlay.opacity, rules.maxOverlayOpacity)) {
      const candidate = await compose({ ...overlay, opacity }, plates);
      fullest = { opacity, img: candidate, before, after: worst(candidate) };
      if (fullest.after >= min) break;
    }
    if (fullest && fullest.after >= min) {
      raiseOpacity(fullest);
      fullest = null;
    }
  }

  // 2. The brand colour (text/background role) that reads best where the text sits, when it is
  //    enough on its own; else together with the fullest overlay the brand allows.
  const switchColor = (t: PlannedText, onlyIfEnough: boolean) => {
    if (!rules.allowTextColorSwitch) return;
    const bg = sampleBackground(img, at(t), t.slot);
    const before = contrastUnder(t.color, bg);
    const best = bestTextColor(t.color, candidates, bg);
    if (best.hex === t.color.toUpperCase() || (onlyIfEnough && best.ratio < min) || best.ratio < before * 1.05) return;
    adjustments.push({
      kind: 'text_color',
      slot: t.slot,
      from: t.color,
      to: best.hex,
      reason:
        `The ${SLOT_LABEL[t.slot]} in ${colorLabel(brand, t.color)} read at ${ratioText(before)} here; ` +
        `${colorLabel(brand, best.hex)} reads at ${ratioText(best.ratio)} (needs ${min}:1).`,
      contrast: { before: r2(before), after: r2(best.ratio), min },
    });
    t.color = best.hex;
  };
  const candidates = textColorCandidates(brand);
  for (const t of failing()) switchColor(t, true);
  if (fullest && fullest.after > fullest.before && failing().some((t) => backed.includes(t))) {
    raiseOpacity({ ...fullest, before: Math.min(...backed.map((t) => ratio(img, t))) });
    for (const t of failing()) switchColor(t, true);
  }

  // 3. A plate behind what still does not read: in the palette colour that stands out most from
  //    the text, as transparent as it can be; the text keeps its colour when that is enough.
  if (rules.allowPlate) {
    const opacities = [...PLATE_OPACITIES.filter((o) => o < rules.maxPlateOpacity), rules.maxPlateOpacity];
    for (const t of failing()) {
      const before = ratio(img, t);
      const colors = [
        t.color.toUpperCase(),
        ...(rules.allowTextColorSwitch ? candidates.map((c) => c.hex).filter((h) => h !== t.color.toUpperCase()) : []),
      ];
      let chosen: { plate: PlannedPlate; img: RawImage; after: number; text: string } | null = null;
      search: for (const text of colors) {
        const color = plateColorFor(brand, text);
        for (const opacity of opacities) {
          const plate = plateFor(t, color.hex, opacity, canvas);
          const candidate = await compose(overlay, [...plates, plate]);
          const after = ratio(candidate, t, text);
          if (!chosen || after > chosen.after) chosen = { plate, img: candidate, after, text };
          if (after >= min) {
            chosen = { plate, img: candidate, after, text };
            break search;
          }
        }
      }
      if (!chosen || chosen.after <= before) continue;
      const switched = chosen.text !== t.color.toUpperCase();
      adjustments.push({
        kind: 'plate',
        slot: t.slot,
        from: null,
        to: chosen.plate.box,
        reason:
          `The ${SLOT_LABEL[t.slot]} read at ${ratioText(before)} over the photo; ` +
          `a plate in ${colorLabel(brand, chosen.plate.color)} at ${pct(chosen.plate.opacity)} behind it` +
          (switched ? `, with the text in ${colorLabel(brand, chosen.text)},` : '') +
          ` reads at ${ratioText(chosen.after)} (needs ${min}:1).`,
        contrast: { before: r2(before), after: r2(chosen.after), min },
      });
      if (switched) {
        adjustments.push({
          kind: 'text_color',
          slot: t.slot,
          from: t.color,
          to: chosen.text,
          reason: `On its plate the ${SLOT_LABEL[t.slot]} reads better in ${colorLabel(brand, chosen.text)} than in ${colorLabel(brand, t.color)}.`,
          contrast: { before: r2(before), after: r2(chosen.after), min },
        });
        t.color = chosen.text;
      }
      plates.push(chosen.plate);
      img = chosen.img;
    }
  }
  return { img: await composeBackground(base, overlay, plates), overlay, texts, plates, adjustments };
}
