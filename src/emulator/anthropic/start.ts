/** Starting the Message Batches flavour, its state under `<stateDir>/anthropic`. */
import path from 'node:path';
import { coreContext, served, withJobs, type ServedFlavour, type Shared } from '../flavours.ts';
import { JobStore } from '../job-store.ts';
import type { EmulatorOptions } from '../types.ts';
import { MAX_BATCH_BYTES, MAX_REQUESTS_PER_BATCH, type AnthropicContext } from './context.ts';
import { anthropicLifecycle } from './lifecycle.ts';
import { claudeModels } from './models.ts';
import { anthropicFlavour } from './router.ts';
import { processingStatus, type MessageBatchRecord } from './types.ts';
import { messageBatchObject } from './wire.ts';

export async function startAnthropic(shared: Shared, opts: EmulatorOptions): Promise<ServedFlavour> {
  const dir = path.join(opts.stateDir, 'anthropic');
  const batches = new JobStore<MessageBatchRecord>(path.join(dir, 'batches'));
  await batches.load();
  const ctx = withJobs<AnthropicContext, MessageBatchRecord>(
    {
      ...(await coreContext(shared, 'anthropic', dir)),
      apiKey: opts.apiKey,
      batches,
      models: claudeModels([...(opts.extraModels ?? []), ...(opts.anthropic?.extraModels ?? [])]),
      limits: {
        maxRequests: opts.anthropic?.maxRequestsPerBatch ?? MAX_REQUESTS_PER_BATCH,
        maxBytes: opts.anthropic?.maxBatchBytes ?? MAX_BATCH_BYTES,
      },
    },
    anthropicLifecycle,
  );
  const show = (rec: MessageBatchRecord, origin: string) => messageBatchObject(rec, ctx.clock.now(), origin);
  return served(anthropicFlavour, ctx, { statusOf: processingStatus, show });
}
