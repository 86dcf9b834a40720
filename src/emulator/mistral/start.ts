/** Starting the Mistral batch flavour, its state under `<stateDir>/mistral`. */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { coreContext, served, withJobs, type ServedFlavour, type Shared } from '../flavours.ts';
import { FilesStore } from '../files-store.ts';
import { JobStore } from '../job-store.ts';
import type { EmulatorOptions } from '../types.ts';
import { MAX_JOB_BYTES, MAX_REQUESTS_PER_JOB, type MistralContext } from './context.ts';
import { mistralLifecycle } from './lifecycle.ts';
import { mistralModels } from './models.ts';
import { mistralFlavour } from './router.ts';
import { statusOf, type MistralJob } from './types.ts';
import { jobObject } from './wire.ts';

export async function startMistral(shared: Shared, opts: EmulatorOptions): Promise<ServedFlavour> {
  const dir = path.join(opts.stateDir, 'mistral');
  const m = opts.mistral ?? {};
  const files = new FilesStore(dir, randomUUID);
  const batches = new JobStore<MistralJob>(path.join(dir, 'batches'));
  await Promise.all([files.load(), batches.load()]);
  const ctx = withJobs<MistralContext, MistralJob>(
    {
      ...(await coreContext(shared, 'mistral', dir)),
      apiKey: m.apiKey ?? opts.apiKey,
      files,
      batches,
      models: mistralModels([...(opts.extraModels ?? []), ...(m.extraModels ?? [])]),
      limits: { maxRequests: m.maxRequestsPerJob ?? MAX_REQUESTS_PER_JOB, maxBytes: m.maxJobBytes ?? MAX_JOB_BYTES },
    },
    mistralLifecycle,
  );
  return served(mistralFlavour, ctx, { statusOf, show: (j: MistralJob) => jobObject(j) });
}
