/**
 * Dispatch for the S3 subset, path-style (`/{bucket}/{key}`, the SDK's `forcePathStyle: true`):
 * the operation is told by method, path depth and sub-resource query, as S3 tells it; calls are
 * counted per operation (`S3 PutObject`, the route key fault rules name), the shared faults apply
 * (429 answers as 503 SlowDown, S3's throttling), and every answer carries `x-amz-request-id`.
 * An unsigned request is refused with S3's 403 AccessDenied.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { loseReply } from '../router.ts';
import { cutBodyPartWay } from '../cut-body.ts';
import { stallBodyPartWay } from '../stall-body.ts';
import type { SigV4Scope } from '../sigv4/signature.ts';
import { createBucket, deleteBucket, getBucketLocation, headBucket, listBuckets } from './buckets.ts';
import type { S3Call, S3Context } from './context.ts';
import { notImplemented, S3Error, s3FaultError, sendS3Error } from './errors.ts';
import { listObjects } from './list.ts';
import {
  abortMultipartUpload,
  completeMultipartUpload,
  createMultipartUpload,
  listParts,
  uploadPart,
} from './multipart.ts';
import { deleteObject, deleteObjects, getObject, putObject } from './objects.ts';

type Handler = (ctx: S3Context, req: IncomingMessage, res: ServerResponse, call: S3Call) => void | Promise<void>;

/** Query parameters that select no sub-resource (listing options, part addressing, SDK hints). */
const PLAIN_PARAMS = new Set([
  'x-id',
  'list-type',
  'prefix',
  'delimiter',
  'max-keys',
  'continuation-token',
  'start-after',
  'encoding-type',
  'fetch-owner',
  'marker',
  'uploadId',
  'partNumber',
  'max-parts',
  'part-number-marker',
  'max-buckets',
  'bucket-region',
]);

const SUBRESOURCES = new Set(['uploads', 'delete', 'location']);

/** S3's longest key, in UTF-8 bytes. */
const MAX_KEY_BYTES = 1024;

/** The S3 operation a request is, with its handler; NotImplemented for what the subset lacks. */
function operationOf(
  method: string,
  call: S3Call,
  copy: boolean,
): { name: string; handler: Handler } | { name: string; error: S3Error } {
  const q = call.query;
  const sub = [...q.keys()].find((k) => !PLAIN_PARAMS.has(k) && !k.startsWith('X-Amz-'));
  if (sub && !SUBRESOURCES.has(sub)) return { name: `${method} ?${sub}`, error: notImplemented(`?${sub}`) };
  const op = (name: string, handler: Handler) => ({ name, handler });
  if (!call.bucket) {
    if (method === 'GET') return op('ListBuckets', (c, _q, s, l) => listBuckets(c, s, l));
  } else if (!call.key) {
    if (method === 'PUT' && !sub) return op('CreateBucket', createBucket);
    if (method === 'HEAD') return op('HeadBucket', (c, _q, s, l) => headBucket(c, s, l));
    if (method === 'DELETE' && !sub) return op('DeleteBucket', (c, _q, s, l) => deleteBucket(c, s, l));
    if (method === 'GET' && sub === 'location')
      return op('GetBucketLocation', (c, _q, s, l) => getBucketLocation(c, s, l));
    if (method === 'GET' && !sub)
      return q.get('list-type') === '2'
        ? op('ListObjectsV2', (c, _q, s, l) => listObjects(c, s, l, true))
        : op('ListObjects', (c, _q, s, l) => listObjects(c, s, l, false));
    if (method === 'POST' && sub === 'delete') return op('DeleteObjects', deleteObjects);
  } else {
    const uploadId = q.has('uploadId');
    if (Buffer.byteLength(call.key) > MAX_KEY_BYTES)
      return { name: `${method} (key too long)`, error: new S3Error(400, 'KeyTooLongError', 'Your key is too long') };
    if ((method === 'GET' || method === 'HEAD') && q.has('partNumber') && !uploadId)
      return { name: 'GetObject ?partNumber', error: notImplemented('GetObject by partNumber') };
    if (copy && method === 'PUT') return { name: 'CopyObject', error: notImplemented('CopyObject, UploadPartCopy') };
    if (method === 'PUT') return uploadId ? op('UploadPart', uploadPart) : op('PutObject', putObject);
    if (method === 'GET')
      return uploadId
        ? op('ListParts', (c, _q, s, l) => listParts(c, s, l))
        : op('GetObject', (c, r, s, l) => getObject(c, r, s, l, false));
    if (method === 'HEAD') return op('HeadObject', (c, r, s, l) => getObject(c, r, s, l, true));
    if (method === 'DELETE')
      return uploadId
        ? op('AbortMultipartUpload', (c, _q, s, l) => abortMultipartUpload(c, s, l))
        : op('DeleteObject', (c, _q, s, l) => deleteObject(c, s, l));
    if (method === 'POST' && sub === 'uploads') return op('CreateMultipartUpload', createMultipartUpload);
    if (method === 'POST' && uploadId) return op('CompleteMultipartUpload', completeMultipartUpload);
  }
  return {
    name: `${method} (unknown operation)`,
    error: new S3Error(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.'),
  };
}

/** `/{bucket}/{key…}` from the raw URL: keys keep `//`, `..` and trailing slashes as sent. */
function parsePath(url: string): { bucket: string; key: string; query: URLSearchParams } {
  const q = url.indexOf('?');
  const rawPath = q === -1 ? url : url.slice(0, q);
  const query = new URLSearchParams(q === -1 ? '' : url.slice(q + 1));
  const rest = rawPath.replace(/^\//, '');
  const slash = rest.indexOf('/');
  const bucket = decodeURIComponent(slash === -1 ? rest : rest.slice(0, slash));
  const key = slash === -1 ? '' : decodeURIComponent(rest.slice(slash + 1));
  return { bucket, key, query };
}

export async function handleS3(
  ctx: S3Context,
  req: IncomingMessage,
  res: ServerResponse,
  scope: SigV4Scope | null,
): Promise<void> {
  const requestId = randomBytes(8).toString('hex').toUpperCase();
  res.setHeader('x-amz-request-id', requestId);
  res.setHeader('x-amz-id-2', Buffer.from(requestId).toString('base64'));
  res.setHeader('date', new Date(ctx.clock.now()).toUTCString());
  res.setHeader('server', 'AmazonS3');
  const method = req.method ?? 'GET';
  const head = method === 'HEAD';
  try {
    let parsed: ReturnType<typeof parsePath>;
    try {
      parsed = parsePath(req.url ?? '/');
    } catch {
      throw new S3Error(400, 'InvalidURI', "Couldn't parse the specified URI.");
    }
    const call: S3Call = {
      ...parsed,
      region: scope?.region ?? 'us-east-1',
      accessKeyId: scope?.accessKeyId ?? '',
      requestId,
    };
    const operation = operationOf(method, call, req.headers['x-amz-copy-source'] !== undefined);
    const key = `S3 ${operation.name}`;
    const literal = `${method} ${(req.url ?? '/').split('?')[0]}`;
    ctx.stats.route(key);
    const decision = ctx.faults.decide(key, literal);
    if (decision?.kind === 'drop') {
      req.socket.destroy();
      return;
    }
    if (decision?.kind === 'status') throw s3FaultError(decision.fault.status);
    const delay = ctx.faults.delay(key, literal);
    // Real time on purpose: slow replies exist to exercise the SDK's (wall-clock) timeouts.
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    if (!scope) throw new S3Error(403, 'AccessDenied', 'Access Denied');
    if ('error' in operation) throw operation.error;
    if (ctx.faults.loseReply(key, literal)) loseReply(req, res);
    const cut = operation.name === 'GetObject' ? ctx.faults.cutDownload(key, literal) : null;
    if (cut) cutBodyPartWay(res, cut, () => ctx.stats.add('downloadsCut'));
    const stall = operation.name === 'GetObject' ? ctx.faults.stallDownload(key, literal) : 0;
    if (stall > 0) stallBodyPartWay(res, stall, () => ctx.stats.add('downloadsStalled'));
    await operation.handler(ctx, req, res, call);
  } catch (e) {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    // An unread body is discarded, not answered into.
    if (!req.readableEnded) req.resume();
    const error =
      e instanceof S3Error
        ? e
        : new S3Error(500, 'InternalError', `The emulator failed: ${e instanceof Error ? e.message : String(e)}`);
    sendS3Error(res, error, requestId, head, ctx.counter);
  }
}
