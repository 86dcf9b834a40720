/**
 * The OpenAI flavour's routes (Files, Batches, and the online chat completions, Responses and embeddings)
 * and what it answers with: OpenAI's error envelope, `x-request-id`, Bearer auth. The Azure
 * flavour serves the same routes under `/openai/v1/` with its `api-key` header and its calls
 * counted apart (see ../router.ts for what every flavour shares).
 */
import { azureAuthError } from '../azure/auth.ts';
import { azureRouteKey, isAzurePath } from '../azure/settings.ts';
import { serveOnline } from '../online/handler.ts';
import type { Flavour, Route } from '../router.ts';
import { authError } from './auth.ts';
import { cancelBatch, createBatch, listBatches, retrieveBatch } from './batches-routes.ts';
import type { EmulatorContext } from './context.ts';
import { ApiError, faultError } from './errors.ts';
import { createFile, deleteFile, fileContent, listFiles, retrieveFile } from './files-routes.ts';
import { newRequestId } from './ids.ts';

type OpenAiRoute = Route<EmulatorContext, void>;

const FILE = '/v1/files/{file_id}';
const BATCH = '/v1/batches/{batch_id}';

const ROUTES: readonly OpenAiRoute[] = [
  { method: 'POST', pattern: /^\/v1\/files$/, key: 'POST /v1/files', handler: (c) => createFile(c.ctx, c.req, c.res) },
  { method: 'GET', pattern: /^\/v1\/files$/, key: 'GET /v1/files', handler: (c) => listFiles(c.ctx, c.query, c.res) },
  {
    method: 'GET',
    pattern: /^\/v1\/files\/([^/]+)$/,
    key: `GET ${FILE}`,
    handler: (c) => retrieveFile(c.ctx, c.id, c.res),
  },
  {
    method: 'DELETE',
    pattern: /^\/v1\/files\/([^/]+)$/,
    key: `DELETE ${FILE}`,
    handler: (c) => deleteFile(c.ctx, c.id, c.res),
  },
  {
    method: 'GET',
    pattern: /^\/v1\/files\/([^/]+)\/content$/,
    key: `GET ${FILE}/content`,
    handler: (c) => fileContent(c.ctx, c.id, c.res),
    servesFile: true,
  },
  {
    method: 'POST',
    pattern: /^\/v1\/batches$/,
    key: 'POST /v1/batches',
    handler: (c) => createBatch(c.ctx, c.req, c.res),
  },
  {
    method: 'GET',
    pattern: /^\/v1\/batches$/,
    key: 'GET /v1/batches',
    handler: (c) => listBatches(c.ctx, c.query, c.res),
  },
  {
    method: 'GET',
    pattern: /^\/v1\/batches\/([^/]+)$/,
    key: `GET ${BATCH}`,
    handler: (c) => retrieveBatch(c.ctx, c.id, c.res),
  },
  {
    method: 'POST',
    pattern: /^\/v1\/batches\/([^/]+)\/cancel$/,
    key: `POST ${BATCH}/cancel`,
    handler: (c) => cancelBatch(c.ctx, c.id, c.res),
  },
  ...(['/v1/chat/completions', '/v1/responses', '/v1/embeddings'] as const).map((path): OpenAiRoute => ({
    method: 'POST',
    pattern: new RegExp(`^${path.replaceAll('/', '\\/')}$`),
    key: `POST ${path}`,
    handler: (c) => serveOnline(c.ctx, c.req, c.res, path),
  })),
];

const answers = {
  routes: ROUTES,
  stamp: (res) => res.setHeader('x-request-id', newRequestId()),
  faultError,
  notFound: (method, pathname) => new ApiError(404, `Invalid URL (${method} ${pathname})`),
  internalError: (message) => new ApiError(500, message, null, null, 'server_error'),
} satisfies Omit<Flavour<EmulatorContext, void>, 'authenticate' | 'name' | 'owns'>;

export const openaiFlavour: Flavour<EmulatorContext, void> = {
  ...answers,
  name: 'openai',
  owns: () => true,
  authenticate(ctx, req) {
    const denied = authError(req.headers.authorization, ctx.apiKey);
    if (denied) throw denied;
  },
};

/** Reached with the `/openai` prefix taken off the path (dispatch.ts); counted and matched with it. */
export const azureFlavour: Flavour<EmulatorContext, void> = {
  ...answers,
  name: 'azure',
  owns: isAzurePath,
  countedAs: azureRouteKey,
  literalPath: (pathname) => `/openai${pathname}`,
  authenticate(ctx, req) {
    const denied = azureAuthError(req.headers['api-key'], ctx.apiKey);
    if (denied) throw denied;
  },
};
