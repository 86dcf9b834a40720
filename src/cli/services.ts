/**
 * Builds the services stages use from a connection: one batch API client per provider the
 * project names (each SDK loaded only when a command needs it, so no-op builds and `status` do not
 * pay for their start-up), sharing the build's limits and session.
 */
import { randomBytes } from 'node:crypto';
import { lazyBatchApi } from '../providers/lazy-batch-api.ts';
import { lazyOnlineApi } from '../providers/online-api.ts';
import { providerSpec } from '../providers/registry.ts';
import { createBatchServices, type BatchServices } from '../stages/batch/services.ts';
import { Budget } from '../stages/budget.ts';
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

export function makeServices(connection: Connection, limits: Limits): StageServices {
  const { onlineDeadline, ...batchLimits } = limits;
  const defined = Object.fromEntries(Object.entries(batchLimits).filter(([, v]) => v !== undefined));
  const session = randomBytes(6).toString('hex');
  // One budget for the whole job: every provider and the online stage spend from it.
  const budget = new Budget(limits.maxCostUsd);
  const providers: Record<string, BatchServices> = {};
  for (const endpoint of connection.endpoints) {
    const spec = providerSpec(endpoint.provider);
    const api = lazyBatchApi(spec.name, spec.traits, () => spec.batch(endpoint));
    const services = createBatchServices(api, defined, session, budget);
    // Crash tests name a protocol point in PIPELINE_FAILPOINT; the process kills itself there.
    if (process.env.PIPELINE_FAILPOINT) services.crashAt = (point) => failpoint(point);
    providers[endpoint.provider] = services;
  }
  if (!connection.online) return { providers };
  const base = connection.online;
  const spec = providerSpec(base.provider);
  const transport = spec.online;
  if (!transport) throw new Error(`Internal error: ${spec.name} has no online transport`);
  // A rule's own server (`baseURL`) is reached with the same key and settings.
  const online = createOnlineServices(base, (e) => lazyOnlineApi(() => transport({ ...base, ...e })), {
    offline: connection.offline,
    deadline: onlineDeadline,
    budget,
    servers: connection.onlineServers,
  });
  return { providers, online };
}
