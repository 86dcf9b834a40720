/** The /v1/batches routes: create (synchronous checks only, like the real API), retrieve, cancel, list. */
import { copyFile, link, mkdir } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { admit } from '../azure/admission.ts';
import { isRecord, sendJson } from '../http.ts';
import { newJob } from '../job.ts';
import type { EmulatorContext } from './context.ts';
import { ApiError, readJsonBody } from './errors.ts';
import { newBatchId } from './ids.ts';
import { checkMetadata, intParam, supported, typeName } from './params.ts';
import { statusOf, type BatchRecord } from './types.ts';
import { batchObject } from './wire.ts';

export const ENDPOINTS = [
  '/v1/responses',
  '/v1/chat/completions',
  '/v1/embeddings',
  '/v1/completions',
  '/v1/moderations',
  '/v1/images/generations',
  '/v1/images/edits',
  '/v1/videos',
];

function required(body: Record<string, unknown>, name: string): string {
  const v = body[name];
  if (v === undefined || v === null)
    throw new ApiError(400, `Missing required parameter: '${name}'.`, name, 'missing_required_parameter');
  if (typeof v !== 'string')
    throw new ApiError(
      400,
      `Invalid type for '${name}': expected a string, but got ${typeof v} instead.`,
      name,
      'invalid_type',
    );
  return v;
}

/**
 * `output_expires_after: {anchor: 'created_at', seconds}` (both required, 3600–2592000 s). The
 * anchor is the output/error file's own creation, i.e. when the batch finishes (see materialize.ts).
 */
function outputExpiry(v: unknown): number | null {
  if (v === undefined || v === null) return null;
  const name = 'output_expires_after';
  if (!isRecord(v))
    throw new ApiError(
      400,
      `Invalid type for '${name}': expected an object, but got ${typeName(v)} instead.`,
      name,
      'invalid_type',
    );
  for (const field of ['anchor', 'seconds']) {
    if (v[field] === undefined || v[field] === null)
      throw new ApiError(
        400,
        `Missing required parameter: '${name}.${field}'.`,
        `${name}.${field}`,
        'missing_required_parameter',
      );
  }
  if (v.anchor !== 'created_at')
    throw new ApiError(400, supported(String(v.anchor), ['created_at']), `${name}.anchor`, 'invalid_value');
  if (typeof v.seconds !== 'number' || !Number.isInteger(v.seconds)) {
    throw new ApiError(
      400,
      `Invalid type for '${name}.seconds': expected an integer, but got ${typeName(v.seconds)} instead.`,
      `${name}.seconds`,
      'invalid_type',
    );
  }
  return intParam(String(v.seconds), `${name}.seconds`, 3600, 2_592_000, 0);
}

/**
 * Snapshots the input file into the batch's directory (a hard link, so free), so deleting the
 * input file does not pull the rug from under a running batch.
 */
async function snapshotInput(source: string, target: string): Promise<void> {
  await mkdir(path.dirname(target), { recursive: true });
  try {
    await link(source, target);
  } catch {
    await copyFile(source, target);
  }
}

export async function createBatch(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await readJsonBody(req, ctx.counter);
  if (!isRecord(body))
    throw new ApiError(
      400,
      "Missing required parameter: 'input_file_id'.",
      'input_file_id',
      'missing_required_parameter',
    );
  const inputFileId = required(body, 'input_file_id');
  // Azure's examples name the endpoint without `/v1` (`/chat/completions`); both mean the same.
  const named = required(body, 'endpoint');
  const endpoint = ctx.azure && !named.startsWith('/v1/') ? `/v1${named}` : named;
  const window = required(body, 'completion_window');
  if (!ENDPOINTS.includes(endpoint))
    throw new ApiError(400, supported(endpoint, ENDPOINTS), 'endpoint', 'invalid_value');
  if (window !== '24h') throw new ApiError(400, supported(window, ['24h']), 'completion_window', 'invalid_value');
  const metadata = checkMetadata(body.metadata);
  const outputExpiresAfterSeconds = outputExpiry(body.output_expires_after);
  const now = ctx.clock.now();
  const file = ctx.files.get(inputFileId, now);
  if (!file) throw new ApiError(404, `No such File object: ${inputFileId}`, 'id');
  const young = ctx.faults.options.fileNotFoundAfterUploadMs;
  if (young !== undefined && now - file.createdMs < young) {
    throw new ApiError(
      400,
      `Cannot find file ${inputFileId}, or project proj_emulator does not have access to it.`,
      'file_id',
    );
  }
  if (file.purpose !== 'batch') {
    throw new ApiError(
      400,
      `The input file must have purpose 'batch', but ${inputFileId} has purpose '${file.purpose}'.`,
      'input_file_id',
      'invalid_value',
    );
  }
  if (file.bytes > ctx.maxBatchFileBytes) throw new ApiError(400, 'File is too large.');
  const admitted = ctx.azure ? await admit(ctx, ctx.azure, res, ctx.files.contentPath(inputFileId), endpoint) : null;
  const id = newBatchId();
  // Azure does not expire jobs at 24 h: they run until done or cancelled (providers.md B.5).
  const deadline = ctx.azure ? null : Math.floor(now / 1000) * 1000 + 86_400_000;
  const rec: BatchRecord = {
    ...newJob(id, ctx.batches.nextSeq(), ctx.speed, now, deadline),
    endpoint,
    inputFileId,
    completionWindow: window,
    metadata,
    outputExpiresAfterSeconds,
    errors: null,
    // An Azure batch holds its deployment's quota from create on (validation recounts the same).
    model: admitted?.deployment ?? null,
    enqueuedTokens: admitted?.tokens ?? 0,
    completed: 0,
    failed: 0,
    inputTokens: 0,
    outputTokens: 0,
    outputFileId: null,
    errorFileId: null,
  };
  await snapshotInput(ctx.files.contentPath(inputFileId), ctx.batches.input(rec.id));
  await ctx.batches.save(rec);
  ctx.stats.add('batchesCreated');
  sendJson(res, 200, batchObject(rec), ctx.counter);
}

export function found(ctx: EmulatorContext, id: string): BatchRecord {
  const rec = ctx.batches.get(id);
  if (!rec) throw new ApiError(404, `No batch found with id '${id}'.`);
  return rec;
}

export async function retrieveBatch(ctx: EmulatorContext, id: string, res: ServerResponse): Promise<void> {
  sendJson(res, 200, batchObject(await ctx.jobs.refresh(found(ctx, id))), ctx.counter);
}

export async function cancelBatch(ctx: EmulatorContext, id: string, res: ServerResponse): Promise<void> {
  const rec = await ctx.jobs.cancel(found(ctx, id), (b) => {
    // No x-should-retry header: the real API's behaviour is unknown, so the SDK retries this 409.
    throw new ApiError(409, `Cannot cancel a batch with status '${statusOf(b)}'.`);
  });
  sendJson(res, 200, batchObject(rec), ctx.counter);
}

export async function listBatches(ctx: EmulatorContext, query: URLSearchParams, res: ServerResponse): Promise<void> {
  const limit = intParam(query.get('limit') ?? undefined, 'limit', 1, 100, 20);
  const all = ctx.batches.listed(ctx.clock.now(), ctx.faults.options.listLagMs);
  const after = query.get('after');
  const start = after ? all.findIndex((b) => b.id === after) + 1 : 0;
  const page = after && start === 0 ? [] : all.slice(start, start + limit);
  const data = [];
  for (const b of page) data.push(batchObject(await ctx.jobs.refresh(b)));
  // The spec types the cursors as optional strings (unlike the files list): an empty page leaves them out.
  const cursors = page.length === 0 ? {} : { first_id: page[0]?.id, last_id: page.at(-1)?.id };
  sendJson(
    res,
    200,
    { object: 'list', data, ...cursors, has_more: page.length > 0 && start + page.length < all.length },
    ctx.counter,
  );
}
