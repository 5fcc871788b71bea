/**
 * Matches a method + path against the route table the way API Gateway HTTP APIs do: literal
 * segments beat `{param}` segments, `{proxy+}` is greedy and weakest. Used by the local server.
 */
import { routeKeyOf, type RouteEntry } from '../../functions/handlers/api/route-def.js';

interface Compiled {
  route: RouteEntry;
  segs: string[];
  score: number[];
}

export interface RouteMatch {
  route: RouteEntry;
  params: Record<string, string>;
  routeKey: string;
}
export type MatchResult =
  | { kind: 'found'; match: RouteMatch }
  | { kind: 'method_not_allowed'; allowed: string[] }
  | { kind: 'not_found' };

export function createMatcher(routes: RouteEntry[]): (method: string, path: string) => MatchResult {
  const compiled: Compiled[] = routes.map((route) => {
    const segs = route.path.split('/').filter(Boolean);
    return { route, segs, score: segs.map((s) => (s.endsWith('+}') ? 0 : s.startsWith('{') ? 1 : 2)) };
  });
  // Most specific first: compare segment scores left to right, then longer paths first.
  compiled.sort((a, b) => {
    for (let i = 0; i < Math.max(a.score.length, b.score.length); i++) {
      const d = (b.score[i] ?? -1) - (a.score[i] ?? -1);
      if (d) return d;
    }
    return 0;
  });

  const matchOne = (c: Compiled, parts: string[]): Record<string, string> | undefined => {
    const params: Record<string, string> = {};
    for (let i = 0; i < c.segs.length; i++) {
      const s = c.segs[i];
      if (s.endsWith('+}')) {
        if (i >= parts.length) return undefined;
        params[s.slice(1, -2)] = parts.slice(i).join('/');
        return params;
      }
      const p = parts[i];
      if (p === undefined) return undefined;
      if (s.startsWith('{')) {
        if (!p) return undefined;
        params[s.slice(1, -1)] = p;
      } else if (s !== p) return undefined;
    }
    return parts.length === c.segs.length ? params : undefined;
  };

  return (method, rawPath) => {
    let parts: string[];
    try {
      parts = rawPath
        .split('/')
        .filter(Boolean)
        .map((p) => decodeURIComponent(p));
    } catch {
      return { kind: 'not_found' };
    }
    const allowed: string[] = [];
    for (const c of compiled) {
      const params = matchOne(c, parts);
      if (!params) continue;
      if (c.route.method === method.toUpperCase())
        return { kind: 'found', match: { route: c.route, params, routeKey: routeKeyOf(c.route) } };
      allowed.push(c.route.method);
    }
    return allowed.length ? { kind: 'method_not_allowed', allowed: [...new Set(allowed)] } : { kind: 'not_found' };
  };
}
