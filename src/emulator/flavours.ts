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
import type { Job } from './job.ts';
import type { Lifecycle } from './lifecycle.ts';
import { serve, type Flavour } from './router.ts';
import type { EmulatorStats } from './types.ts';
import type { StatsKeeper } from './stats.ts';

export type FlavourName = 'openai' | 'azure' | 'anthropic' | 'gemini' | 'mistral' | 'aws';

export interface ServedFlavour {
  name: FlavourName;
  /** Whether a request is this flavour's, by its path (or, AWS, its signature); the OpenAI flavour takes the rest. */
  owns(req: IncomingMessage, pathname: string): boolean;
  serve(req: IncomingMessage, res: ServerResponse): Promise<void>;
  /** What it adds to the stats (its batches by status), brought up to now. */
  stats(): Promise<Partial<EmulatorStats>>;
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

/** A flavour's context made whole: `jobs`, its batches' lifecycle, built on the context itself. */
export function withJobs<C extends { jobs: Lifecycle<J> }, J extends Job>(
  partial: Omit<C, 'jobs'>,
  lifecycle: (ctx: C) => Lifecycle<J>,
): C {
  const ctx = partial as C;
  ctx.jobs = lifecycle(ctx);
  return ctx;
}

/** Where each flavour's counts by status appear in the stats. */
const STATUS_KEY = {
  openai: 'batchesByStatus',
  anthropic: 'messageBatchesByStatus',
  azure: 'azureBatchesByStatus',
  gemini: 'geminiBatchesByState',
  mistral: 'mistralJobsByStatus',
} as const;

/** How a flavour shows its batches to the stats and the expire control. */
export interface BatchView<J extends Job> {
  /** The status a batch shows in its API. */
  statusOf(job: J): string;
  /** The object its API shows for a batch (what the expire control answers). */
  show(job: J, origin: string): unknown;
  /** A prefix of its paths its routes do not name (Azure's `/openai`), taken off before routing. */
  prefix?: string;
  /** A batch's store id from the id the control is given (default: the same). */
  idOf?(id: string): string;
}

/** A flavour whose batches run on the shared lifecycle, as the server dispatches to it. */
export function served<C extends CoreContext & { jobs: Lifecycle<J> }, A, J extends Job>(
  flavour: Flavour<C, A>,
  ctx: C,
  view: BatchView<J>,
): ServedFlavour {
  const jobs = ctx.jobs;
  const name = flavour.name;
  return {
    name,
    owns: (_req, pathname) => flavour.owns(pathname),
    serve: (req, res) => {
      if (view.prefix) req.url = (req.url ?? '/').slice(view.prefix.length);
      return serve(flavour, ctx, req, res);
    },
    stats: async () => {
      await jobs.refreshAll();
      const counts: Record<string, number> = {};
      for (const job of jobs.store.all()) counts[view.statusOf(job)] = (counts[view.statusOf(job)] ?? 0) + 1;
      return { [STATUS_KEY[name]]: counts };
    },
    forceExpire: async (id, origin) => {
      const job = jobs.store.get(view.idOf?.(id) ?? id);
      return job && view.show(await jobs.forceExpire(job), origin);
    },
  };
}
