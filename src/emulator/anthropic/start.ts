/** Starting the Message Batches flavour, its state under `<stateDir>/anthropic`. */
import path from 'node:path';
import { coreContext, countBy, type ServedFlavour, type Shared } from '../flavours.ts';
import { JobStore } from '../job-store.ts';
import { serve } from '../router.ts';
import type { EmulatorOptions } from '../types.ts';
import { MAX_BATCH_BYTES, MAX_REQUESTS_PER_BATCH, type AnthropicContext } from './context.ts';
import { anthropicLifecycle } from './lifecycle.ts';
import { claudeModels } from './models.ts';
import { anthropicFlavour, isMessageBatchesPath } from './router.ts';
import { processingStatus, type MessageBatchRecord } from './types.ts';
import { messageBatchObject } from './wire.ts';

export async function startAnthropic(shared: Shared, opts: EmulatorOptions): Promise<ServedFlavour> {
  const dir = path.join(opts.stateDir, 'anthropic');
  const store = new JobStore<MessageBatchRecord>(path.join(dir, 'batches'));
  await store.load();
  const ctx = {
    ...(await coreContext(shared, 'anthropic', dir)),
    apiKey: opts.apiKey,
    store,
    models: claudeModels([...(opts.extraModels ?? []), ...(opts.anthropic?.extraModels ?? [])]),
    maxRequestsPerBatch: opts.anthropic?.maxRequestsPerBatch ?? MAX_REQUESTS_PER_BATCH,
    maxBatchBytes: opts.anthropic?.maxBatchBytes ?? MAX_BATCH_BYTES,
  } as AnthropicContext;
  ctx.jobs = anthropicLifecycle(ctx);
  return {
    name: 'anthropic',
    owns: isMessageBatchesPath,
    serve: (req, res) => serve(anthropicFlavour, ctx, req, res),
    statusCounts: async () => {
      await ctx.jobs.refreshAll();
      return countBy(store.all(), processingStatus);
    },
    forceExpire: async (id, origin) => {
      const rec = store.get(id);
      return rec && messageBatchObject(await ctx.jobs.forceExpire(rec), ctx.clock.now(), origin);
    },
  };
}
