/**
 * The provider would not queue more tokens for this model now: OpenAI fails the batch after
 * validation (`token_limit_exceeded`), Azure refuses the create at once. Either way it is not the
 * input's fault: the part's requests are planned again after a growing, jittered pause, within the
 * limit the provider stated (kept for every later build, so parts are then cut to fit it).
 */
import type { QueueHeaders } from '../../providers/batch-api.ts';
import { iso, ms, type Part } from './ledger.ts';
import { parseEnqueuedLimit } from './learned-limits.ts';
import { learnedLimits, now, save, type BatchRun } from './run-context.ts';

const TOKEN_LIMIT_BACKOFF_MAX_MS = 30 * 60_000;

/** `messages`: the provider's words (the stated limit is parsed from them); `batchId` when a batch was made. */
export async function backOffOnTokenLimit(
  run: BatchRun,
  part: Part,
  messages: readonly string[],
  batchId?: string,
  queue?: QueueHeaders,
): Promise<void> {
  const stated = queue?.maxEnqueuedTokens ?? messages.map((m) => parseEnqueuedLimit(m)).find((n) => n !== undefined);
  const learned = learnedLimits(run);
  const { endpoint, model } = part;
  // Sent above the last stated limit on purpose (a probe upward): what failed is the probe, not our count.
  const probing = learned.probing(endpoint, model);
  const where = batchId ?? `part ${part.n} of ${run.ctx.target}`;
  if (stated !== undefined) learned.learnLimit(endpoint, model, stated, `${where} failed on it`);
  else if (probing) learned.probeFailed(endpoint, model);
  if (queue?.fileTokens !== undefined)
    learned.learnFromUsage(endpoint, model, queue.fileTokens, part.inputTokens, 'queue');
  if (part.budget !== undefined && !probing) learned.raiseRatio(endpoint, model, where);
  await learned.save();
  const count = (run.ledger.backoff?.count ?? 0) + 1;
  // Jitter: targets that hit the limit together must not all come back at the same moment.
  const wait =
    Math.min(TOKEN_LIMIT_BACKOFF_MAX_MS, run.config.tokenLimitBackoffSeconds * 1000 * 2 ** (count - 1)) *
    (1 + 0.25 * Math.random());
  const until = Math.max(now(run) + Math.round(wait), run.ledger.backoff ? ms(run.ledger.backoff.until) : 0);
  run.ledger.backoff = { until: iso(until), count, reason: messages[0] || 'token_limit_exceeded' };
  const limit = stated !== undefined ? ` (limit ${stated.toLocaleString('en-US')})` : '';
  part.note = `${batchId ? 'failed' : 'refused at create'} with token_limit_exceeded${limit}; its requests are queued again after ${iso(until)}`;
  await save(run);
}
