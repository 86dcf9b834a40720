/**
 * `online`: one request file → one raw results file by sending each request to an
 * OpenAI-compatible server's online endpoint (vLLM, Ollama, llama.cpp, OpenAI flex), for servers
 * with no Batch API. Same input and output formats as `batch`, same request cache (switching a
 * rule between the two never pays twice for an answered request), a journal in the rule's marker.
 */
import { emptyEstimate, type Estimate, type StageDefinition } from '../types.ts';
import { readCacheIndex, targetFiles } from '../work/cache.ts';
import { matchUnhashed } from '../work/unhashed.ts';
import { estimateWith } from '../work/estimate.ts';
import { estimateNotes, ruleCosts } from '../rule-costs.ts';
import { loadTokenizersForRequests, readRequestFile } from '../work/request-file.ts';
import { billedAtBatchPrice, onlineConfigSchema, type OnlineStageConfig } from './config.ts';
import { describeOnline } from './describe.ts';
import { runOnline } from './run.ts';

export type { OnlineStageConfig } from './config.ts';

export const onlineStage: StageDefinition<OnlineStageConfig> = {
  kind: 'online',
  version: 1,
  remote: true,
  pure: false,
  validation: () => ({ schema: onlineConfigSchema }),
  run: (ctx, config) => runOnline(ctx, config),
  describe: (ctx, config) => describeOnline(ctx, ctx.clock.now(), config),
  describesWhenFresh: (config) => config.schema !== undefined,

  async estimate(ctx, config): Promise<Estimate> {
    const request = await readRequestFile(ctx.inputs[0]!, ctx.root).catch(() => undefined);
    if (!request?.ok) return emptyEstimate();
    const current = request.value;
    const index = await readCacheIndex(targetFiles(ctx.root, ctx.target).cache, matchUnhashed(current));
    const needed = ctx.force ? current.entries : current.entries.filter((e) => !index.has(e.hash));
    // What this rule pays: flex is billed at the batch price, any other tier at the standard one.
    const costs = await ruleCosts(ctx.root, ctx.rule, config, billedAtBatchPrice(config) ? 'batch' : 'standard');
    await loadTokenizersForRequests(needed);
    const e = estimateWith(needed, costs.model);
    return {
      requests: e.requests,
      inputTokens: e.inputTokens,
      outputTokens: e.outputTokens,
      maxOutputTokens: e.maxOutputTokens,
      costUsd: e.costUsd,
      standardCostUsd: e.standardCostUsd,
      cachedRequests: current.entries.length - needed.length,
      ...estimateNotes(
        e,
        costs,
        needed.map((n) => n.model),
        config,
        ctx.clock.now(),
      ),
    };
  },

  // The journal is only bookkeeping (answers live in the request cache): clean may remove it.
  cleanable: (ctx) => Promise.resolve(ctx.marker ? [ctx.marker] : []),
};
