/** The /v1/files routes: streamed multipart upload, list, retrieve, content and delete. */
import { rm } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson, streamFile } from '../http.ts';
import { isMultipart, receiveMultipart } from '../multipart.ts';
import type { EmulatorContext } from './context.ts';
import { ApiError } from './errors.ts';
import { intParam, supported } from './params.ts';
import { fileObject } from './wire.ts';

const UPLOAD_PURPOSES = ['assistants', 'batch', 'fine-tune', 'vision', 'user_data', 'evals'];
const THIRTY_DAYS = 2_592_000;

export async function createFile(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (!isMultipart(req)) {
    const type = req.headers['content-type'] ?? '';
    throw new ApiError(400, `Invalid Content-Type header (${type || 'none'}), expected multipart/form-data.`);
  }
  const { fields, upload } = await receiveMultipart(req, ctx.counter, ctx.maxUploadBytes, () => ctx.files.tempPath());
  try {
    if (!upload) throw new ApiError(400, "Missing required parameter: 'file'.", 'file', 'missing_required_parameter');
    // The size limit is enforced in front of the API (a ~564 MB upload got a bare 413), so before any field check.
    if (upload.truncated) throw new ApiError(413, 'Request Entity Too Large');
    const purpose = fields.purpose;
    if (purpose === undefined)
      throw new ApiError(400, "Missing required parameter: 'purpose'.", 'purpose', 'missing_required_parameter');
    if (!UPLOAD_PURPOSES.includes(purpose))
      throw new ApiError(400, supported(purpose, UPLOAD_PURPOSES), 'purpose', 'invalid_value');
    if (purpose === 'batch' && !upload.filename.toLowerCase().endsWith('.jsonl')) {
      throw new ApiError(400, 'Invalid file format for Batch API. Must be .jsonl');
    }
    const now = ctx.clock.now();
    const expiresAt = expiry(fields, purpose, Math.floor(now / 1000), ctx.azure ? AZURE_MIN_FILE_EXPIRY : 3600);
    // A batch file over the 200 MB Batch API limit still uploads (the Files API allows 512 MB);
    // batch create refuses it.
    const rec = await ctx.files.add(upload.tmp, { filename: upload.filename, purpose, createdMs: now, expiresAt });
    ctx.stats.add('filesUploaded');
    sendJson(res, 200, fileObject(rec), ctx.counter);
  } catch (e) {
    if (upload) await rm(upload.tmp, { force: true });
    throw e;
  }
}

/** Azure accepts `expires_after.seconds` from 14 days (OpenAI: 1 hour) up to 30 days (providers.md B.4). */
const AZURE_MIN_FILE_EXPIRY = 1_209_600;

/** `expires_after[anchor]` / `expires_after[seconds]`; batch files default to 30 days. */
function expiry(fields: Record<string, string>, purpose: string, createdAt: number, minSeconds: number): number | null {
  const anchor = fields['expires_after[anchor]'];
  const seconds = fields['expires_after[seconds]'];
  if (anchor === undefined && seconds === undefined) return purpose === 'batch' ? createdAt + THIRTY_DAYS : null;
  if (anchor !== 'created_at')
    throw new ApiError(400, supported(anchor ?? '', ['created_at']), 'expires_after.anchor', 'invalid_value');
  const n = intParam(seconds, 'expires_after.seconds', minSeconds, THIRTY_DAYS, 0);
  return createdAt + n;
}

function found(ctx: EmulatorContext, id: string) {
  const rec = ctx.files.get(id, ctx.clock.now());
  if (!rec) throw new ApiError(404, `No such File object: ${id}`, 'id');
  return rec;
}

export async function listFiles(ctx: EmulatorContext, query: URLSearchParams, res: ServerResponse): Promise<void> {
  const limit = intParam(query.get('limit') ?? undefined, 'limit', 1, 10_000, 10_000);
  const order = query.get('order') ?? 'desc';
  if (order !== 'asc' && order !== 'desc')
    throw new ApiError(400, supported(order, ['asc', 'desc']), 'order', 'invalid_value');
  const purpose = query.get('purpose');
  // Batches advance lazily; the output files of those that finished unread must be listed too.
  await ctx.jobs.refreshAll();
  let all = ctx.files.list(ctx.clock.now()).filter((f) => !purpose || f.purpose === purpose);
  if (order === 'asc') all = all.reverse();
  const after = query.get('after');
  const start = after ? all.findIndex((f) => f.id === after) + 1 : 0;
  const page = after && start === 0 ? [] : all.slice(start, start + limit);
  sendJson(
    res,
    200,
    {
      object: 'list',
      data: page.map(fileObject),
      first_id: page[0]?.id ?? null,
      last_id: page.at(-1)?.id ?? null,
      has_more: start + page.length < all.length && page.length > 0,
    },
    ctx.counter,
  );
}

export function retrieveFile(ctx: EmulatorContext, id: string, res: ServerResponse): void {
  sendJson(res, 200, fileObject(found(ctx, id)), ctx.counter);
}

export async function deleteFile(ctx: EmulatorContext, id: string, res: ServerResponse): Promise<void> {
  found(ctx, id);
  await ctx.files.delete(id);
  sendJson(res, 200, { id, object: 'file', deleted: true }, ctx.counter);
}

/** Streams the content from disk; large outputs never pass through memory whole. */
export async function fileContent(ctx: EmulatorContext, id: string, res: ServerResponse): Promise<void> {
  found(ctx, id);
  await streamFile(res, ctx.files.contentPath(id), ctx.counter, { 'content-type': 'application/octet-stream' });
}
