/**
 * The providers served beside the OpenAI routes, on the same server: Anthropic's Message Batches
 * and an Azure OpenAI resource. Each has its own state (under `<stateDir>/anthropic` and
 * `<stateDir>/azure`: a provider's batches, files and paid requests are its own) and shares the
 * emulator's clock, faults, speed, locks and stats.
 */
import path from 'node:path';
import { MAX_BATCH_BYTES, MAX_REQUESTS_PER_BATCH, type AnthropicContext } from './anthropic/context.ts';
import { claudeModels } from './anthropic/models.ts';
import { MessageBatchStore } from './anthropic/store.ts';
import { startAws, type AwsContext } from './aws/handler.ts';
import { AZURE_MAX_REQUESTS, azureSettings } from './azure/settings.ts';
import { BatchStore } from './batch-store.ts';
import type { EmulatorContext } from './context.ts';
import { ExecutionLedger } from './executions.ts';
import { FilesStore } from './files-store.ts';
import type { EmulatorOptions } from './types.ts';

export interface Flavours {
  openai: EmulatorContext;
  anthropic: AnthropicContext;
  azure: EmulatorContext;
  aws: AwsContext;
}

async function startAnthropic(openai: EmulatorContext, opts: EmulatorOptions): Promise<AnthropicContext> {
  const store = new MessageBatchStore(opts.stateDir);
  await store.load();
  const ledger = new ExecutionLedger(path.join(opts.stateDir, 'anthropic'));
  await ledger.refresh();
  return {
    clock: openai.clock,
    stats: openai.stats,
    faults: openai.faults,
    locks: openai.locks,
    counter: openai.counter,
    seed: openai.seed,
    speed: openai.speed,
    apiKey: opts.apiKey,
    store,
    ledger,
    models: claudeModels([...(opts.extraModels ?? []), ...(opts.anthropic?.extraModels ?? [])]),
    maxRequestsPerBatch: opts.anthropic?.maxRequestsPerBatch ?? MAX_REQUESTS_PER_BATCH,
    maxBatchBytes: opts.anthropic?.maxBatchBytes ?? MAX_BATCH_BYTES,
  };
}

async function startAzure(openai: EmulatorContext, opts: EmulatorOptions): Promise<EmulatorContext> {
  const dir = path.join(opts.stateDir, 'azure');
  const files = new FilesStore(dir);
  const batches = new BatchStore(dir);
  const ledger = new ExecutionLedger(dir);
  await Promise.all([files.load(), batches.load()]);
  await ledger.refresh();
  const azure = azureSettings(opts.azure ?? {}, openai.isKnownModel);
  return {
    ...openai,
    files,
    batches,
    ledger,
    apiKey: opts.azure?.apiKey ?? opts.apiKey,
    isKnownModel: (name) => azure.isDeployment(name),
    // Fail-fast regions refuse at create (azure/admission.ts); the others fail the batch at validation.
    tokenLimit: (deployment) => (azure.failFast ? undefined : azure.maxEnqueuedTokens(deployment)),
    maxRequestsPerBatch: AZURE_MAX_REQUESTS,
    azure,
    siblings: undefined,
  };
}

/** Loads every flavour's state and links them to the main context (for stats and test controls). */
export async function startFlavours(openai: EmulatorContext, opts: EmulatorOptions): Promise<Flavours> {
  const [anthropic, azure, aws] = await Promise.all([
    startAnthropic(openai, opts),
    startAzure(openai, opts),
    startAws(openai, opts.stateDir, opts.bedrock),
  ]);
  openai.siblings = { anthropic, azure, aws };
  return { openai, anthropic, azure, aws };
}
