/** Starting the Gemini Batch Mode flavour, its state under `<stateDir>/gemini`. */
import path from 'node:path';
import { coreContext, served, withJobs, type ServedFlavour, type Shared } from '../flavours.ts';
import { FilesStore } from '../files-store.ts';
import { LOWER_ALNUM, randomChars } from '../ids.ts';
import { JobStore } from '../job-store.ts';
import type { EmulatorOptions } from '../types.ts';
import {
  MAX_CONCURRENT_BATCHES,
  MAX_FILE_BYTES,
  MAX_INLINE_BYTES,
  MAX_STORAGE_BYTES,
  type GeminiContext,
} from './context.ts';
import { geminiLifecycle } from './lifecycle.ts';
import { geminiModels } from './models.ts';
import { geminiFlavour } from './router.ts';
import { stateOf, type GeminiBatch } from './types.ts';
import { UploadSessions } from './uploads.ts';
import { operationOf } from './wire.ts';

export async function startGemini(shared: Shared, opts: EmulatorOptions): Promise<ServedFlavour> {
  const dir = path.join(opts.stateDir, 'gemini');
  const g = opts.gemini ?? {};
  const files = new FilesStore(dir, () => randomChars(12, LOWER_ALNUM));
  const batches = new JobStore<GeminiBatch>(path.join(dir, 'batches'));
  await Promise.all([files.load(), batches.load()]);
  const quota = g.maxEnqueuedTokens;
  const ctx = withJobs<GeminiContext, GeminiBatch>(
    {
      ...(await coreContext(shared, 'gemini', dir)),
      apiKey: g.apiKey ?? opts.apiKey,
      files,
      uploads: new UploadSessions(),
      batches,
      models: geminiModels([...(opts.extraModels ?? []), ...(g.extraModels ?? [])]),
      limits: {
        maxEnqueuedTokens: (model: string) => (typeof quota === 'number' ? quota : quota?.[model]),
        maxConcurrentBatches: g.maxConcurrentBatches ?? MAX_CONCURRENT_BATCHES,
        maxInlineBytes: g.maxInlineBytes ?? MAX_INLINE_BYTES,
        maxFileBytes: g.maxFileBytes ?? MAX_FILE_BYTES,
        maxStorageBytes: g.maxStorageBytes ?? MAX_STORAGE_BYTES,
      },
      listOrder: g.listOrder ?? 'shuffled',
    },
    geminiLifecycle,
  );
  const idOf = (id: string) => id.replace(/^batches\//, '');
  return served(geminiFlavour, ctx, { statusOf: stateOf, show: (b) => operationOf(ctx, b), idOf });
}
