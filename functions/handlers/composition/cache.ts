/**
 * The process's lazily built values, by name, each built once at first use (per Lambda container)
 * and remembered together with the names it read while being built. Tests and the local stack
 * `provide()` a value; that also drops every value built from the one it replaces (and theirs), so
 * the next read rebuilds them on top of it: providing `store` after a use reached the approval
 * services cannot leave them holding the old one. `resetComposition()` forgets everything.
 *
 * Only the composition root (this folder) defines values; the names and their types are listed
 * here, type-only, so a Lambda bundles the adapters of the builders it calls and no others.
 */
import type { DbHandle } from '../../adapters/db/client.js';
import type { FreepikConfig } from '../../adapters/freepik/config.js';
import type { ImageSource } from '../../adapters/freepik/image-source.js';
import type { ObjectStore } from '../../adapters/storage/object-store.js';
import type { JobContext } from '../../app/analytics/jobs.js';
import type { ApprovalServices } from '../../app/approvals/deps.js';
import type { Mailer } from '../../domain/approvals/ports.js';
import type { WorkflowStarter } from '../../domain/ports.js';

/** Every value the composition root builds or a test / the local stack may provide. */
export interface Composed extends Omit<ApprovalServices, 'db' | 'store'> {
  dbHandle: DbHandle;
  store: ObjectStore;
  workflow: WorkflowStarter;
  /** Loaded at the "Source image" cold start (the key may come from Secrets Manager). */
  freepikConfig: FreepikConfig;
  imageSource: ImageSource;
  /** The outbox function's SES mailer. */
  mailer: Mailer;
  /** The metrics collector job's connectors and token cipher. */
  collector: NonNullable<JobContext['collector']>;
}
export type ComposedName = keyof Composed;

const provided = new Map<ComposedName, unknown>();
const built = new Map<ComposedName, unknown>();
/** name -> the names whose built value read it. */
const readers = new Map<ComposedName, Set<ComposedName>>();
const building: ComposedName[] = [];

function forgetReadersOf(name: ComposedName): void {
  const pending = [name];
  for (let n = pending.pop(); n !== undefined; n = pending.pop()) {
    for (const r of readers.get(n) ?? []) {
      if (built.delete(r)) pending.push(r);
    }
    readers.delete(n);
  }
}

function noteRead(name: ComposedName, reader: ComposedName): void {
  let set = readers.get(name);
  if (!set) readers.set(name, (set = new Set()));
  set.add(reader);
}

/** The provided value of `name`, else the one built earlier, else `build()` (remembered unless it throws). */
export function resolve<K extends ComposedName>(name: K, build: () => Composed[K]): Composed[K] {
  const reader = building.at(-1);
  if (reader !== undefined && reader !== name) noteRead(name, reader);
  if (provided.has(name)) return provided.get(name) as Composed[K];
  if (built.has(name)) return built.get(name) as Composed[K];
  building.push(name);
  try {
    const value = build();
    built.set(name, value);
    return value;
  } finally {
    building.pop();
  }
}

/**
 * The provided value of `name`, else `read()` afresh on every call: for env values the local stack
 * corrects after start (PUBLIC_BASE_URL once its port is known). Readers still depend on it.
 */
export function providedOr<K extends ComposedName>(name: K, read: () => Composed[K]): Composed[K] {
  const reader = building.at(-1);
  if (reader !== undefined && reader !== name) noteRead(name, reader);
  return provided.has(name) ? (provided.get(name) as Composed[K]) : read();
}

/** Whether `name` has a value now (provided or built), without building it. */
export function isResolved(name: ComposedName): boolean {
  return provided.has(name) || built.has(name);
}

/** Remembers a value built outside `resolve` (an asynchronous load), as if `resolve` had built it. */
export function remember<K extends ComposedName>(name: K, value: Composed[K]): void {
  forgetReadersOf(name);
  built.set(name, value);
}

/**
 * Registers (or replaces) values, by name or several at once, and drops what was built from them.
 * Tests and the local stack only.
 */
export function provide<K extends ComposedName>(name: K, value: Composed[K]): void;
export function provide(values: Partial<Composed>): void;
export function provide<K extends ComposedName>(nameOrValues: K | Partial<Composed>, value?: Composed[K]): void {
  const entries: [ComposedName, unknown][] =
    typeof nameOrValues === 'string'
      ? [[nameOrValues, value]]
      : (Object.entries(nameOrValues) as [ComposedName, unknown][]);
  for (const [name, v] of entries) {
    forgetReadersOf(name);
    built.delete(name);
    provided.set(name, v);
  }
}

/** Forgets every provided and built value: the next read builds from env again. Tests and the local stack only. */
export function resetComposition(): void {
  provided.clear();
  built.clear();
  readers.clear();
}
