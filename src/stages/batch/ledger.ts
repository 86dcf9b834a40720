/**
 * The marker file (`paraphrase_batch/{subject}.batch.json`): the durable ledger of a target's
 * batches. It is written BEFORE every step that has an effect at the provider, so a process killed
 * at any instant leaves a ledger from which the next run can tell what may exist remotely.
 *
 * Lifecycle of one part (a slice of the request file sent as one batch):
 *
 *   plan ─► part file written locally (.pipeline/cache/<target>.parts/<sha256>.jsonl)
 *            │
 *            ▼
 *         intent ──(part file lost: nothing was created yet)──────────────────► abandoned
 *            │ upload the exact bytes (sha256 checked); SDK may retry
 *            ▼
 *         uploaded ◄──── create answered 429 / "Cannot find file" (retryAt) ───┐
 *            │ ledger says `creating` + `createNotSent` BEFORE batches.create   │
 *            │ (retries off), and drops `createNotSent` (durably) right before  │
 *            │ the request leaves the process (the providers' send gate)        │
 *            ▼                                                                 │
 *         creating ──── definitive 4xx ──► abandoned (target fails)            │
 *            │   │                                                             │
 *            │   ├─ crash while still `createNotSent`: nothing was sent ───────┤
 *            │   │  (created again at once, with the same intent)              │
 *            │   └─ no answer / 5xx / crash: next run walks the batch list ────┘
 *            │      (newest first, back to the intent's time) for
 *            │      metadata.pipeline_intent; found → adopt it, else create again
 *            ▼ batch id recorded at once
 *         submitted ── polled (one list call per 100 in flight) ──► terminal status
 *            │                                                     (completed, failed,
 *            │ results downloaded into the request cache,           expired, cancelled)
 *            ▼ failures into `requestFailures` — THEN the state:
 *         collected
 *
 * A crash before a transition repeats the step (re-upload, re-search, re-download); no step that
 * creates something at the provider is repeated without first looking for what it may have made.
 * A corrupt marker is never rewritten: it may be the only record of a paid batch, and neither is one
 * a newer llmake wrote (its `version`, the state format of util/state-format.ts, is newer).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../../util/fs-atomic.ts';
import { err, ok, type Result } from '../../util/result.ts';
import { isKnownFormat, NEWER_STATE_DETAILS, newerStateMessage, STATE_FORMAT } from '../../util/state-format.ts';
import type { StageFailure } from '../types.ts';
import { requestFailureSchema } from '../work/request-failure.ts';

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'a sha256 in hex');
const isoTime = z.string().refine((s) => Number.isFinite(Date.parse(s)), 'an ISO date-time');

export const PART_STATES = ['intent', 'uploaded', 'creating', 'submitted', 'collected', 'abandoned'] as const;
export type PartState = (typeof PART_STATES)[number];

const partSchema = z.object({
  n: z.number().int().positive(),
  state: z.enum(PART_STATES),
  /** sha256 of the exact bytes uploaded; also `metadata.pipeline_sha256`. */
  sha256,
  /** Random id of this submission attempt; `metadata.pipeline_intent`. Identical bytes resent later get a new one. */
  intent: z.string().min(8),
  intentAt: isoTime,
  model: z.string(),
  endpoint: z.string(),
  requests: z.number().int().nonnegative(),
  bytes: z.number().int().nonnegative(),
  inputTokens: z.number().int().nonnegative(),
  estCostUsd: z.number().nonnegative().optional(),
  /**
   * The most the part can be billed (every reply at its bound), fixed when it was admitted: the
   * budget counts it in flight at this until its bill is in the spend log. Requests without a
   * bound make it an estimate (`unbounded` of them).
   */
  worstCostUsd: z.number().nonnegative().optional(),
  unbounded: z.number().int().nonnegative().optional(),
  /** The estimated-token budget per model in force when it was admitted (none: no limit was known). */
  budget: z.number().nonnegative().optional(),
  /** sha256 of the request file the part was cut from, and its line numbers there ("1-50,52"). */
  requestSha: sha256,
  lines: z.string(),
  /**
   * The part's re-asks of invalid replies: sent custom id → the row's id and the attempt (see
   * structured/reask.ts). Written with the intent; absent in parts of older state, whose re-asks
   * are named by their `__reask<k>` suffix.
   */
  reasks: z.record(z.string(), z.object({ row: z.string(), attempt: z.number().int().positive() })).optional(),
  /** Set before each upload: a later run that finds no `fileId` looks for the upload by name first. */
  uploadAttemptAt: isoTime.optional(),
  fileId: z.string().optional(),
  uploadedAt: isoTime.optional(),
  /** Set before each create; moved to the moment its request may leave (see `createNotSent`). */
  createAttemptAt: isoTime.optional(),
  /**
   * Written with `creating`, and removed (durably) just before the create's request can leave this
   * process: while it is there, no batch can have come of the attempt, so after a crash the part is
   * created again at once, with the same intent. A `creating` part without it (or of older state)
   * may have been sent: the provider's list is searched for it first.
   */
  createNotSent: z.literal(true).optional(),
  batchId: z.string().optional(),
  /** The batch was found in the provider's list after an unconfirmed create (not created twice). */
  adopted: z.boolean().optional(),
  createdAt: isoTime.optional(),
  /** Last status seen at the provider, and its request counts. */
  status: z.string().optional(),
  counts: z.object({ total: z.number(), completed: z.number(), failed: z.number() }).optional(),
  retryAt: isoTime.optional(),
  /** Last problem with this part, for people reading the marker. */
  note: z.string().optional(),
});

const invalidReplySchema = z.object({
  customId: z.string(),
  attempt: z.number().int().nonnegative(),
  kind: z.enum(['refusal', 'truncated', 'not-json', 'schema']),
  message: z.string(),
  /** The build session that got it: a row out of re-asks gets a fresh round from a later one. */
  session: z.string().optional(),
});

export const ledgerSchema = z.object({
  version: z.literal(STATE_FORMAT),
  target: z.string(),
  updatedAt: isoTime,
  parts: z.array(partSchema),
  /** Requests (by body hash) that failed: transient ones with their attempts, permanent ones. */
  requestFailures: z.record(sha256, requestFailureSchema),
  /**
   * Structured replies that were invalid, by the cache key of the request that got them (a line's
   * hash or a re-ask's key): each calls for the next re-ask (see structured/reask.ts).
   */
  invalidReplies: z.record(sha256, invalidReplySchema).optional(),
  /** Rows re-asking will not make valid, with their last reply (see structured/reply-counts.ts), as the last build found them. */
  hopeless: z
    .array(
      z.union([
        z.object({
          customId: z.string(),
          replies: z.number().int().positive(),
          kind: z.enum(['refusal', 'truncated', 'not-json', 'schema']),
          lastReply: z.string(),
        }),
        // Named in words by builds before the rows were kept apart: dropped (the summary still counts them).
        z.string(),
      ]),
    )
    .transform((rows) => rows.filter((r) => typeof r !== 'string'))
    .optional(),
  /** A batch the provider refused as invalid: not resent until the request file changes (or --force). */
  rejected: z.object({ requestSha: sha256, message: z.string(), details: z.array(z.string()) }).optional(),
  /** After `token_limit_exceeded`: no new part before `until`. */
  backoff: z.object({ until: isoTime, count: z.number().int().positive(), reason: z.string() }).optional(),
  /** Things that happened to the target's batches that a person should hear of (newest last, bounded). */
  events: z.array(z.object({ at: isoTime, message: z.string() })).optional(),
  /** What the last run saw, for `status` without reading the request file. */
  summary: z
    .object({
      requestSha: sha256.optional(),
      total: z.number().int().nonnegative(),
      succeeded: z.number().int().nonnegative(),
      failed: z.number().int().nonnegative(),
      queued: z.number().int().nonnegative(),
      /** Of those, held back by a cost limit (`--max-cost`, `maxCostUsd`), with what they would cost at worst. */
      held: z
        .object({ requests: z.number().int().nonnegative(), worstUsd: z.number(), expectedUsd: z.number() })
        .optional(),
      /** With a reply schema: answered rows whose reply is invalid and final, and rows asked again. */
      invalid: z.number().int().nonnegative().optional(),
      reasked: z.number().int().nonnegative().optional(),
      /** Rows in a fresh round of re-asks (a later build's), and rows re-asking will not make valid. */
      rounds: z.number().int().nonnegative().optional(),
      hopeless: z.number().int().nonnegative().optional(),
      usage: z.object({
        input: z.number(),
        output: z.number(),
        cached: z.number().optional(),
        cacheWrite: z.number().optional(),
      }),
      costUsd: z.number().optional(),
      /** The same answers at standard price. */
      standardCostUsd: z.number().optional(),
      /**
       * The request file of `requestSha` per model: requests, estimated input tokens and the sum of
       * their max_tokens. Counted once per version of the file, so `status` can price what is not
       * answered yet without a tokenizer.
       */
      plan: z
        .array(
          z.object({
            model: z.string(),
            requests: z.number().int().nonnegative(),
            inputTokens: z.number().nonnegative(),
            maxOutputTokens: z.number().nonnegative(),
            uncapped: z.number().int().nonnegative(),
          }),
        )
        .optional(),
    })
    .optional(),
});

export type Ledger = z.output<typeof ledgerSchema>;
export type Part = z.output<typeof partSchema>;

/** States in which a batch may exist at the provider and still be running. */
export function isInFlight(part: Part): boolean {
  return (
    part.state === 'intent' || part.state === 'uploaded' || part.state === 'creating' || part.state === 'submitted'
  );
}

export function emptyLedger(target: string, now: number): Ledger {
  return { version: STATE_FORMAT, target, updatedAt: iso(now), parts: [], requestFailures: {} };
}

const MAX_EVENTS = 20;

/** Records an event in the marker (shown by `status` and the build log); keeps the last few. */
export function recordEvent(ledger: Ledger, at: number, message: string): void {
  ledger.events = [...(ledger.events ?? []), { at: iso(at), message }].slice(-MAX_EVENTS);
}

export const iso = (ms: number): string => new Date(ms).toISOString();
export const ms = (isoTime: string): number => Date.parse(isoTime);

/** The ledger, `undefined` when there is none yet, or a `bad-input` failure naming the file. */
export async function loadLedger(file: string, root: string): Promise<Result<Ledger | undefined, StageFailure>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return ok(undefined);
    throw error;
  }
  const rel = path.relative(root, file) || file;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return err(corrupt(rel, text, `not valid JSON (${(error as Error).message})`));
  }
  const version = typeof value === 'object' && value !== null ? (value as { version?: unknown }).version : undefined;
  if (version !== undefined && !isKnownFormat(version))
    return err({
      reason: 'bad-input',
      message: `batch marker ${newerStateMessage(rel, version)}`,
      file: rel,
      details: [...NEWER_STATE_DETAILS],
    });
  const parsed = ledgerSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.map(String).join('.') || '(top level)';
    return err(corrupt(rel, text, `${where}: ${issue.message}`));
  }
  return ok(parsed.data);
}

function corrupt(rel: string, text: string, why: string): StageFailure {
  const ids = [...new Set(text.match(/batch_[A-Za-z0-9_-]+/g) ?? [])];
  return {
    reason: 'bad-input',
    message: `batch marker ${rel} is not a valid ledger: ${why}`,
    file: rel,
    details: [
      ids.length > 0
        ? `it mentions ${ids.length} batch id(s) that may still be running or hold paid results: ${ids.slice(0, 10).join(', ')}${ids.length > 10 ? ', …' : ''}`
        : 'it mentions no batch id',
      'the marker was left untouched; fix it, or delete it once no batch it records is in flight (results already downloaded stay in .pipeline/cache)',
    ],
  };
}

export async function saveLedger(file: string, ledger: Ledger, now: number): Promise<void> {
  ledger.updatedAt = iso(now);
  await writeFileAtomic(file, `${JSON.stringify(ledger, null, 2)}\n`);
}
