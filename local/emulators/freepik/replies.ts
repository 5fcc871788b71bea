/**
 * One exchange as the emulator logs and answers it: the call record tests read back, the reply
 * shape every route returns, and the contract's error bodies (`message`, `invalid_params`).
 */
import type http from 'node:http';

export interface EmulatorCall {
  method: string;
  path: string;
  /** Endpoint template (as the client meters it; files are `GET /files/{token}`). */
  endpoint: string;
  query: Record<string, string>;
  status: number;
  /** Fault applied, if any. */
  fault?: string;
  authorized: boolean;
  at: number;
}

export interface Reply {
  status: number;
  json?: unknown;
  raw?: Buffer | string;
  headers?: Record<string, string>;
}

/** The contract's error body; `invalid_params` entries name the parameter under `name` or `field`. */
export const errorBody = (message: string, invalid?: { key: 'name' | 'field'; param: string; reason: string }[]) => ({
  message,
  ...(invalid ? { invalid_params: invalid.map((p) => ({ [p.key]: p.param, reason: p.reason })) } : {}),
});

/** A 400 for one parameter. Endpoints differ in which key they use, as the real API does. */
export const bad = (param: string, reason: string, key: 'name' | 'field' = 'name'): Reply => ({
  status: 400,
  json: errorBody("Your request parameters didn't validate.", [{ key, param, reason }]),
});

export const notFound = (message: string): Reply => ({ status: 404, json: errorBody(message) });

export function send(res: http.ServerResponse, call: EmulatorCall, r: Reply): void {
  call.status = r.status;
  if (res.destroyed) return;
  const payload =
    r.json !== undefined
      ? Buffer.from(JSON.stringify(r.json))
      : Buffer.isBuffer(r.raw)
        ? r.raw
        : Buffer.from(r.raw ?? '');
  res.writeHead(r.status, {
    ...(r.json !== undefined ? { 'content-type': 'application/json' } : {}),
    'content-length': String(payload.length),
    ...r.headers,
  });
  res.end(payload);
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
