/**
 * Processing a job's records, a slice at a time as its clock time advances: each record (streamed
 * from the snapshot at the persisted cursor) gets its fate — an injected error, a body the model
 * rejects, or the stand-in model's answer — and its output line goes to
 * `<output>/<jobId>/<input name>.out` in S3 while the job runs (InProgress shows partial results).
 * Lines are shuffled within each window with the seed: Bedrock does not promise input order, so
 * readers must join on `recordId`. The cursor, counts and the output's size are saved after every
 * window, so a restart resumes exactly and never doubles a line.
 */
import { canonicalJson, hashText } from '../../util/hash.ts';
import { isRecord } from '../http.ts';
import { derivedHex } from '../ids.ts';
import { invalidReplyFor, spoilAnthropic } from '../invalid-replies.ts';
import { readLines } from '../lines.ts';
import { forcedTool } from '../structured-answer.ts';
import { hashUniform, mulberry32, seedFrom, shuffleInPlace } from '../prng.ts';
import type { BedrockContext } from './context.ts';
import { modelRef, type ModelRef } from './models.ts';
import { runRecord, type RecordResult } from './records.ts';
import type { JobRecord } from './types.ts';
import { parseS3Uri } from './validate.ts';

const WINDOW = 1000;

/** The key of a job's output object `name` (`<output prefix>/<jobId>/<name>`). */
export function outputKey(job: JobRecord, name: string): { bucket: string; key: string } {
  const { bucket, key } = parseS3Uri(job.outputS3Uri);
  const prefix = key === '' || key.endsWith('/') ? key : `${key}/`;
  return { bucket, key: `${prefix}${job.id}/${name}` };
}

/** Injected per-record errors (the `requestErrors` fault knobs, by recordId or body hash). */
function injected(ctx: BedrockContext, recordId: string, hash: string): RecordResult | null {
  const f = ctx.faults.options.requestErrors;
  if (!f) return null;
  if (f.customIds4xx?.includes(recordId) || (f.rate4xx && hashUniform(ctx.seed, '4xx', hash) < f.rate4xx))
    return { ok: false, errorCode: 400, errorMessage: 'Invalid request: rejected by an injected emulator fault.' };
  const chosen = f.customIds5xx?.includes(recordId) || (f.rate5xx && hashUniform(ctx.seed, '5xx', hash) < f.rate5xx);
  if (!chosen || ctx.ledger.failures5xx(hash) >= (f.transientAttempts ?? 1)) return null;
  ctx.ledger.markFailed5xx(hash);
  // Both are seen in real output: a throttled record and a server error; which one is fixed by the body.
  return hashUniform(ctx.seed, '5xx-type', hash) < 0.5
    ? { ok: false, errorCode: 429, errorMessage: 'Too many requests, please wait before trying again.' }
    : { ok: false, errorCode: 500, errorMessage: 'Internal server error' };
}

/**
 * Notes an answer in the ledger: spoiled by the invalid-replies fault (a Claude record forcing a
 * tool, as on the Message Batches flavour; the same body asked again is answered validly), or a
 * success — counted as paid twice when this exact body had succeeded before.
 */
function noteAnswer(
  ctx: BedrockContext,
  job: JobRecord,
  model: ModelRef,
  line: { recordId: string; hash: string; modelInput: unknown },
  result: RecordResult & { ok: true },
): void {
  const params = isRecord(line.modelInput) ? line.modelInput : {};
  const structured = model.family === 'anthropic' && job.invocationType === 'InvokeModel' && !!forcedTool(params);
  const faults = ctx.faults.options.invalidReplies;
  const invalidSoFar = ctx.ledger.invalidReplies(line.hash);
  const kind = structured ? invalidReplyFor(faults, ctx.seed, line.recordId, line.hash, invalidSoFar) : undefined;
  if (kind) {
    result.outputTokens = spoilAnthropic(result.output, kind, model.name);
    (result.output.usage as Record<string, number>).output_tokens = result.outputTokens;
    ctx.ledger.markInvalid(line.hash);
    ctx.stats.add('invalidReplies');
  } else if (ctx.ledger.markSucceeded(line.hash)) {
    job.duplicates++;
    ctx.stats.add('duplicateExecutions');
  }
}

interface Record_ {
  recordId?: unknown;
  modelInput?: unknown;
}

function processRecord(ctx: BedrockContext, job: JobRecord, model: ModelRef, text: string, index: number): string {
  const record = JSON.parse(text) as Record_;
  // Bedrock adds an id to a record that has none (an 11-character alphanumeric, like the old docs' ids).
  const recordId =
    typeof record.recordId === 'string' ? record.recordId : derivedHex(job.id, index).slice(0, 11).toUpperCase();
  const hash = hashText(canonicalJson({ model: model.base, type: job.invocationType, input: record.modelInput }));
  const result =
    injected(ctx, recordId, hash) ?? runRecord(model, job.invocationType, record.modelInput, job.id, index);
  ctx.stats.add('requestsExecuted');
  if (!result.ok) {
    job.errored++;
    const error = { errorCode: result.errorCode, errorMessage: result.errorMessage };
    return JSON.stringify({ recordId, modelInput: record.modelInput, error });
  }
  noteAnswer(ctx, job, model, { recordId, hash, modelInput: record.modelInput }, result);
  job.succeeded++;
  job.inputTokens += result.inputTokens;
  job.outputTokens += result.outputTokens;
  ctx.stats.add('inputTokens', result.inputTokens);
  ctx.stats.add('outputTokens', result.outputTokens);
  return JSON.stringify({ recordId, modelInput: record.modelInput, modelOutput: result.output });
}

/** Appends a shuffled window of output lines to the input's `.out` object and saves the job. */
async function flush(ctx: BedrockContext, job: JobRecord, lines: string[]): Promise<void> {
  if (lines.length === 0) return;
  const input = job.inputs[job.cursor.file];
  if (!input) return;
  shuffleInPlace(lines, mulberry32(seedFrom(ctx.seed, job.id, job.cursor.file, job.processed)));
  const { bucket, key } = outputKey(job, `${input.name}.out`);
  const data = Buffer.from(lines.join('\n') + '\n');
  const rec = await ctx.s3.append(bucket, key, data, input.outBytes, ctx.clock.now());
  input.outBytes = rec.size;
  await ctx.ledger.flush();
  await ctx.jobs.save(job);
}

/** Processes records until `job.processed === target` (never past the last one). */
export async function processUpTo(ctx: BedrockContext, job: JobRecord, target: number): Promise<void> {
  const model = modelRef(job.modelId);
  if (!model || target <= job.processed) return;
  await ctx.ledger.refresh();
  while (job.processed < target && job.cursor.file < job.inputs.length) {
    const input = job.inputs[job.cursor.file] as JobRecord['inputs'][number];
    let lines: string[] = [];
    let fileDone = true;
    for await (const { text, end } of readLines(ctx.jobs.snapshotPath(job.id, input.snapshot), job.cursor.offset)) {
      if (job.processed >= target) {
        fileDone = false;
        break;
      }
      if (text.trim() !== '') {
        lines.push(processRecord(ctx, job, model, text, job.processed));
        job.processed++;
      }
      job.cursor.offset = end;
      if (lines.length === WINDOW) {
        await flush(ctx, job, lines);
        lines = [];
      }
    }
    await flush(ctx, job, lines);
    if (fileDone) job.cursor = { file: job.cursor.file + 1, offset: 0 };
  }
  await ctx.jobs.save(job);
}

/** `manifest.json.out`: the job's counts and tokens, written when it ends with output. */
export async function writeManifest(ctx: BedrockContext, job: JobRecord): Promise<void> {
  const { bucket, key } = outputKey(job, 'manifest.json.out');
  const manifest = {
    totalRecordCount: job.total ?? 0,
    processedRecordCount: job.processed,
    successRecordCount: job.succeeded,
    errorRecordCount: job.errored,
    inputTokenCount: job.inputTokens,
    outputTokenCount: job.outputTokens,
  };
  await ctx.s3.append(bucket, key, Buffer.from(JSON.stringify(manifest)), 0, ctx.clock.now());
}
