/**
 * `defineHandler(fn, impls)`: the middy chain bound to this API's route table. The type checker
 * requires exactly one implementation per route whose `fn` is `fn`, typed from the route's schemas.
 */
import { apiHandler, type ApiHandlerOptions, type ApiRequest, type ImplsFor } from './api-handler.js';
import { api, type ApiTable, type RouteId } from './routes.js';

export type FnName = ApiTable[RouteId]['fn'];
export type Req<K extends RouteId> = ApiRequest<ApiTable[K]>;

export function defineHandler<F extends FnName>(fn: F, impls: ImplsFor<ApiTable, F>, opts?: ApiHandlerOptions) {
  return apiHandler(api, fn, impls, opts);
}

export { accepted, created, noContent, ok } from './api-handler.js';

import { withTenant, type TenantRead, type Tx } from '../../adapters/db/client.js';
import type { ActorContext } from '../../app/audit.js';
import { readAsTenant, type TenantAccess } from '../../app/access.js';
import { services } from '../composition/root.js';
import type { RouteDef } from './route-def.js';

type TenantReq = Pick<ApiRequest<RouteDef>, 'requestId' | 'ip' | 'userAgent' | 'gate'> & {
  tenant: TenantAccess | undefined;
};

/** The audit actor for a tenant request (always a signed-in user). */
export function actorOf(req: TenantReq): ActorContext & { userId: string } {
  const t = req.tenant!;
  return {
    orgId: t.orgId,
    userId: t.userId,
    requestId: req.requestId,
    ip: req.ip ?? null,
    userAgent: req.userAgent ?? null,
  };
}

/** Runs `fn` in one transaction as the request's tenant and user (RLS applies). */
export function inTenant<T>(req: TenantReq, fn: (tx: Tx) => Promise<T>): Promise<T> {
  const t = req.tenant!;
  return withTenant(services.db(), { orgId: t.orgId, userId: t.userId }, fn);
}

/**
 * A gated read (the route is in the handler's `gatedReads`): the gate, the tenant settings and
 * `read` in one round trip; the gate's refusal (404/429/403) is thrown before anything read is used.
 */
export async function readInTenant<T>(req: TenantReq, read: TenantRead<T>): Promise<T> {
  if (!req.gate) throw new Error('readInTenant: the route is not declared in gatedReads');
  const { access, result } = await readAsTenant(services.db(), req.gate, read);
  req.tenant = access;
  return result;
}
