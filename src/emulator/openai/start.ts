/** Starting the OpenAI flavour (state at the state dir's top level) and the Azure one built on it. */
import path from 'node:path';
import { AZURE_MAX_REQUESTS, azureSettings } from '../azure/settings.ts';
import { coreContext, served, withJobs, type ServedFlavour, type Shared } from '../flavours.ts';
import { FilesStore } from '../files-store.ts';
import { JobStore } from '../job-store.ts';
import { OnlineServer } from '../online/server.ts';
import type { Flavour } from '../router.ts';
import type { EmulatorOptions } from '../types.ts';
import { MAX_BATCH_FILE_BYTES, MAX_UPLOAD_BYTES, type EmulatorContext } from './context.ts';
import { newFileId } from './ids.ts';
import { knownModels } from './known-models.ts';
import { openaiLifecycle } from './lifecycle.ts';
import { azureFlavour, openaiFlavour } from './router.ts';
import { statusOf, type BatchRecord } from './types.ts';
import { MAX_REQUESTS } from './validation.ts';
import { batchObject } from './wire.ts';

/** The flavour's files, batches and their lifecycle, in `dir`. */
async function stores(dir: string): Promise<Pick<EmulatorContext, 'files' | 'batches'>> {
  const files = new FilesStore(dir, newFileId);
  const batches = new JobStore<BatchRecord>(path.join(dir, 'batches'));
  await Promise.all([files.load(), batches.load()]);
  return { files, batches };
}

function servedAs(flavour: Flavour<EmulatorContext, void>, ctx: EmulatorContext): ServedFlavour {
  // Azure's v1 API is OpenAI's under `/openai`: served by the same routes with the prefix taken off.
  const prefix = flavour.name === 'azure' ? { prefix: '/openai' } : {};
  return served(flavour, ctx, { statusOf, show: batchObject, ...prefix });
}

export async function startOpenAi(
  shared: Shared,
  opts: EmulatorOptions,
): Promise<{ ctx: EmulatorContext; flavour: ServedFlavour }> {
  const limit = opts.enqueuedTokenLimit;
  const partial: Omit<EmulatorContext, 'jobs'> = {
    ...(await coreContext(shared, 'openai', opts.stateDir)),
    ...(await stores(opts.stateDir)),
    maxBatchFileBytes: opts.maxBatchFileBytes ?? MAX_BATCH_FILE_BYTES,
    maxUploadBytes: opts.maxUploadBytes ?? MAX_UPLOAD_BYTES,
    apiKey: opts.apiKey,
    isKnownModel: knownModels(opts.extraModels),
    tokenLimit: (model) => (typeof limit === 'number' ? limit : limit?.[model]),
    enqueuedTokenFactor: opts.enqueuedTokenFactor ?? 1,
    online: new OnlineServer(opts.online ?? {}, shared.clock.now()),
    maxRequestsPerBatch: MAX_REQUESTS,
  };
  const ctx = withJobs<EmulatorContext, BatchRecord>(partial, openaiLifecycle);
  return { ctx, flavour: servedAs(openaiFlavour, ctx) };
}

/** Azure OpenAI: the OpenAI flavour's routes and defaults with Azure's differences (azure/settings.ts). */
export async function startAzure(
  openai: EmulatorContext,
  shared: Shared,
  opts: EmulatorOptions,
): Promise<ServedFlavour> {
  const dir = path.join(opts.stateDir, 'azure');
  const azure = azureSettings(opts.azure ?? {}, openai.isKnownModel);
  const ctx = withJobs<EmulatorContext, BatchRecord>(
    {
      ...openai,
      ...(await coreContext(shared, 'azure', dir)),
      ...(await stores(dir)),
      apiKey: opts.azure?.apiKey ?? opts.apiKey,
      isKnownModel: (name) => azure.isDeployment(name),
      // Fail-fast regions refuse at create (azure/admission.ts); the others fail the batch at validation.
      tokenLimit: (deployment) => (azure.failFast ? undefined : azure.maxEnqueuedTokens(deployment)),
      maxRequestsPerBatch: AZURE_MAX_REQUESTS,
      azure,
    },
    openaiLifecycle,
  );
  return servedAs(azureFlavour, ctx);
}
