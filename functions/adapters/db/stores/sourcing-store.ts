/**
 * What the pipeline sourced for a request: the images bought (generated_assets, one per layout
 * group, at deterministic keys) and each group's sourcing ledger (request_sourcing: plan,
 * attempts, spend). Every function runs in withTenant's transaction.
 */
import { asc, eq, sql } from 'drizzle-orm';
import { generatedAssets, requestSourcing } from '../../../../db/schema/index.js';
import type { ComplianceResult } from '../../../domain/compliance/index.js';
import type { Tx } from '../client.js';

export type GeneratedAssetRow = typeof generatedAssets.$inferSelect;
export type NewGeneratedAssetRow = typeof generatedAssets.$inferInsert;
export type SourcingRow = typeof requestSourcing.$inferSelect;

/** The request's images, oldest first. */
export async function listGeneratedAssets(tx: Tx, requestId: string): Promise<GeneratedAssetRow[]> {
  return tx
    .select()
    .from(generatedAssets)
    .where(eq(generatedAssets.requestId, requestId))
    .orderBy(asc(generatedAssets.createdAt));
}

export async function listSourcingGroups(tx: Tx, requestId: string): Promise<SourcingRow[]> {
  return tx.select().from(requestSourcing).where(eq(requestSourcing.requestId, requestId));
}

/** The image of a layout group; a re-bought one replaces it and its compliance verdict. */
export async function upsertGeneratedAsset(tx: Tx, row: NewGeneratedAssetRow): Promise<GeneratedAssetRow> {
  const [asset] = await tx
    .insert(generatedAssets)
    .values(row)
    .onConflictDoUpdate({
      target: [generatedAssets.requestId, generatedAssets.aspectGroup],
      set: { ...row, complianceScore: null, complianceDecision: null, findings: null, updatedAt: new Date() },
    })
    .returning();
  return asset;
}

/** Stores the score, decision and findings of the asset's check. */
export async function setAssetCompliance(tx: Tx, assetId: string, result: ComplianceResult): Promise<void> {
  await tx
    .update(generatedAssets)
    .set({
      complianceScore: result.score,
      complianceDecision: result.decision,
      findings: result.findings as GeneratedAssetRow['findings'],
      updatedAt: new Date(),
    })
    .where(eq(generatedAssets.id, assetId));
}

/** A group's progress since it was last saved: attempts to append, counters to add. */
export interface SourcingProgress {
  organizationId: string;
  requestId: string;
  aspectGroup: string;
  platforms: string[];
  source: string;
  status: string;
  plan?: unknown;
  providerTaskId?: string | null;
  generatedAssetId?: string | null;
  attempts: unknown[];
  candidatesConsidered: number;
  downloads: number;
  generations: number;
  credits: number;
  costUsd: number;
}

/**
 * Writes a group's progress: status and references set (those given), attempts appended and
 * counters added (a resumed attempt adds to what an earlier one spent).
 */
export async function saveSourcingGroup(tx: Tx, p: SourcingProgress): Promise<void> {
  await tx
    .insert(requestSourcing)
    .values({
      ...p,
      plan: p.plan ?? null,
      providerTaskId: p.providerTaskId ?? null,
      generatedAssetId: p.generatedAssetId ?? null,
      credits: String(p.credits),
      costUsd: String(p.costUsd),
    } as typeof requestSourcing.$inferInsert)
    .onConflictDoUpdate({
      target: [requestSourcing.requestId, requestSourcing.aspectGroup],
      set: {
        status: p.status,
        platforms: p.platforms,
        ...(p.plan !== undefined ? { plan: p.plan } : {}),
        ...(p.providerTaskId !== undefined ? { providerTaskId: p.providerTaskId } : {}),
        ...(p.generatedAssetId !== undefined ? { generatedAssetId: p.generatedAssetId } : {}),
        attempts: sql`${requestSourcing.attempts} || ${JSON.stringify(p.attempts)}::jsonb`,
        candidatesConsidered: sql`${requestSourcing.candidatesConsidered} + ${p.candidatesConsidered}`,
        downloads: sql`${requestSourcing.downloads} + ${p.downloads}`,
        generations: sql`${requestSourcing.generations} + ${p.generations}`,
        credits: sql`${requestSourcing.credits} + ${p.credits}`,
        costUsd: sql`${requestSourcing.costUsd} + ${p.costUsd}`,
        updatedAt: new Date(),
      },
    });
}
