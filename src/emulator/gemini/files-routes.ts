/**
 * The Files API: resumable upload (`/upload/v1beta/files`: start, then chunks to the session's
 * URL), get, list, delete and download (`…/files/{id}:download?alt=media`, under `/v1beta` as the
 * JS SDK calls it and under `/download/v1beta` as the REST guide does). Uploads expire after 48 h.
 * Batch result files are named `batch-<batch id>`, longer than the 40 characters a file id may
 * have: get and download take them, delete refuses them (400), as the real service does.
 */
import { createWriteStream } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { isRecord, sendJson, streamFile } from '../http.ts';
import { LOWER_ALNUM, randomChars } from '../ids.ts';
import type { Call } from '../router.ts';
import { FILE_LIFETIME_MS, type GeminiContext } from './context.ts';
import { GoogleApiError, notFound } from './errors.ts';
import { readJson } from './json-body.ts';
import { pageOf } from './pages.ts';
import { fileObject, isGenerated } from './wire.ts';

export type GeminiCall = Call<GeminiContext, void>;

const header = (call: GeminiCall, name: string): string => {
  const v = call.req.headers[name];
  return (Array.isArray(v) ? v[0] : v) ?? '';
};

/** Like `frh6ua11nk3o`: the ids the real service gives uploads. */
const newFileId = (): string => randomChars(12, LOWER_ALNUM);

const FILE_ID = /^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$/;

const invalid = (message: string) => new GoogleApiError('INVALID_ARGUMENT', message);

/** A file of this project, or the 403 Google answers for one that is not (or no longer) there. */
async function found(ctx: GeminiContext, id: string) {
  // A batch's result file appears as the batch ends, which a read of it may be the first to see.
  if (isGenerated(id)) await ctx.jobs.refreshAll();
  const rec = ctx.files.get(id, ctx.clock.now());
  if (!rec)
    throw new GoogleApiError(
      'PERMISSION_DENIED',
      `You do not have permission to access the File ${id} or it may not exist.`,
    );
  return rec;
}

function requestedId(name: unknown): string | null {
  if (typeof name !== 'string' || name === '') return null;
  const id = name.replace(/^files\//, '');
  if (!FILE_ID.test(id))
    throw invalid(
      `* CreateFileRequest.file.name: File ID must contain only lowercase alphanumeric characters or dashes (-), and cannot begin or end with a dash, at most 40 characters: ${id}\n`,
    );
  return id;
}

export async function startUpload(call: GeminiCall): Promise<void> {
  const { ctx } = call;
  if (header(call, 'x-goog-upload-protocol') !== 'resumable' || header(call, 'x-goog-upload-command') !== 'start')
    throw invalid(
      'The emulator takes uploads as resumable sessions (X-Goog-Upload-Protocol: resumable, X-Goog-Upload-Command: start).',
    );
  const body = await readJson(call.req, ctx.counter, 1 << 20);
  const file = isRecord(body) && isRecord(body.file) ? body.file : {};
  const sized = header(call, 'x-goog-upload-header-content-length') || file.sizeBytes;
  const declared = sized === undefined || sized === '' ? null : Number(sized);
  if (declared !== null && declared > ctx.limits.maxFileBytes)
    throw invalid(`File size ${declared} bytes exceeds the limit of ${ctx.limits.maxFileBytes} bytes per file.`);
  const now = ctx.clock.now();
  if (ctx.files.usedBytes(now) + (declared ?? 0) > ctx.limits.maxStorageBytes)
    throw new GoogleApiError(
      'RESOURCE_EXHAUSTED',
      `File storage of the project would exceed its limit of ${ctx.limits.maxStorageBytes} bytes.`,
    );
  const id = requestedId(file.name);
  if (id !== null && ctx.files.get(id, now))
    throw new GoogleApiError('ALREADY_EXISTS', `File files/${id} already exists.`);
  const tmp = ctx.files.tempPath();
  await writeFile(tmp, '');
  const uploadId = ctx.uploads.open({
    tmp,
    declared,
    mimeType:
      header(call, 'x-goog-upload-header-content-type') ||
      (typeof file.mimeType === 'string' ? file.mimeType : 'application/octet-stream'),
    displayName: typeof file.displayName === 'string' ? file.displayName : '',
    id,
  });
  call.res.writeHead(200, {
    'x-goog-upload-url': `${call.origin}/upload/v1beta/files?upload_id=${uploadId}&upload_protocol=resumable`,
    'x-goog-upload-status': 'active',
    'x-goog-upload-chunk-granularity': String(8 * 1024 * 1024),
    'content-length': '0',
  });
  call.res.end();
}

/** A chunk sent to the session's URL: `upload` (more to come) or `upload, finalize` (the last). */
export async function uploadChunk(call: GeminiCall): Promise<void> {
  const { ctx } = call;
  const uploadId = call.query.get('upload_id') ?? '';
  const session = ctx.uploads.get(uploadId);
  if (!session) throw notFound();
  const commands = header(call, 'x-goog-upload-command')
    .split(',')
    .map((c) => c.trim());
  if (commands.includes('upload')) {
    const offset = Number(header(call, 'x-goog-upload-offset') || session.received);
    if (offset !== session.received)
      throw invalid(`Invalid upload offset ${offset}: ${session.received} bytes have been received.`);
    let size = session.received;
    const limit = ctx.limits.maxFileBytes;
    const counted = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        size += chunk.length;
        ctx.counter.addIn(chunk.length);
        done(size > limit ? invalid(`The file is larger than the limit of ${limit} bytes per file.`) : null, chunk);
      },
    });
    try {
      await pipeline(call.req, counted, createWriteStream(session.tmp, { flags: 'a' }));
    } catch (e) {
      ctx.uploads.close(uploadId);
      await rm(session.tmp, { force: true });
      throw e;
    }
    session.received = size;
  }
  if (!commands.includes('finalize')) {
    call.res.writeHead(200, {
      'x-goog-upload-status': 'active',
      'x-goog-upload-size-received': String(session.received),
      'content-length': '0',
    });
    return void call.res.end();
  }
  if (session.declared !== null && session.declared !== session.received)
    throw invalid(`The upload ended after ${session.received} of the ${session.declared} bytes announced.`);
  ctx.uploads.close(uploadId);
  const now = ctx.clock.now();
  const rec = await ctx.files.add(
    session.tmp,
    {
      filename: session.displayName,
      purpose: 'batch',
      mimeType: session.mimeType,
      createdMs: now,
      expiresAt: Math.floor((now + FILE_LIFETIME_MS) / 1000),
    },
    session.id ?? newFileId(),
  );
  ctx.stats.add('filesUploaded');
  sendJson(call.res, 200, { file: fileObject(rec, call.origin) }, ctx.counter, { 'x-goog-upload-status': 'final' });
}

export async function getFile(call: GeminiCall): Promise<void> {
  sendJson(call.res, 200, fileObject(await found(call.ctx, call.id), call.origin), call.ctx.counter);
}

/** Newest first; `pageSize` 10 by default, at most 100. */
export async function listFiles(call: GeminiCall): Promise<void> {
  const { ctx } = call;
  await ctx.jobs.refreshAll();
  const files = ctx.files.list(ctx.clock.now());
  const { page, nextPageToken } = pageOf(files, (f) => [-f.createdMs, -f.seq], call.query, 10, 100);
  const shown = page.map((f) => fileObject(f, call.origin));
  // Proto JSON leaves out an empty list and an absent token: an empty project lists as `{}`.
  sendJson(
    call.res,
    200,
    { ...(shown.length ? { files: shown } : {}), ...(nextPageToken ? { nextPageToken } : {}) },
    ctx.counter,
  );
}

export async function deleteFile(call: GeminiCall): Promise<void> {
  const { ctx, id } = call;
  if (id.length > 40)
    throw invalid("* DeleteFileRequest.name: File ID (name excluding 'files/') cannot be more than 40 characters.\n");
  await found(ctx, id);
  await ctx.files.delete(id);
  sendJson(call.res, 200, {}, ctx.counter);
}

export async function downloadFile(call: GeminiCall): Promise<void> {
  const rec = await found(call.ctx, call.id);
  const type = rec.mimeType ?? 'application/octet-stream';
  await streamFile(call.res, call.ctx.files.contentPath(rec.id), call.ctx.counter, { 'content-type': type });
}
