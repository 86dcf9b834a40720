/**
 * The crash-safe submit protocol (see the diagram in ledger.ts). Every step first records in the
 * marker what it is about to do, so after a crash at any instant the next run knows whether a file
 * or a batch may exist at the provider, and looks for it before making another.
 */
import { randomBytes } from 'node:crypto';
import { openAsBlob } from 'node:fs';
import { readFile, rm, stat } from 'node:fs/promises';
import type { RemoteBatch } from '../../providers/batch-api.ts';
import { describeApiError } from '../../providers/batch-api.ts';
import { hashFile, hashText } from '../../util/hash.ts';
import { iso, ms, type Part } from './ledger.ts';
import { encodeLines } from './line-ranges.ts';
import { partCustomIds, partFile } from './part-file.ts';
import type { PlannedPart } from './plan.ts';
import { writePartFile } from './part-writer.ts';
import { confirmCreation } from './adoption.ts';
import { learnedLimits, now, save, type BatchRun, type StepResult } from './run-context.ts';
import { maybeCrash } from './services.ts';
import { backOffOnTokenLimit } from './token-limit.ts';

const FILE_NOT_VISIBLE_RETRY_MS = 10_000;
const RATE_LIMIT_RETRY_MS = 30_000;
const FILE_REUPLOAD_AFTER_MS = 10 * 60_000;

/**
 * Records the intent for a planned part (its bytes kept locally first, its expected and worst-case
 * cost with it: the budget counts it from that moment), then drives it as far as it goes.
 */
export async function submitNewPart(
  run: BatchRun,
  planned: PlannedPart,
  requestSha: string,
  money: { expectedUsd?: number; worstUsd?: number; unbounded: number },
  budget?: number,
): Promise<StepResult> {
  const written = await writePartFile(run.files.partsDir, planned.entries);
  const n = Math.max(0, ...run.ledger.parts.map((p) => p.n)) + 1;
  const part: Part = {
    n,
    state: 'intent',
    sha256: written.sha256,
    intent: randomBytes(8).toString('hex'),
    intentAt: iso(now(run)),
    model: planned.model,
    endpoint: planned.endpoint,
    requests: planned.entries.length,
    bytes: written.bytes,
    inputTokens: planned.inputTokens,
    ...(money.expectedUsd !== undefined ? { estCostUsd: Math.round(money.expectedUsd * 1e6) / 1e6 } : {}),
    // Rounded up: the budget must never count a part below its worst case.
    ...(money.worstUsd !== undefined ? { worstCostUsd: Math.ceil(money.worstUsd * 1e9) / 1e9 } : {}),
    ...(money.unbounded > 0 ? { unbounded: money.unbounded } : {}),
    ...(budget !== undefined ? { budget } : {}),
    requestSha,
    lines: encodeLines(planned.entries.map((e) => e.line)),
    // Always written (empty too): its presence says the part's ids are not to be read by their suffix.
    reasks: Object.fromEntries(
      planned.entries.filter((e) => e.sentId).map((e) => [e.sentId!, { row: e.customId, attempt: e.reask! }]),
    ),
  };
  run.ledger.parts.push(part);
  await save(run);
  maybeCrash(run.svc, 'after-intent', { target: run.ctx.target, part: n });
  return advanceSubmit(run, part);
}

/** Moves a part through intent → uploaded → creating → submitted, stopping where it must wait. */
export async function advanceSubmit(run: BatchRun, part: Part): Promise<StepResult> {
  const crashInfo = { target: run.ctx.target, part: part.n };
  if (part.state === 'intent') {
    const copy = await intactCopy(run, part);
    if (!copy) {
      // Nothing was created from this intent yet (no file id): its requests are simply planned again.
      part.state = 'abandoned';
      part.note = 'the local copy of the part was lost before upload; its requests are planned again';
      await save(run);
      return { kind: 'advanced' };
    }
    if (await goesInline(run, part, copy.file)) {
      // Requests go inline in the create call (Anthropic; small parts on Gemini): the local part file is the upload.
      part.state = 'uploaded';
      await save(run);
      return advanceSubmit(run, part);
    }
    const name = uploadName(run.ctx.target, part);
    // An earlier upload of these bytes whose answer was lost (crash, Ctrl-C mid-upload) is reused, not duplicated.
    const earlier = part.uploadAttemptAt ? await run.svc.api.findUpload(name, run.config) : undefined;
    if (earlier && !earlier.ok)
      return {
        kind: 'waiting',
        why: `cannot list files to find the earlier upload of part ${part.n}: ${describeApiError(earlier.error)}`,
      };
    if (!earlier?.value || earlier.value.bytes !== copy.bytes) {
      part.uploadAttemptAt = iso(now(run));
      await save(run);
    }
    const uploaded =
      earlier?.value && earlier.value.bytes === copy.bytes
        ? { ok: true as const, value: earlier.value }
        : await run.svc.api.upload(await openAsBlob(copy.file), name, run.config);
    maybeCrash(run.svc, 'during-upload', crashInfo);
    if (!uploaded.ok) {
      part.note = `upload failed: ${describeApiError(uploaded.error)}`;
      await save(run);
      if (uploaded.error.kind === 'bad-request' || uploaded.error.kind === 'auth')
        return {
          kind: 'failed',
          message: `the provider refused the upload of part ${part.n}: ${describeApiError(uploaded.error)}`,
        };
      return { kind: 'waiting', why: part.note };
    }
    part.fileId = uploaded.value.id;
    part.uploadedAt = iso(now(run));
    part.state = 'uploaded';
    delete part.note;
    await save(run);
    maybeCrash(run.svc, 'after-upload', crashInfo);
  }
  // A provider whose create takes an idempotency token returns the batch the lost answer was for.
  if (part.state === 'creating' && run.svc.api.traits.findsLostCreates === 'idempotent') part.state = 'uploaded';
  if (part.state === 'creating') {
    const creation = await confirmCreation(
      run.svc.api,
      run.svc.poll,
      part,
      run.svc.confirmedCreates,
      now(run),
      run.svc.claimed,
      () => partCustomIds(run, part),
    );
    if (!creation.ok)
      return {
        kind: 'waiting',
        why: `cannot list batches to confirm part ${part.n} was created: ${describeApiError(creation.error)}`,
      };
    if (creation.value.kind === 'found')
      return adopt(run, part, creation.value.batch, 'adopted after an unconfirmed create');
    if (creation.value.kind === 'unproven')
      return {
        kind: 'waiting',
        why: `part ${part.n}: its create got no answer; ${creation.value.candidates.map((b) => `${b.id} (${b.status})`).join(', ')} may be its batch (same size, no metadata to tell): adopted once its results show this part's custom ids`,
      };
    if (creation.value.kind === 'unsure')
      return {
        kind: 'waiting',
        why: `confirming whether part ${part.n} was created (the provider's list may lag; creating again after ${iso(creation.value.until)} if it does not show up)`,
      };
    part.state = 'uploaded'; // the list proves no batch came of the earlier attempt
  }
  if (part.state !== 'uploaded') return { kind: 'advanced' };
  if (part.retryAt && ms(part.retryAt) > now(run))
    return { kind: 'waiting', why: part.note ?? `part ${part.n} waits to be created` };

  // No file was uploaded for it: its requests go in the create call.
  const inline = part.fileId === undefined;
  const inputData = inline ? await readFile(partFile(run, part.sha256)).catch(() => undefined) : undefined;
  if (inline && (!inputData || hashText(inputData) !== part.sha256)) {
    part.state = 'abandoned';
    part.note = 'the local copy of the part was lost before its batch was created; its requests are planned again';
    await save(run);
    return { kind: 'advanced' };
  }
  part.state = 'creating';
  part.createAttemptAt = iso(now(run));
  part.createNotSent = true;
  delete part.retryAt;
  await save(run);
  maybeCrash(run.svc, 'after-creating', crashInfo);
  const sending = recordSending(run, part);
  const created = await run.svc.api.createBatch({
    inputFileId: part.fileId,
    inputData,
    endpoint: part.endpoint,
    model: part.model,
    completionWindow: run.config.completionWindow,
    rule: run.config,
    metadata: {
      pipeline_target: run.ctx.target.slice(-512),
      pipeline_sha256: part.sha256,
      pipeline_part: String(part.n),
      pipeline_intent: part.intent,
    },
    beforeSend: sending.beforeSend,
  });
  // The ledger could not say the request may leave, so it was not sent: the build stops here.
  if (sending.failure) throw sending.failure.error;
  if (created.ok) {
    maybeCrash(run.svc, 'after-create', crashInfo);
    run.createdThisRun.add(created.value.id);
    run.svc.confirmedCreates.set(created.value.id, ms(part.createAttemptAt));
    await learnFromQueueHeaders(run, part, created.value);
    return adopt(run, part, created.value);
  }
  const e = created.error;
  part.note = `create failed: ${describeApiError(e)}`;
  if (e.kind === 'ambiguous') {
    await save(run); // stays `creating`: the next run looks for it before creating again
    return { kind: 'waiting', why: `part ${part.n}: no answer to create (${e.message}); will look for it next run` };
  }
  // Every other answer is definitive: no batch was made.
  if (e.kind === 'queue-full') {
    // Azure refuses at create what OpenAI fails after validation: the same back-off, the same learning.
    part.state = 'abandoned';
    await save(run);
    await rm(partFile(run, part.sha256), { force: true });
    await discardUpload(run.svc.api, part);
    await backOffOnTokenLimit(run, part, [e.message], undefined, e.queue);
    return { kind: 'waiting', why: `part ${part.n}: ${part.note}` };
  }
  part.state = 'uploaded';
  const fileNotVisible =
    (e.kind === 'bad-request' && /cannot find file|no such file/i.test(e.message)) || e.kind === 'not-found';
  if (fileNotVisible && part.uploadedAt && now(run) - ms(part.uploadedAt) > FILE_REUPLOAD_AFTER_MS) {
    // Still unknown long after upload (deleted, expired): upload the same bytes again.
    part.state = 'intent';
    delete part.fileId;
    await save(run);
    return { kind: 'waiting', why: `part ${part.n}: ${part.note}; uploading it again` };
  }
  if (fileNotVisible || e.kind === 'rate-limited' || e.kind === 'server-error' || e.kind === 'network') {
    const wait =
      e.kind === 'rate-limited'
        ? (e.retryAfterMs ?? RATE_LIMIT_RETRY_MS)
        : fileNotVisible
          ? FILE_NOT_VISIBLE_RETRY_MS
          : RATE_LIMIT_RETRY_MS;
    part.retryAt = iso(now(run) + wait);
    await save(run);
    return { kind: 'waiting', why: `part ${part.n}: ${part.note}; retrying` };
  }
  part.state = 'abandoned';
  await save(run);
  await rm(partFile(run, part.sha256), { force: true });
  await discardUpload(run.svc.api, part);
  return {
    kind: 'failed',
    message: `the provider refused to create the batch for part ${part.n}: ${describeApiError(e)}`,
  };
}

/**
 * The create's hook at the providers' send gate: the ledger stops saying "not sent" before the
 * request can leave, never after (a crash in between must read "may have been sent": the list is
 * searched; the other order could create the batch twice). A write that fails keeps the request here.
 */
function recordSending(run: BatchRun, part: Part): { beforeSend: () => Promise<void>; failure?: { error: unknown } } {
  const sending: { beforeSend: () => Promise<void>; failure?: { error: unknown } } = {
    beforeSend: async () => {
      delete part.createNotSent;
      part.createAttemptAt = iso(now(run));
      try {
        await save(run);
      } catch (error) {
        part.createNotSent = true;
        sending.failure = { error };
        throw error;
      }
    },
  };
  return sending;
}

async function adopt(run: BatchRun, part: Part, batch: RemoteBatch, note?: string): Promise<StepResult> {
  part.batchId = batch.id;
  run.svc.claimed.add(batch.id);
  part.createdAt = iso(batch.createdAt);
  part.status = batch.status;
  part.counts = batch.requestCounts;
  part.state = 'submitted';
  if (note) {
    part.note = note;
    part.adopted = true;
  } else delete part.note;
  await save(run);
  return { kind: 'advanced' };
}

/** The part's requests go in the create call itself rather than in an uploaded file (read only if small enough). */
async function goesInline(run: BatchRun, part: Part, file: string): Promise<boolean> {
  const traits = run.svc.api.traits;
  if (part.bytes > traits.inlineUpToBytes) return false;
  return traits.inlineable ? traits.inlineable(await readFile(file)) : true;
}

/** The part's local copy, hashed as it is read (a part can be 200 MB): undefined when it is gone or not the part's bytes. */
async function intactCopy(run: BatchRun, part: Part): Promise<{ file: string; bytes: number } | undefined> {
  const file = partFile(run, part.sha256);
  const sha = await hashFile(file).catch(() => undefined);
  if (sha !== part.sha256) return undefined;
  return { file, bytes: (await stat(file)).size };
}

/** Unique per intent, so an upload whose answer was lost can be found again by name. */
function uploadName(target: string, part: Pick<Part, 'n' | 'intent'>): string {
  const base = target
    .replace(/\.jsonl$/, '')
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .slice(-150);
  return `${base}.part${part.n}.${part.intent}.jsonl`;
}

/** An uploaded file no batch will use is deleted, not left in the user's storage; failing that, it expires on its own. */
export async function discardUpload(api: BatchRun['svc']['api'], part: Part): Promise<void> {
  if (part.fileId && !part.batchId) await api.deleteFile(part.fileId);
}

/** Azure states its queue limit and its count of each file on every create: learned as a refusal would teach them. */
async function learnFromQueueHeaders(run: BatchRun, part: Part, batch: RemoteBatch): Promise<void> {
  const queue = batch.queue;
  if (!queue) return;
  const learned = learnedLimits(run);
  if (queue.maxEnqueuedTokens !== undefined)
    learned.learnLimit(part.endpoint, part.model, queue.maxEnqueuedTokens, `the queue headers of ${batch.id}`);
  if (queue.fileTokens !== undefined)
    learned.learnFromUsage(part.endpoint, part.model, queue.fileTokens, part.inputTokens, batch.id);
  await learned.save();
}
