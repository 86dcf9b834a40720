/** Builds the services stages use from a connection. Filled in when the Batch API stage lands. */
import type { StageServices } from '../stages/services.ts';
import type { Connection } from './connect.ts';

export interface Limits {
  maxCostUsd?: number | undefined;
  maxEnqueuedTokens?: number | undefined;
  maxInFlightBatches?: number | undefined;
}

export function makeServices(_connection: Connection, _limits: Limits): Promise<StageServices> {
  return Promise.resolve({});
}
