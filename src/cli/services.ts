/** Builds the services stages use from a connection: the Batch API client and the build's limits. */
import { createBatchApi } from '../batch-api/client.ts';
import { createBatchServices } from '../stages/batch/services.ts';
import type { StageServices } from '../stages/services.ts';
import type { Connection } from './connect.ts';

export interface Limits {
  maxCostUsd?: number | undefined;
  maxEnqueuedTokens?: number | undefined;
  maxInFlightBatches?: number | undefined;
}

export function makeServices(connection: Connection, limits: Limits): Promise<StageServices> {
  const api = createBatchApi({ apiKey: connection.apiKey, ...(connection.baseURL ? { baseURL: connection.baseURL } : {}) });
  const defined = Object.fromEntries(Object.entries(limits).filter(([, v]) => v !== undefined));
  return Promise.resolve({ batch: createBatchServices(api, defined) });
}
