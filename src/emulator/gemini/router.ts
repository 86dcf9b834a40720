/**
 * The Gemini API's routes on the shared router (../router.ts), at the server's origin as
 * @google/genai calls them (`httpOptions.baseUrl` = the origin): `/v1beta/…`, the upload prefix
 * `/upload/v1beta/files` and the download prefix `/download/v1beta/`. Google's error envelope,
 * the `x-goog-api-key` check; the upload URL a session answers is its own credential.
 */
import type { Flavour } from '../router.ts';
import { checkKey } from './auth.ts';
import { cancelBatch, createBatch, deleteBatch, getBatch, listBatches } from './batches-routes.ts';
import type { GeminiContext } from './context.ts';
import { faultError, GoogleApiError } from './errors.ts';
import { deleteFile, downloadFile, getFile, listFiles, startUpload, uploadChunk } from './files-routes.ts';

const isChunk = (_req: unknown, query: URLSearchParams) => query.has('upload_id');

export const geminiFlavour: Flavour<GeminiContext, void> = {
  name: 'gemini',
  owns: (pathname) => /^\/(upload\/|download\/)?v1beta(\/|$)/.test(pathname),
  routes: [
    {
      method: 'POST',
      pattern: /^\/v1beta\/models\/([^/:]+):batchGenerateContent$/,
      key: 'POST /v1beta/models/{model}:batchGenerateContent',
      handler: createBatch,
    },
    { method: 'GET', pattern: /^\/v1beta\/batches$/, key: 'GET /v1beta/batches', handler: listBatches },
    { method: 'GET', pattern: /^\/v1beta\/batches\/([^/:]+)$/, key: 'GET /v1beta/batches/{batch}', handler: getBatch },
    {
      method: 'DELETE',
      pattern: /^\/v1beta\/batches\/([^/:]+)$/,
      key: 'DELETE /v1beta/batches/{batch}',
      handler: deleteBatch,
    },
    {
      method: 'POST',
      pattern: /^\/v1beta\/batches\/([^/:]+):cancel$/,
      key: 'POST /v1beta/batches/{batch}:cancel',
      handler: cancelBatch,
    },
    {
      method: 'POST',
      pattern: /^\/upload\/v1beta\/files$/,
      key: 'POST /upload/v1beta/files?upload_id={upload_id}',
      when: isChunk,
      handler: uploadChunk,
    },
    { method: 'POST', pattern: /^\/upload\/v1beta\/files$/, key: 'POST /upload/v1beta/files', handler: startUpload },
    { method: 'GET', pattern: /^\/v1beta\/files$/, key: 'GET /v1beta/files', handler: listFiles },
    { method: 'GET', pattern: /^\/v1beta\/files\/([^/:]+)$/, key: 'GET /v1beta/files/{file}', handler: getFile },
    {
      method: 'DELETE',
      pattern: /^\/v1beta\/files\/([^/:]+)$/,
      key: 'DELETE /v1beta/files/{file}',
      handler: deleteFile,
    },
    {
      method: 'GET',
      pattern: /^\/v1beta\/files\/([^/:]+):download$/,
      key: 'GET /v1beta/files/{file}:download',
      handler: downloadFile,
      servesFile: true,
    },
    {
      method: 'GET',
      pattern: /^\/download\/v1beta\/files\/([^/:]+):download$/,
      key: 'GET /download/v1beta/files/{file}:download',
      handler: downloadFile,
      servesFile: true,
    },
  ],
  // Google's answers carry no request id the clients read.
  stamp: () => undefined,
  authenticate(ctx, req, query) {
    if (!query.has('upload_id')) checkKey(req, query, ctx.apiKey);
  },
  faultError,
  notFound: (method, pathname) =>
    new GoogleApiError('NOT_FOUND', `The requested URL ${pathname} was not found on this server (${method}).`),
  internalError: (message) => new GoogleApiError('INTERNAL', message),
};
