/**
 * The contract between the engine and a stage. A stage turns a target's inputs into its output
 * and answers with one of three outcomes: done, pending (remote work in flight, with progress)
 * or failed (a typed reason naming file and line). Remote stages slot in without engine changes:
 * the optional hooks below (prepare, describe, estimate, cancel, clean) are how the engine lets
 * them batch their polling, report progress, price work before paying and stop work.
 */
import type { z } from 'zod';
import type { InputBasis } from '../tokens/input-ratio.ts';
import type { OutputBasis } from '../tokens/output-ratio.ts';
import type { StalePrice } from '../tokens/price-table.ts';
import type { Clock } from '../util/clock.ts';
import type { StageServices } from './services.ts';
import type { InvalidKind } from './structured/validate-reply.ts';

export interface Progress {
  /** Units finished (requests answered, records written). */
  done: number;
  total: number;
  /** Units that failed permanently so far. */
  failed?: number;
}

export interface TokenUsage {
  input: number;
  output: number;
}

/** Why a target failed. Kebab-case reasons, each with the data a person needs to act. */
export type FailureReason =
  | 'bad-input' // a malformed source or intermediate file
  | 'provider-error' // the Batch API refused or failed the work
  | 'request-errors' // some requests failed permanently (4xx); listed in `details`
  | 'incomplete' // results are missing rows
  | 'invalid-replies' // structured replies that fail their schema (named in `details`)
  | 'budget-exceeded' // maxCost guard
  | 'command-failed' // a shell stage exited non-zero
  | 'missing-credentials'
  | 'transform-threw' // a transform's own function threw (the user's code, named by file and line)
  | 'stage-threw'; // a bug: an exception escaped a stage

export interface StageFailure {
  reason: FailureReason;
  message: string;
  /** File the problem is in, relative to the pipeline root when inside it. */
  file?: string;
  /** 1-based line number in `file`. */
  line?: number;
  /** Further lines (provider line errors, failed custom_ids…), shown indented under the message. */
  details?: string[];
}

export type StageOutcome =
  /** `retry`: the output is complete for now, but a later build must run the target again (and says why). */
  | { kind: 'done'; summary?: string; usage?: TokenUsage; costUsd?: number; retry?: string }
  /**
   * `failure`: the target has failed already (a rejected part…) but work of it is still in flight;
   * it is collected first (paid for), and the target fails once nothing is left to wait for.
   */
  | {
      kind: 'pending';
      progress: Progress;
      summary: string;
      state?: RemoteState;
      money?: TargetMoney;
      failure?: StageFailure;
    }
  /**
   * `partialOutput`: the stage wrote the rows it could (the rest are named in the failure); the file
   * is moved into place for the user to use, but the target stays failed and is run again next build.
   */
  | { kind: 'failed'; failure: StageFailure; usage?: TokenUsage; costUsd?: number; partialOutput?: boolean };

/** Where a remote target stands, for `status` and progress displays. */
export type RemoteState =
  'queued' | 'submitting' | 'validating' | 'in_progress' | 'finalizing' | 'cancelling' | 'downloading';

export interface TargetContext {
  /** Rule that produces the target. */
  rule: string;
  /** The target's output path relative to the pipeline root (its name in status and errors). */
  target: string;
  /** Absolute pipeline root. */
  root: string;
  /** Absolute state directory (the config's `stateDir` under the root): caches, spend log, learned limits. */
  stateDir: string;
  /** Absolute input paths, in the rule's order. */
  inputs: readonly string[];
  /** Absolute final output path. */
  output: string;
  /**
   * Absolute path the stage writes its output to. The engine renames it to `output` only after
   * the stage answers `done`, so a half-written file is never taken as done.
   */
  tempOutput: string;
  /** Wildcard values, e.g. `{subject: 'anatomy'}`. */
  bindings: Readonly<Record<string, string>>;
  /** Hash of the stage config and input contents the engine will record on success. */
  fingerprint: string;
  /** Absolute path of the rule's marker (a remote stage's durable ledger), when the rule has one. */
  marker?: string;
  /** `build --force`: redo the work even where state says it is done or known to fail. */
  force: boolean;
  signal: AbortSignal;
  clock: Clock;
  services: StageServices;
}

export interface Estimate {
  requests: number;
  inputTokens: number;
  /** Expected output tokens (from a typical ratio), and the ceiling from `max_tokens`. */
  outputTokens: number;
  maxOutputTokens: number;
  /** Dollars at batch price, and what the standard (synchronous) API would cost. */
  costUsd: number;
  standardCostUsd: number;
  /** Requests that a cache already answers and will not be sent. */
  cachedRequests: number;
  /** Where the expected output comes from, per rule and model (learned from answers, or configured). */
  basis?: OutputBasis[];
  /** Of `requests`, re-asks of invalid structured replies expected from the invalid rate seen so far. */
  expectedReasks?: number;
  /** The most the requests can cost (at the tier of `costUsd`): every reply at its bound. */
  worstCostUsd?: number;
  /** Requests that set no bound on their output: their worst case is only an estimate. */
  unboundedRequests?: number;
  /** Models with no price: their requests are not in the dollars above (unknown, not free). */
  unpriced?: string[];
  /** Models priced from built-in table entries read long ago (see tokens/price-table.ts). */
  stalePrices?: StalePrice[];
  /** How the input of models whose tokenizer is not public is estimated. */
  inputBasis?: InputBasis[];
}

/** An estimate of nothing: the start of a sum, or what a target that cannot be read would send. */
export function emptyEstimate(): Estimate {
  return {
    requests: 0,
    inputTokens: 0,
    outputTokens: 0,
    maxOutputTokens: 0,
    costUsd: 0,
    standardCostUsd: 0,
    cachedRequests: 0,
  };
}

/** A remote target's dollars from stored state: paid over every run, and still to pay. */
export interface TargetMoney {
  /** Billed so far for this target, every run (batch price where batched). */
  spentUsd: number;
  /** Expected cost of the requests not answered yet, output from the rule's learned ratio. */
  toGoUsd: number;
  /** The most they can cost, every reply at its `max_tokens` (Infinity: some requests set none). */
  maxToGoUsd: number;
  basis: OutputBasis[];
  unpriced?: string[];
  /** Unanswered requests that set no bound on their output (why `maxToGoUsd` is Infinity). */
  unbounded?: number;
  /** Requests held back by a cost limit in the last build (included in `toGoUsd`). */
  held?: number;
}

export interface RemoteStatus {
  state: RemoteState | 'complete' | 'failed' | 'none';
  progress?: Progress;
  usage?: TokenUsage;
  costUsd?: number;
  money?: TargetMoney;
  /** When the oldest in-flight batch was created (ms), to show its age against the 24 h window. */
  inFlightSince?: number;
  summary?: string;
  failures?: string[];
  /** Failed already, with work still in flight (state is that work's): it fails once that is collected. */
  failure?: StageFailure;
  /** With a reply schema: answered rows with a valid / invalid final reply, and rows re-asked. */
  replies?: ReplyCounts;
}

export interface ReplyCounts {
  valid: number;
  invalid: number;
  reasked: number;
  /** Rows in a fresh round of re-asks (a later build's than the one that ran them out). */
  rounds?: number;
  /** Rows re-asking will not make valid (the same reply over two rounds or more). */
  hopeless?: number;
  /** Those rows by id (the first 20), with their last reply: change the prompt or the schema for them. */
  hopelessRows?: HopelessRow[];
  /** With hopeless rows: what to do about them (change the prompt or the schema). */
  whatToDo?: string;
}

export interface HopelessRow {
  customId: string;
  /** Replies it got, every one the same. */
  replies: number;
  kind: InvalidKind;
  /** The last reply's error (a refusal's words, the schema's complaint), shortened. */
  lastReply: string;
}

export interface StageValidation<Config> {
  readonly schema: z.ZodType<Config>;
  /**
   * What of the config the fingerprint sees, when the parsed config is not plain JSON (functions,
   * zod schemas): a JSON value that changes exactly when the output would. Default: the config.
   */
  identity?(config: Config): unknown;
}

export interface StageDefinition<Config extends { kind: string }> {
  readonly kind: Config['kind'];
  /** Bumped when the same inputs and config would give a different output. Part of the fingerprint. */
  readonly version: number;
  /** Remote stages talk to a provider and may answer pending; local ones are pure file transforms. */
  readonly remote: boolean;
  /** Local stages that are pure may run into a scratch directory during `--dry-run`. */
  readonly pure: boolean;
  /**
   * The most input bytes this stage's targets read at once within a build (other stages' targets
   * still run beside them); a target whose inputs are larger runs alone. For a stage whose run
   * holds an input's bookkeeping and does its CPU work in this process's one JavaScript thread:
   * small inputs side by side overlap their network waits, while four 100 MB request files
   * submitting at once peaked at 755 MB where one at a time stays near one file's figure.
   */
  readonly inputBytesAtOnce?: number;
  /**
   * The options' schema and what the fingerprint sees of them. Loaded only when a config must be
   * validated: a command whose validated config is cached loads neither zod nor the stage's code.
   */
  validation(): StageValidation<Config> | Promise<StageValidation<Config>>;
  run(ctx: TargetContext, config: Config): Promise<StageOutcome>;
  /**
   * Called once per build with every target of this stage that may run (poll in bulk, schedule),
   * and every target of this stage in the pipeline, selected or not (limits that span the job).
   */
  prepare?(
    items: readonly { ctx: TargetContext; config: Config }[],
    everyTarget: readonly { ctx: TargetContext; config: Config }[],
  ): Promise<void>;
  /** Remote progress for `status`, from local state plus at most a shared poll. */
  describe?(ctx: TargetContext, config: Config): Promise<RemoteStatus>;
  /** Whether `describe` has news for an up-to-date target (reply counts under a schema); else status skips it. */
  describesWhenFresh?(config: Config): boolean;
  /** What running this target would send and cost (dry run). Inputs may live in a scratch dir. */
  estimate?(ctx: TargetContext, config: Config): Promise<Estimate>;
  /** Cancel in-flight remote work. */
  cancel?(ctx: TargetContext, config: Config): Promise<{ cancelled: number; message: string }>;
  /** Files besides the output that `clean` may remove; must never include the record of in-flight work. */
  cleanable?(ctx: TargetContext, config: Config): Promise<string[]>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyStage = StageDefinition<any>;
