/**
 * The background a variant's text sits on: the cropped photo, the brand overlay and any plates,
 * blended in that order (text and logo come on top, in renderer.ts). Overlays and plates are
 * defined as SVG and rasterized by librsvg, then blended with blend.ts.
 */
import sharp from 'sharp';
import type { Box } from '../../domain/rendering/geometry.js';
import type { PlannedOverlay, PlannedPlate } from '../../domain/rendering/types.js';
import type { RawImage } from './analyze.js';
import { blendOver, blendStrip, type RgbaLayer } from './blend.js';

/**
 * Overlays spanning the canvas across their gradient axis are rasterized as a 1-px strip (one
 * column or row instead of a megapixel) and repeated by blendStrip; others at their box size.
 */
/** Recent overlay rasters: legibility composes the same overlay again for its final image. */
const overlayRasters = new Map<string, Promise<{ layer: RgbaLayer; strip: boolean }>>();

export function rasterizeOverlay(
  o: PlannedOverlay,
  W: number,
  H: number,
): Promise<{ layer: RgbaLayer; strip: boolean }> {
  const key = JSON.stringify([o, W, H]);
  let r = overlayRasters.get(key);
  if (!r) {
    if (overlayRasters.size >= 32) overlayRasters.delete(overlayRasters.keys().next().value!);
    r = rasterize(o, W, H);
    r.catch(() => overlayRasters.delete(key));
    overlayRasters.set(key, r);
  }
  return r;
}

async function rasterize(o: PlannedOverlay, W: number, H: number): Promise<{ layer: RgbaLayer; strip: boolean }> {
  const vertical = o.opaqueEdge === 'top' || o.opaqueEdge === 'bottom';
  const stop = (offset: string, opacity: string | number) =>
    `<stop offset="${offset}" stop-color="${o.color}" stop-opacity="${opacity}"/>`;
  const stops =
    o.kind === 'band'
      ? stop('0', o.opacity) + stop('1', o.opacity)
      : stop('0', '0') +
        stop((o.ramp * 0.6).toFixed(4), (o.opacity * 0.55).toFixed(4)) +
        stop(o.ramp.toFixed(4), o.opacity) +
        stop('1', o.opacity);
  // The gradient runs from the transparent side (offset 0) to the opaque edge (offset 1).
  const [x1, y1, x2, y2] = { bottom: [0, 0, 0, 1], top: [0, 1, 0, 0], right: [0, 0, 1, 0], left: [1, 0, 0, 0] }[
    o.opaqueEdge
  ];
  const grad = `<linearGradient id="g" x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}">${stops}</linearGradient>`;
  const strip = vertical ? o.box.x === 0 && o.box.w === W : o.box.y === 0 && o.box.h === H;
  let svg: string;
  if (strip) {
    const [sw, sh] = vertical ? [1, H] : [W, 1];
    const [rx, ry, rw, rh] = vertical ? [0, o.box.y, 1, o.box.h] : [o.box.x, 0, o.box.w, 1];
    svg =
      `<svg xmlns="http://www.w3.org/2000/svg" width="${sw}" height="${sh}"><defs>${grad}</defs>` +
      `<rect x="${rx}" y="${ry}" width="${rw}" height="${rh}" fill="url(#g)"/></svg>`;
  } else {
    svg =
      `<svg xmlns="http://www.w3.org/2000/svg" width="${o.box.w}" height="${o.box.h}"><defs>${grad}</defs>` +
      `<rect width="${o.box.w}" height="${o.box.h}" fill="url(#g)"/></svg>`;
  }
  const { data, info } = await sharp(Buffer.from(svg)).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  return { layer: { data, width: info.width, height: info.height }, strip };
}

export async function rasterizePlate(p: PlannedPlate): Promise<RgbaLayer> {
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${p.box.w}" height="${p.box.h}">` +
    `<rect width="${p.box.w}" height="${p.box.h}" rx="${p.radius}" fill="${p.color}" fill-opacity="${p.opacity}"/></svg>`;
  const { data, info } = await sharp(Buffer.from(svg)).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

/**
 * A fresh copy of `base` with the overlay and plates blended in; with `region`, only that part of
 * the canvas (an image of the region's size): legibility tries candidates on the pixels under the
 * text, not on the whole canvas.
 */
export async function composeBackground(
  base: RawImage,
  overlay: PlannedOverlay | null,
  plates: readonly PlannedPlate[],
  region?: Box,
): Promise<RawImage> {
  const [overlayPx, platePx] = await Promise.all([
    overlay ? rasterizeOverlay(overlay, base.width, base.height) : Promise.resolve(null),
    Promise.all(plates.map(rasterizePlate)),
  ]);
  const r = region ?? { x: 0, y: 0, w: base.width, h: base.height };
  const img = crop(base, r);
  if (overlay && overlayPx) {
    const { layer } = overlayPx;
    if (!overlayPx.strip) blendOver(img, layer, overlay.box.x - r.x, overlay.box.y - r.y);
    else if (layer.width === 1)
      blendStrip(img, { data: layer.data.subarray(r.y * 4, (r.y + r.h) * 4), width: 1, height: r.h });
    else blendStrip(img, { data: layer.data.subarray(r.x * 4, (r.x + r.w) * 4), width: r.w, height: 1 });
  }
  plates.forEach((p, i) => {
    blendOver(img, platePx[i], p.box.x - r.x, p.box.y - r.y);
  });
  return img;
}

function crop(base: RawImage, r: Box): RawImage {
  if (r.x === 0 && r.y === 0 && r.w === base.width && r.h === base.height)
    return { ...base, data: Buffer.from(base.data) };
  const c = base.channels;
  const data = Buffer.alloc(r.w * r.h * c);
  for (let y = 0; y < r.h; y++)
    base.data.copy(data, y * r.w * c, ((r.y + y) * base.width + r.x) * c, ((r.y + y) * base.width + r.x + r.w) * c);
  return { data, width: r.w, height: r.h, channels: c };
}
