/**
 * Builds the services stages use from a connection: one batch API client per provider the
 * project names (each SDK loaded only when a command needs it, so no-op builds and `status` do not
 * pay for their start-up), sharing the build's limits and session.
 */
import { randomBytes } from 'node:crypto';
import type { BatchApi, ProviderName } from '../batch-api/types.ts';
import { createBatchServices, type BatchServices } from '../stages/batch/services.ts';
import { Budget } from '../stages/budget.ts';
import { createOnlineServices } from '../stages/online/services.ts';
import type { StageServices } from '../stages/services.ts';
import { failpoint } from '../util/failpoint.ts';
import type { Connection, ProviderEndpoint } from './connect.ts';
import { lazyBatchApi } from './lazy-batch-api.ts';

export interface Limits {
  maxCostUsd?: number | undefined;
  maxEnqueuedTokens?: number | undefined;
  maxInFlightBatches?: number | undefined;
  /** `build --max-time`: clock time after which online stages send nothing new. */
  onlineDeadline?: number | undefined;
}

export async function makeServices(connection: Connection, limits: Limits): Promise<StageServices> {
  const { onlineDeadline, ...batchLimits } = limits;
  const defined = Object.fromEntries(Object.entries(batchLimits).filter(([, v]) => v !== undefined));
  const session = randomBytes(6).toString('hex');
  // One budget for the whole job: every provider and the online stage spend from it.
  const budget = new Budget(limits.maxCostUsd);
  const providers: Partial<Record<ProviderName, BatchServices>> = {};
  for (const endpoint of connection.endpoints) {
    const services = createBatchServices(await apiFor(endpoint), defined, session, budget);
    // Crash tests name a protocol point in PIPELINE_FAILPOINT; the process kills itself there.
    if (process.env.PIPELINE_FAILPOINT) services.crashAt = (point) => failpoint(point);
    providers[endpoint.provider] = services;
  }
  if (!connection.online) return { providers };
  const { createOnlineApi } = await import('../online-api/client.ts');
  const online = createOnlineServices(connection.online, createOnlineApi, {
    offline: connection.offline,
    deadline: onlineDeadline,
    budget,
  });
  return { providers, online };
}

async function apiFor(endpoint: ProviderEndpoint): Promise<BatchApi> {
  const { PROVIDER_TRAITS } = await import('../batch-api/traits.ts');
  return lazyBatchApi(PROVIDER_TRAITS[endpoint.provider], () => loadApi(endpoint));
}

async function loadApi(endpoint: ProviderEndpoint): Promise<BatchApi> {
  const { apiKey, baseURL, timeoutMs } = endpoint;
  if (endpoint.provider === 'anthropic') {
    const { createAnthropicApi } = await import('../batch-api/anthropic.ts');
    return createAnthropicApi({ apiKey, baseURL, timeoutMs });
  }
  const { createBatchApi } = await import('../batch-api/client.ts');
  const { PROVIDER_TRAITS } = await import('../batch-api/traits.ts');
  return createBatchApi({
    apiKey,
    ...(baseURL ? { baseURL } : {}),
    ...(timeoutMs ? { timeoutMs } : {}),
    traits: PROVIDER_TRAITS[endpoint.provider],
    // Azure's v1 endpoint authenticates with the `api-key` header.
    ...(endpoint.provider === 'azure' ? { defaultHeaders: { 'api-key': apiKey } } : {}),
  });
}
