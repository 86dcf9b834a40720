/**
 * Mistral's Files API for batch work: multipart upload (`purpose=batch`), list, retrieve, content
 * (`GET /v1/files/{id}/content`, what `files.download` reads) and delete. Uploads are kept 30 days,
 * a job's output and error files 24 h after it completes (J.2); then they are a 404.
 */
import { rm } from 'node:fs/promises';
import { sendJson, streamFile } from '../http.ts';
import { isMultipart, receiveMultipart } from '../multipart.ts';
import type { Call } from '../router.ts';
import { UPLOAD_LIFETIME_S, type MistralContext } from './context.ts';
import { MistralApiError, MistralValidationError } from './errors.ts';
import { pageOf } from './pages.ts';
import { fileObject } from './wire.ts';

export type MistralCall = Call<MistralContext, void>;

const PURPOSES = ['fine-tune', 'batch', 'ocr'];

export function foundFile(ctx: MistralContext, id: string) {
  const rec = ctx.files.get(id, ctx.clock.now());
  if (!rec) throw new MistralApiError(404, `No file found with id '${id}'.`, 'not_found');
  return rec;
}

export async function uploadFile({ ctx, req, res }: MistralCall): Promise<void> {
  if (!isMultipart(req))
    throw new MistralValidationError([{ type: 'missing', loc: ['body', 'file'], msg: 'Field required', input: null }]);
  const { fields, upload } = await receiveMultipart(req, ctx.counter, ctx.limits.maxBytes, () => ctx.files.tempPath());
  try {
    if (!upload)
      throw new MistralValidationError([
        { type: 'missing', loc: ['body', 'file'], msg: 'Field required', input: null },
      ]);
    if (upload.truncated)
      throw new MistralApiError(400, `File size exceeds the limit of ${ctx.limits.maxBytes} bytes.`);
    const purpose = fields.purpose ?? 'fine-tune';
    if (!PURPOSES.includes(purpose))
      throw new MistralValidationError([
        {
          type: 'enum',
          loc: ['body', 'purpose'],
          msg: "Input should be 'fine-tune', 'batch' or 'ocr'",
          input: purpose,
        },
      ]);
    const now = ctx.clock.now();
    const rec = await ctx.files.add(upload.tmp, {
      filename: upload.filename,
      purpose,
      mimeType: upload.mimeType,
      createdMs: now,
      expiresAt: Math.floor(now / 1000) + UPLOAD_LIFETIME_S,
    });
    ctx.stats.add('filesUploaded');
    sendJson(res, 200, fileObject(rec), ctx.counter);
  } catch (e) {
    if (upload) await rm(upload.tmp, { force: true });
    throw e;
  }
}

/** Whether a file (as the API shows it) passes the list's filters. */
function listed(file: Record<string, unknown>, query: URLSearchParams): boolean {
  const search = query.get('search');
  const among = (name: string) => {
    const wanted = query.getAll(name).flatMap((v) => v.split(','));
    return wanted.length === 0 || wanted.includes(String(file[name]));
  };
  return (
    (!search || String(file.filename).includes(search)) &&
    (!query.get('purpose') || file.purpose === query.get('purpose')) &&
    among('sample_type') &&
    among('source') &&
    (query.getAll('mimetypes').length === 0 || query.getAll('mimetypes').includes(String(file.mimetype)))
  );
}

/** Newest first; `search` (in the filename), `purpose`, `sample_type`, `source`, `mimetypes`; `page` (from 0), `page_size` (default 100). */
export async function listFiles({ ctx, query, res }: MistralCall): Promise<void> {
  await ctx.jobs.refreshAll();
  const all = ctx.files
    .list(ctx.clock.now())
    .map(fileObject)
    .filter((f) => listed(f, query));
  sendJson(res, 200, { data: pageOf(all, query), object: 'list', total: all.length }, ctx.counter);
}

export function retrieveFile({ ctx, id, res }: MistralCall): void {
  sendJson(res, 200, { ...fileObject(foundFile(ctx, id)), deleted: false }, ctx.counter);
}

export async function fileContent({ ctx, id, res }: MistralCall): Promise<void> {
  await ctx.jobs.refreshAll();
  foundFile(ctx, id);
  await streamFile(res, ctx.files.contentPath(id), ctx.counter, { 'content-type': 'application/octet-stream' });
}

export async function deleteFile({ ctx, id, res }: MistralCall): Promise<void> {
  foundFile(ctx, id);
  await ctx.files.delete(id);
  sendJson(res, 200, { id, object: 'file', deleted: true }, ctx.counter);
}
