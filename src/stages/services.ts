/**
 * Services the CLI hands to stages through the engine (which passes them through untouched).
 * Remote stages reach the Batch API only through here, so tests and `--offline` swap the base URL,
 * never the code path.
 */
import type { BatchServices } from './batch/services.ts';
import type { OnlineServices } from './online/services.ts';

export interface StageServices {
  /** One per provider the project's batch rules name, when the command may talk to them (build, status refresh, cancel). */
  readonly providers?: Readonly<Record<string, BatchServices>>;
  /** Tests: a single Batch API connection, used for whichever provider it speaks. */
  readonly batch?: BatchServices;
  /** Present when the command may send online requests (build with an `online` rule, or `--sample`). */
  readonly online?: OnlineServices;
}

/** The connection to this provider's batch API, if the command has one. */
export function batchServicesFor(services: StageServices, provider: string): BatchServices | undefined {
  const named = services.providers?.[provider];
  if (named) return named;
  return services.batch && services.batch.api.provider === provider ? services.batch : undefined;
}
