/**
 * The /v1/batch/jobs routes: create (checked at once; the lines when the job leaves the queue),
 * get (`?inline=true`: the result lines in `outputs` once it has ended), list (filters and pages),
 * cancel (CANCELLATION_REQUESTED, then CANCELLED) and delete (gone from get and list; like
 * Gemini's delete, its work is not stopped: the docs say only "request the deletion").
 */
import { randomUUID } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { readBytes, sendJson } from '../http.ts';
import { newJob } from '../job.ts';
import type { MistralContext } from './context.ts';
import { inputSources, parseCreate, writeInput } from './create-request.ts';
import { MistralApiError, MistralValidationError } from './errors.ts';
import type { MistralCall } from './files-routes.ts';
import { pageOf } from './pages.ts';
import { statusOf, type MistralJob } from './types.ts';
import { jobObject } from './wire.ts';

async function readBody(call: MistralCall): Promise<unknown> {
  const raw = await readBytes(
    call.req,
    call.ctx.counter,
    call.ctx.limits.maxBytes,
    () => new MistralApiError(413, 'Request body too large.'),
  );
  try {
    return JSON.parse(raw.toString('utf8')) as unknown;
  } catch {
    throw new MistralValidationError([{ type: 'json_invalid', loc: ['body'], msg: 'JSON decode error', input: {} }]);
  }
}

export async function createJob(call: MistralCall): Promise<void> {
  const { ctx } = call;
  const body = parseCreate(ctx, await readBody(call));
  const sources = inputSources(ctx, body.inputFiles);
  const id = randomUUID();
  const now = ctx.clock.now();
  let written;
  try {
    written = await writeInput(ctx, id, sources, body.requests);
  } catch (e) {
    await rm(ctx.batches.workDir(id), { recursive: true, force: true });
    throw e;
  }
  const j: MistralJob = {
    ...newJob(id, ctx.batches.nextSeq(), ctx.speed, now, now + body.timeoutHours * 3_600_000, written.total),
    inputFiles: body.inputFiles,
    endpoint: body.endpoint,
    model: body.model,
    metadata: body.metadata,
    timeoutHours: body.timeoutHours,
    succeeded: 0,
    failed: 0,
    outputFile: null,
    errorFile: null,
    errors: [],
    rejectedLines: [...written.problems].map(([message, count]) => ({ message, count })),
  };
  await ctx.batches.save(j);
  ctx.stats.add('batchesCreated');
  sendJson(call.res, 200, jobObject(j), ctx.counter);
}

function found(ctx: MistralContext, id: string): MistralJob {
  const j = ctx.batches.visible(id);
  if (!j) throw new MistralApiError(404, `Batch job ${id} not found.`, 'not_found');
  return j;
}

/** The lines of the job's output and error files (those still kept), for `?inline=true`. */
async function outputsOf(ctx: MistralContext, j: MistralJob): Promise<unknown[]> {
  const lines: unknown[] = [];
  for (const id of [j.outputFile, j.errorFile]) {
    if (!id || !ctx.files.get(id, ctx.clock.now())) continue;
    const text = await readFile(ctx.files.contentPath(id), 'utf8');
    for (const line of text.split('\n')) if (line) lines.push(JSON.parse(line));
  }
  return lines;
}

export async function getJob({ ctx, id, query, res }: MistralCall): Promise<void> {
  const j = await ctx.jobs.refresh(found(ctx, id));
  const inline = query.get('inline') === 'true' && j.phase === 'ended';
  sendJson(res, 200, jobObject(j, inline ? await outputsOf(ctx, j) : undefined), ctx.counter);
}

const LIST_PARAMS = new Set([
  'page',
  'page_size',
  'model',
  'agent_id',
  'metadata',
  'created_after',
  'created_by_me',
  'status',
  'order_by',
]);

/**
 * The metadata a list asks for. The SDK sends the `metadata` object exploded into query parameters
 * of their own (`?job=x`); `metadata={"job":"x"}` (JSON) is taken too. The server's matching rule is
 * undocumented: here every pair asked for must be on the job.
 */
function metadataFilter(query: URLSearchParams): Record<string, string> {
  const wanted: Record<string, string> = {};
  for (const [k, v] of query) if (!LIST_PARAMS.has(k)) wanted[k] = v;
  const json = query.get('metadata');
  if (json) {
    try {
      Object.assign(wanted, JSON.parse(json) as Record<string, string>);
    } catch {
      throw new MistralValidationError([
        { type: 'json_invalid', loc: ['query', 'metadata'], msg: 'Invalid JSON', input: json },
      ]);
    }
  }
  return wanted;
}

export async function listJobs({ ctx, query, res }: MistralCall): Promise<void> {
  const order = query.get('order_by') ?? '-created';
  if (order !== 'created' && order !== '-created')
    throw new MistralValidationError([
      { type: 'enum', loc: ['query', 'order_by'], msg: "Input should be 'created' or '-created'", input: order },
    ]);
  const after = query.get('created_after');
  const afterMs = after ? Date.parse(after) : -Infinity;
  const statuses = query.getAll('status').flatMap((s) => s.split(','));
  const model = query.get('model');
  const wanted = Object.entries(metadataFilter(query));
  await ctx.jobs.refreshAll();
  let all = ctx.batches
    .listed(ctx.clock.now(), ctx.faults.options.listLagMs)
    .filter((j) => j.createdMs > afterMs && (!model || j.model === model))
    .filter((j) => statuses.length === 0 || statuses.includes(statusOf(j)))
    .filter((j) => wanted.every(([k, v]) => j.metadata?.[k] === v));
  if (order === 'created') all = all.reverse();
  sendJson(
    res,
    200,
    { data: pageOf(all, query).map((j) => jobObject(j)), object: 'list', total: all.length },
    ctx.counter,
  );
}

export async function cancelJob({ ctx, id, res }: MistralCall): Promise<void> {
  const j = await ctx.jobs.cancel(found(ctx, id), (ended) => {
    if (ended.outcome !== 'cancelled')
      throw new MistralApiError(
        400,
        `Batch job ${ended.id} has status ${statusOf(ended)} and can no longer be cancelled.`,
      );
  });
  sendJson(res, 200, jobObject(j), ctx.counter);
}

export async function deleteJob({ ctx, id, res }: MistralCall): Promise<void> {
  await ctx.jobs.hide(found(ctx, id));
  sendJson(res, 200, { id, object: 'batch', deleted: true }, ctx.counter);
}
