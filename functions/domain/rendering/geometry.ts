/**
 * Integer pixel rectangles. Every box the renderer and the compliance engine exchange is one of
 * these, so "inside the safe zone" and "clear of the logo" are plain arithmetic.
 */
export interface Box {
  /** Left edge in px from the canvas' left side. */
  x: number;
  /** Top edge in px from the canvas' top. */
  y: number;
  /** Width in px (may be 0 for an empty box). */
  w: number;
  /** Height in px (may be 0 for an empty box). */
  h: number;
}

/** Insets from each canvas edge in px. */
export interface Insets {
  top: number;
  right: number;
  bottom: number;
  left: number;
}

export const right = (b: Box): number => b.x + b.w;
export const bottom = (b: Box): number => b.y + b.h;
export const area = (b: Box): number => Math.max(0, b.w) * Math.max(0, b.h);
export const isEmpty = (b: Box): boolean => b.w <= 0 || b.h <= 0;

export function box(x: number, y: number, w: number, h: number): Box {
  return { x: Math.round(x), y: Math.round(y), w: Math.max(0, Math.round(w)), h: Math.max(0, Math.round(h)) };
}

export function intersect(a: Box, b: Box): Box {
  const x = Math.max(a.x, b.x);
  const y = Math.max(a.y, b.y);
  const w = Math.min(right(a), right(b)) - x;
  const h = Math.min(bottom(a), bottom(b)) - y;
  return { x, y, w: Math.max(0, w), h: Math.max(0, h) };
}

export function intersects(a: Box, b: Box): boolean {
  return !isEmpty(a) && !isEmpty(b) && a.x < right(b) && b.x < right(a) && a.y < bottom(b) && b.y < bottom(a);
}

/** True when `inner` lies entirely within `outer` (edges may touch). */
export function contains(outer: Box, inner: Box): boolean {
  return inner.x >= outer.x && inner.y >= outer.y && right(inner) <= right(outer) && bottom(inner) <= bottom(outer);
}

export function union(boxes: readonly Box[]): Box | null {
  const live = boxes.filter((b) => !isEmpty(b));
  if (live.length === 0) return null;
  const x = Math.min(...live.map((b) => b.x));
  const y = Math.min(...live.map((b) => b.y));
  return { x, y, w: Math.max(...live.map(right)) - x, h: Math.max(...live.map(bottom)) - y };
}

export function expand(b: Box, by: number): Box {
  return { x: b.x - by, y: b.y - by, w: b.w + 2 * by, h: b.h + 2 * by };
}

export function insetRect(width: number, height: number, i: Insets): Box {
  return { x: i.left, y: i.top, w: width - i.left - i.right, h: height - i.top - i.bottom };
}

/** Gap between two boxes (0 when they touch or overlap): the Chebyshev distance between rectangles. */
export function gap(a: Box, b: Box): number {
  const dx = Math.max(0, b.x - right(a), a.x - right(b));
  const dy = Math.max(0, b.y - bottom(a), a.y - bottom(b));
  return Math.max(dx, dy);
}

/**
 * Shrinks `b` so it no longer overlaps `obstacle`, keeping the largest remaining piece. Cutting
 * one side is enough for a rectangle, so there are four candidates; ties keep the first in
 * bottom/top/right/left order, which keeps the result deterministic.
 */
export function avoid(b: Box, obstacle: Box): Box {
  if (!intersects(b, obstacle)) return b;
  const candidates: Box[] = [
    { x: b.x, y: b.y, w: b.w, h: obstacle.y - b.y }, // keep the part above
    { x: b.x, y: bottom(obstacle), w: b.w, h: bottom(b) - bottom(obstacle) }, // keep the part below
    { x: b.x, y: b.y, w: obstacle.x - b.x, h: b.h }, // keep the part to the left
    { x: right(obstacle), y: b.y, w: right(b) - right(obstacle), h: b.h }, // keep the part to the right
  ].filter((c) => c.w > 0 && c.h > 0);
  if (candidates.length === 0) return { x: b.x, y: b.y, w: 0, h: 0 };
  let best = candidates[0];
  for (const c of candidates) if (area(c) > area(best)) best = c;
  return best;
}

/**
 * Moves a fixed-size box the shortest distance that clears `obstacle` while staying inside
 * `bounds`; returns the box unchanged when no such move exists.
 */
export function nudgeAway(b: Box, obstacle: Box, bounds: Box): Box {
  if (!intersects(b, obstacle)) return b;
  const moves: Box[] = [
    { ...b, y: obstacle.y - b.h },
    { ...b, y: bottom(obstacle) },
    { ...b, x: obstacle.x - b.w },
    { ...b, x: right(obstacle) },
  ].filter((c) => contains(bounds, c));
  if (moves.length === 0) return b;
  const dist = (c: Box) => Math.abs(c.x - b.x) + Math.abs(c.y - b.y);
  let best = moves[0];
  for (const m of moves) if (dist(m) < dist(best)) best = m;
  return best;
}
