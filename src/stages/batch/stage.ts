/**
 * `batch`: one request file → one raw results file through the OpenAI Batch API, with a durable
 * ledger in the rule's marker. See ledger.ts for the part lifecycle, run.ts for one build's step.
 */
import { TERMINAL_STATUSES } from '../../batch-api/types.ts';
import { DEFAULT_PRICES } from '../../tokens/prices.ts';
import type { Estimate, RemoteStatus, StageDefinition, TargetContext } from '../types.ts';
import { readCacheIndex, targetFiles } from './cache.ts';
import { batchConfigSchema, priceTable, type BatchStageConfig } from './config.ts';
import { isInFlight, loadLedger, ms, saveLedger, type Ledger } from './ledger.ts';
import { partRequests } from './part-file.ts';
import { estimateCost } from './plan.ts';
import { findByIntent, refreshBatches } from './poller.ts';
import { readRequestFile } from './request-file.ts';
import { runBatch } from './run.ts';
import { ADOPT_GRACE_MS } from './submit.ts';
import { remoteState } from './state.ts';

export type { BatchStageConfig } from './config.ts';

export const batchStage: StageDefinition<BatchStageConfig> = {
  kind: 'batch',
  version: 1,
  remote: true,
  pure: false,
  schema: batchConfigSchema,
  run: runBatch,

  async prepare(items) {
    const svc = items[0]?.ctx.services.batch;
    if (!svc) return;
    svc.scheduler.reset();
    delete svc.poll;
    const ledgers = new Map<string, Ledger>();
    const ids = new Set<string>();
    let oldest: number | undefined;
    let intentsSince: number | undefined;
    for (const { ctx } of items) {
      const loaded = ctx.marker ? await loadLedger(ctx.marker, ctx.root) : undefined;
      if (!loaded?.ok || !loaded.value) continue;
      ledgers.set(ctx.target, loaded.value);
      for (const p of loaded.value.parts.filter(isInFlight)) {
        if (p.batchId && p.state === 'submitted') {
          ids.add(p.batchId);
          oldest = Math.min(oldest ?? Infinity, p.createdAt ? ms(p.createdAt) : ms(p.intentAt));
        } else if (p.state === 'creating') intentsSince = Math.min(intentsSince ?? Infinity, ms(p.intentAt));
      }
    }
    const clock = items[0]!.ctx.clock;
    const snap = await refreshBatches(svc.api, { ids, oldestCreatedAt: oldest, intentsSince }, clock.now());
    if (snap.ok) svc.poll = snap.value; // on failure each run retrieves its own batches
    for (const [target, ledger] of ledgers) {
      const running = ledger.parts.filter((p) => isInFlight(p) && !(p.batchId && TERMINAL_STATUSES.has(svc.poll?.batches.get(p.batchId)?.status ?? '')));
      svc.scheduler.setLoad(target, running);
      svc.scheduler.reserveCost(target, running.reduce((sum, p) => sum + (p.estCostUsd ?? 0), 0), undefined);
    }
  },

  async describe(ctx) {
    if (!ctx.marker) return { state: 'none' };
    const loaded = await loadLedger(ctx.marker, ctx.root);
    if (!loaded.ok) return { state: 'failed', summary: loaded.error.message, failures: loaded.error.details ?? [] };
    const ledger = loaded.value;
    if (!ledger) return { state: 'none' };
    const snap = ctx.services.batch?.poll;
    const running = ledger.parts.filter(isInFlight).map((p) => {
      const b = p.batchId ? snap?.batches.get(p.batchId) : undefined;
      return b ? { ...p, status: b.status, counts: b.requestCounts } : p;
    });
    const s = ledger.summary;
    const inBatches = running.reduce((sum, p) => sum + (p.counts ? p.counts.completed + p.counts.failed : 0), 0);
    const permanent = Object.values(ledger.requestFailures).filter((f) => f.permanent);
    const failures = ledger.rejected ? ledger.rejected.details : permanent.slice(0, 20).map((f) => `${f.customId}: ${f.status !== undefined ? `HTTP ${f.status}` : (f.code ?? 'error')}: ${f.message}`);
    const state: RemoteStatus['state'] = ledger.rejected ? 'failed' : running.length > 0 ? remoteState(running) : s && s.queued > 0 ? 'queued' : 'complete';
    const since = running.map((p) => ms(p.createdAt ?? p.intentAt));
    return {
      state,
      ...(s ? { progress: { done: Math.min(s.total, s.succeeded + s.failed + inBatches), total: s.total, ...(s.failed ? { failed: s.failed } : {}) }, usage: s.usage } : {}),
      ...(s?.costUsd !== undefined ? { costUsd: s.costUsd } : {}),
      ...(since.length > 0 ? { inFlightSince: Math.min(...since) } : {}),
      summary: ledger.rejected ? ledger.rejected.message : describeParts(running.length, s?.queued ?? 0, permanent.length),
      ...(failures.length > 0 ? { failures } : {}),
    };
  },

  async estimate(ctx, config): Promise<Estimate> {
    const zero: Estimate = { requests: 0, inputTokens: 0, outputTokens: 0, maxOutputTokens: 0, costUsd: 0, standardCostUsd: 0, cachedRequests: 0 };
    const request = await readRequestFile(ctx.inputs[0]!, ctx.root).catch(() => undefined);
    if (!request?.ok) return zero;
    const files = targetFiles(ctx.root, ctx.target);
    const index = await readCacheIndex(files.cache);
    const loaded = ctx.marker ? await loadLedger(ctx.marker, ctx.root) : undefined;
    const ledger = loaded?.ok ? loaded.value : undefined;
    const flying = new Set<string>();
    for (const p of ledger?.parts.filter(isInFlight) ?? []) for (const h of (await partRequests({ files }, p, request.value))?.values() ?? []) flying.add(h);
    const seen = new Set<string>();
    let cached = 0;
    const needed = request.value.entries.filter((e) => {
      if (index.has(e.hash)) cached += 1;
      if (index.has(e.hash) || flying.has(e.hash) || seen.has(e.hash) || (!ctx.force && ledger?.requestFailures[e.hash]?.permanent)) return false;
      seen.add(e.hash);
      return true;
    });
    const e = estimateCost(needed, config.outputTokenRatio, priceTable(config, DEFAULT_PRICES));
    return { requests: e.requests, inputTokens: e.inputTokens, outputTokens: e.outputTokens, maxOutputTokens: e.maxOutputTokens, costUsd: e.costUsd, standardCostUsd: e.standardCostUsd, cachedRequests: cached };
  },

  async cancel(ctx) {
    const svc = ctx.services.batch;
    if (!svc || !ctx.marker) return { cancelled: 0, message: 'no Batch API connection' };
    const loaded = await loadLedger(ctx.marker, ctx.root);
    if (!loaded.ok) return { cancelled: 0, message: loaded.error.message };
    if (!loaded.value) return { cancelled: 0, message: 'nothing in flight' };
    const ledger = loaded.value;
    let cancelled = 0;
    const notes: string[] = [];
    for (const p of ledger.parts.filter(isInFlight)) {
      if (p.state === 'creating') {
        const found = await findByIntent(svc.api, undefined, { id: p.intent, at: ms(p.intentAt), lastAttemptAt: ms(p.createAttemptAt ?? p.intentAt) }, ctx.clock.now());
        if (!found.ok) {
          notes.push(`part ${p.n}: cannot confirm whether it was created (${found.error.message}); cancel again later`);
          continue;
        }
        if (found.value) Object.assign(p, { state: 'submitted', batchId: found.value.id, createdAt: new Date(found.value.createdAt).toISOString(), status: found.value.status, adopted: true });
        else if (ctx.clock.now() - ms(p.createAttemptAt ?? p.intentAt) < ADOPT_GRACE_MS) {
          // Too recent for the list to prove nothing was made: dropping it could orphan a paid batch.
          notes.push(`part ${p.n}: its creation is not confirmed yet; cancel again in a minute`);
          continue;
        }
      }
      if (p.state !== 'submitted') {
        // No batch exists for it: dropping the intent is the cancellation.
        Object.assign(p, { state: 'abandoned', note: 'cancelled before a batch was created' });
        continue;
      }
      const r = await svc.api.cancelBatch(p.batchId!);
      if (!r.ok) notes.push(`${p.batchId}: ${r.error.message}`);
      else if (r.value.alreadyTerminal) notes.push(`${p.batchId} had already finished`);
      else {
        cancelled += 1;
        p.status = r.value.batch?.status ?? 'cancelling';
      }
    }
    await saveLedger(ctx.marker, ledger, ctx.clock.now());
    return { cancelled, message: [`${cancelled} batch${cancelled === 1 ? '' : 'es'} cancelled; the next build keeps their finished results and sends the rest`, ...notes].join('; ') };
  },

  async cleanable(ctx: TargetContext) {
    if (!ctx.marker) return [];
    const loaded = await loadLedger(ctx.marker, ctx.root);
    // A marker we cannot read may be the only record of a paid batch: never offer it.
    if (!loaded.ok) return [];
    if (loaded.value?.parts.some(isInFlight)) return [];
    return [ctx.marker];
  },
};

function describeParts(running: number, queued: number, permanent: number): string {
  const bits = [running > 0 ? `${running} batch${running > 1 ? 'es' : ''} in flight` : '', queued > 0 ? `${queued} requests queued` : '', permanent > 0 ? `${permanent} requests failed permanently` : ''];
  return bits.filter(Boolean).join(', ') || 'all requests answered';
}
