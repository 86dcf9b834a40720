/**
 * The providers served on one port, each a flavour: the OpenAI routes (the default), Azure
 * OpenAI under `/openai/v1/`, Anthropic's Message Batches under `/v1/messages/batches`, Gemini's
 * Batch Mode under `/v1beta/` (and its upload and download prefixes), Mistral's batch API under
 * `/mistral/`. Each keeps its own state (a subfolder of the state dir: a provider's batches, files
 * and paid requests are its own) and shares the emulator's clock, faults, speed, locks and stats.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CoreContext } from './context.ts';
import { ExecutionLedger } from './executions.ts';
import type { StatsKeeper } from './stats.ts';

export type FlavourName = 'openai' | 'azure' | 'anthropic' | 'gemini' | 'mistral';

export interface ServedFlavour {
  name: FlavourName;
  /** Whether a path is this flavour's (the OpenAI flavour takes what no other owns). */
  owns(pathname: string): boolean;
  serve(req: IncomingMessage, res: ServerResponse): Promise<void>;
  /** Its batches by the status its API shows, brought up to now. */
  statusCounts(): Promise<Record<string, number>>;
  /**
   * Test control (POST /_emulator/batches/ID/expire): expires one of its batches now and returns
   * the object its API shows for it; undefined when the id is not one of its batches.
   */
  forceExpire(id: string, origin: string): Promise<unknown>;
}

/** What every flavour is started with: the parts all of them share. */
export interface Shared extends Omit<CoreContext, 'stats' | 'ledger'> {
  stateDir: string;
  stats: StatsKeeper;
}

/** A flavour's core context: the shared parts, its stats scope and its own execution ledger in `dir`. */
export async function coreContext(shared: Shared, name: FlavourName, dir: string): Promise<CoreContext> {
  const ledger = new ExecutionLedger(dir);
  await ledger.refresh();
  const { clock, faults, locks, counter, seed, speed } = shared;
  return { clock, faults, locks, counter, seed, speed, stats: shared.stats.scoped(name), ledger };
}

/** Counts records by the status `statusOf` gives them. */
export function countBy<T>(records: readonly T[], statusOf: (r: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of records) counts[statusOf(r)] = (counts[statusOf(r)] ?? 0) + 1;
  return counts;
}
