/**
 * `batch`: one request file → one raw results file through the OpenAI Batch API, with a durable
 * ledger in the rule's marker. The hooks live in their own files: run.ts (one build's step),
 * prepare.ts (bulk polling and the scheduler), describe.ts (status), cancel.ts; ledger.ts has
 * the part lifecycle.
 */
import { emptyEstimate, type Estimate, type StageDefinition, type TargetContext } from '../types.ts';
import { readCacheIndex, targetFiles } from '../work/cache.ts';
import { cancelBatches } from './cancel.ts';
import { batchConfigSchema, type BatchStageConfig } from './config.ts';
import { describeBatch } from './describe.ts';
import { isInFlight, loadLedger } from './ledger.ts';
import { BATCH_INPUT_BYTES_AT_ONCE } from './input-budget.ts';
import { inFlightHashes, outstandingRequests } from './outstanding.ts';
import { matchUnhashed } from '../work/unhashed.ts';
import { estimateWith } from '../work/estimate.ts';
import { estimateNotes, ruleCosts } from '../rule-costs.ts';
import { prepareBatches } from './prepare.ts';
import { loadTokenizersForRequests, readRequestFile } from '../work/request-file.ts';
import { runBatch } from './run.ts';
import { effectiveRequests } from './reasks.ts';
import { NEXT_BUILD } from '../structured/reask.ts';
import { expectedReasks } from '../structured/expected-reasks.ts';

export type { BatchStageConfig } from './config.ts';

export const batchStage: StageDefinition<BatchStageConfig> = {
  kind: 'batch',
  version: 1,
  remote: true,
  pure: false,
  inputBytesAtOnce: BATCH_INPUT_BYTES_AT_ONCE,
  validation: () => ({ schema: batchConfigSchema }),
  run: runBatch,
  prepare: prepareBatches,
  describe: describeBatch,
  describesWhenFresh: (config) => config.schema !== undefined,
  cancel: cancelBatches,

  async estimate(ctx, config): Promise<Estimate> {
    const zero = emptyEstimate();
    const request = await readRequestFile(ctx.inputs[0]!, ctx.root, config.provider).catch(() => undefined);
    if (!request?.ok) return zero;
    const files = targetFiles(ctx.stateDir, ctx.target);
    const index = await readCacheIndex(files.cache, matchUnhashed(request.value));
    const loaded = ctx.marker ? await loadLedger(ctx.marker, ctx.root) : undefined;
    const ledger = loaded?.ok ? loaded.value : undefined;
    // As the next build will see it: rows whose re-asks ran out get a fresh round there, priced here.
    const current = effectiveRequests(ledger && structuredClone(ledger), config, request.value, NEXT_BUILD);
    const flying = (await inFlightHashes({ files }, ledger, current)) ?? new Set<string>();
    const cached = current.entries.filter((e) => index.has(e.hash)).length;
    const needed = outstandingRequests(current.entries, { index, ledger, flying, force: ctx.force, nextBuild: true });
    const costs = await ruleCosts(ctx.stateDir, ctx.rule, config, 'batch');
    await loadTokenizersForRequests(needed);
    const e = estimateWith(needed, costs.model);
    const reasks = config.schema ? expectedReasks(ledger?.invalidReplies, index.size, config.maxInvalidAttempts) : 0;
    // Re-asks are priced as the average request to send (their bodies are the same or a little longer).
    const scale = 1 + reasks;
    const notes = estimateNotes(
      e,
      costs,
      needed.map((n) => n.model),
      config,
      ctx.clock.now(),
    );
    return {
      requests: e.requests + Math.round(e.requests * reasks),
      inputTokens: Math.round(e.inputTokens * scale),
      outputTokens: Math.round(e.outputTokens * scale),
      maxOutputTokens: Math.round(e.maxOutputTokens * scale),
      costUsd: e.costUsd * scale,
      standardCostUsd: e.standardCostUsd * scale,
      cachedRequests: cached,
      ...notes,
      ...(notes.worstCostUsd !== undefined ? { worstCostUsd: notes.worstCostUsd * scale } : {}),
      ...(reasks > 0 ? { expectedReasks: Math.round(e.requests * reasks) } : {}),
    };
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
