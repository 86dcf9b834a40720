/**
 * S3's error answers: status, `<Error><Code>…` XML (the SDK names the thrown exception after the
 * code), `x-amz-request-id`. HEAD answers carry no body, so the SDK sees only the status there
 * (404 → `NotFound`), as with the real service.
 */
import type { ServerResponse } from 'node:http';
import type { ByteCounter } from '../http.ts';
import { element, type XmlNode } from './xml.ts';

export class S3Error extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Extra elements S3 adds for this code (`<Key>`, `<BucketName>`, `<UploadId>`…). */
    readonly details: XmlNode[] = [],
  ) {
    super(message);
  }
}

export const noSuchBucket = (bucket: string): S3Error =>
  new S3Error(404, 'NoSuchBucket', 'The specified bucket does not exist', [['BucketName', bucket]]);

export const noSuchKey = (key: string): S3Error =>
  new S3Error(404, 'NoSuchKey', 'The specified key does not exist.', [['Key', key]]);

export const noSuchUpload = (uploadId: string): S3Error =>
  new S3Error(
    404,
    'NoSuchUpload',
    'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.',
    [['UploadId', uploadId]],
  );

export const notImplemented = (what: string): S3Error =>
  new S3Error(
    501,
    'NotImplemented',
    `A header or query you provided implies functionality that is not implemented (the emulator serves a subset of S3: ${what}).`,
  );

export const malformedXml = (): S3Error =>
  new S3Error(
    400,
    'MalformedXML',
    'The XML you provided was not well-formed or did not validate against our published schema',
  );

/** What an injected HTTP fault answers on S3 (it has no 429: throttling is 503 SlowDown). */
export function s3FaultError(status: number): S3Error {
  if (status === 429 || status === 503 || status === 529)
    return new S3Error(503, 'SlowDown', 'Please reduce your request rate.');
  return new S3Error(status, 'InternalError', 'We encountered an internal error. Please try again.');
}

export function sendS3Error(
  res: ServerResponse,
  e: S3Error,
  requestId: string,
  head: boolean,
  counter: ByteCounter,
  headers: Record<string, string> = {},
): void {
  if (head) {
    res.writeHead(e.status, { 'x-amz-error-code': e.code, ...headers });
    res.end();
    return;
  }
  const body =
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    element([
      'Error',
      [['Code', e.code], ['Message', e.message], ...e.details, ['RequestId', requestId], ['HostId', requestId]],
    ]);
  const bytes = Buffer.byteLength(body);
  counter.addOut(bytes);
  res.writeHead(e.status, { 'content-type': 'application/xml', 'content-length': String(bytes), ...headers });
  res.end(body);
}
