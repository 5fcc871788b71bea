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
import { created, noContent, ok, type ApiReply } from './api-handler.js';

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

type Actor = ActorContext & { userId: string };
type OrgImpl<R> = (req: TenantReq & { tenant: TenantAccess } & R) => Promise<ApiReply>;

/** The use cases behind the five routes of an organization's collection. */
export interface CollectionUseCases<Q, C, U> {
  list: (tx: Tx, orgId: string, query: Q) => Promise<unknown>;
  create: (tx: Tx, actor: Actor, body: C) => Promise<{ id: string }>;
  get: (tx: Tx, orgId: string, id: string) => Promise<unknown>;
  update: (tx: Tx, actor: Actor, id: string, body: U) => Promise<unknown>;
  remove: (tx: Tx, actor: Actor, id: string) => Promise<void>;
}

type ById<Id extends string> = { params: Record<Id, string> };

/** Route ids `list<One>s`, `create<One>`, `get<One>`, `update<One>`, `delete<One>` with their implementations. */
export type CollectionImpls<One extends string, Id extends string, Q, C, U> = {
  [K in `list${One}s`]: OrgImpl<{ query: Q }>;
} & {
  [K in `create${One}`]: OrgImpl<{ body: C }>;
} & {
  [K in `get${One}` | `delete${One}`]: OrgImpl<ById<Id>>;
} & {
  [K in `update${One}`]: OrgImpl<ById<Id> & { body: U }>;
};

/**
 * The list, create, get, update and delete routes of `/v1/orgs/{orgId}/<path>`, each one use case
 * in one tenant transaction: create answers 201 with the new item's Location, delete 204.
 */
export function orgCollection<One extends string, Id extends string, Q, C, U>(
  collection: { one: One; path: string; idParam: Id },
  useCases: CollectionUseCases<Q, C, U>,
): CollectionImpls<One, Id, Q, C, U> {
  const { one, path, idParam } = collection;
  const impls: Record<string, OrgImpl<ById<Id> & { query: Q; body: C & U }>> = {
    [`list${one}s`]: async (req) => ok(await inTenant(req, (tx) => useCases.list(tx, req.tenant.orgId, req.query))),
    [`create${one}`]: async (req) => {
      const item = await inTenant(req, (tx) => useCases.create(tx, actorOf(req), req.body));
      return created(item, `/v1/orgs/${req.tenant.orgId}/${path}/${item.id}`);
    },
    [`get${one}`]: async (req) =>
      ok(await inTenant(req, (tx) => useCases.get(tx, req.tenant.orgId, req.params[idParam]))),
    [`update${one}`]: async (req) =>
      ok(await inTenant(req, (tx) => useCases.update(tx, actorOf(req), req.params[idParam], req.body))),
    [`delete${one}`]: async (req) => {
      await inTenant(req, (tx) => useCases.remove(tx, actorOf(req), req.params[idParam]));
      return noContent();
    },
  };
  return impls as CollectionImpls<One, Id, Q, C, U>;
}
