/**
 * Services the CLI hands to stages through the engine (which passes them through untouched).
 * Remote stages reach the Batch API only through here, so tests and `--offline` swap the base URL,
 * never the code path.
 */
import type { BatchServices } from './batch/services.ts';
import type { OnlineServices } from './online/services.ts';

export interface StageServices {
  /** Present when the command may talk to the Batch API (build, status refresh, cancel). */
  readonly batch?: BatchServices;
  /** Present when the command may send online requests (build with an `online` rule, or `--sample`). */
  readonly online?: OnlineServices;
}
