/**
 * Builds the services stages use from a connection: the Batch API client (loaded only when a
 * command needs the API, so no-op builds and `status` do not pay for the SDK's start-up) and the
 * build's limits.
 */
import { createBatchServices } from '../stages/batch/services.ts';
import { createOnlineServices } from '../stages/online/services.ts';
import type { StageServices } from '../stages/services.ts';
import { failpoint } from '../util/failpoint.ts';
import type { Connection } from './connect.ts';

export interface Limits {
  maxCostUsd?: number | undefined;
  maxEnqueuedTokens?: number | undefined;
  maxInFlightBatches?: number | undefined;
  /** `build --max-time`: clock time after which online stages send nothing new. */
  onlineDeadline?: number | undefined;
}

export async function makeServices(connection: Connection, limits: Limits): Promise<StageServices> {
  const { createBatchApi } = await import('../batch-api/client.ts');
  const { createOnlineApi } = await import('../online-api/client.ts');
  // PIPELINE_API_TIMEOUT_MS: per-attempt timeout of API calls (default 60 s), e.g. for fault tests.
  const timeoutMs = Number(process.env.PIPELINE_API_TIMEOUT_MS);
  const api = createBatchApi({
    apiKey: connection.apiKey,
    ...(connection.baseURL ? { baseURL: connection.baseURL } : {}),
    ...(Number.isFinite(timeoutMs) && timeoutMs > 0 ? { timeoutMs } : {}),
  });
  const { onlineDeadline, ...batchLimits } = limits;
  const defined = Object.fromEntries(Object.entries(batchLimits).filter(([, v]) => v !== undefined));
  const services = createBatchServices(api, defined);
  // Crash tests name a protocol point in PIPELINE_FAILPOINT; the process kills itself there.
  if (process.env.PIPELINE_FAILPOINT) services.crashAt = (point) => failpoint(point);
  const endpoint = { apiKey: connection.apiKey, ...(connection.baseURL ? { baseURL: connection.baseURL } : {}) };
  const online = createOnlineServices(endpoint, createOnlineApi, {
    offline: connection.offline,
    deadline: onlineDeadline,
  });
  return { batch: services, online };
}
