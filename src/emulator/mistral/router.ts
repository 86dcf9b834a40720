/**
 * Mistral's batch and files routes on the shared router (../router.ts), under the prefix
 * `/mistral` (its `/v1/files` would collide with OpenAI's on the same origin; the SDK keeps the
 * path of its `serverURL`, so `serverURL: http://127.0.0.1:PORT/mistral` reaches them). Bearer
 * auth (401 `{"detail":"Unauthorized"}`), Mistral's error bodies.
 */
import { bearerToken } from '../http.ts';
import type { Flavour } from '../router.ts';
import type { MistralContext } from './context.ts';
import { faultError, MistralApiError, MistralUnauthorized } from './errors.ts';
import { deleteFile, fileContent, listFiles, retrieveFile, uploadFile } from './files-routes.ts';
import { cancelJob, createJob, deleteJob, getJob, listJobs } from './jobs-routes.ts';

export const MISTRAL_PREFIX = '/mistral';

const FILE = '/mistral/v1/files/{file_id}';
const JOB = '/mistral/v1/batch/jobs/{job_id}';

export const mistralFlavour: Flavour<MistralContext, void> = {
  name: 'mistral',
  owns: (pathname) => pathname === MISTRAL_PREFIX || pathname.startsWith(`${MISTRAL_PREFIX}/`),
  routes: [
    { method: 'POST', pattern: /^\/mistral\/v1\/files$/, key: 'POST /mistral/v1/files', handler: uploadFile },
    { method: 'GET', pattern: /^\/mistral\/v1\/files$/, key: 'GET /mistral/v1/files', handler: listFiles },
    { method: 'GET', pattern: /^\/mistral\/v1\/files\/([^/]+)$/, key: `GET ${FILE}`, handler: retrieveFile },
    { method: 'DELETE', pattern: /^\/mistral\/v1\/files\/([^/]+)$/, key: `DELETE ${FILE}`, handler: deleteFile },
    {
      method: 'GET',
      pattern: /^\/mistral\/v1\/files\/([^/]+)\/content$/,
      key: `GET ${FILE}/content`,
      handler: fileContent,
      servesFile: true,
    },
    { method: 'POST', pattern: /^\/mistral\/v1\/batch\/jobs$/, key: 'POST /mistral/v1/batch/jobs', handler: createJob },
    { method: 'GET', pattern: /^\/mistral\/v1\/batch\/jobs$/, key: 'GET /mistral/v1/batch/jobs', handler: listJobs },
    { method: 'GET', pattern: /^\/mistral\/v1\/batch\/jobs\/([^/]+)$/, key: `GET ${JOB}`, handler: getJob },
    { method: 'DELETE', pattern: /^\/mistral\/v1\/batch\/jobs\/([^/]+)$/, key: `DELETE ${JOB}`, handler: deleteJob },
    {
      method: 'POST',
      pattern: /^\/mistral\/v1\/batch\/jobs\/([^/]+)\/cancel$/,
      key: `POST ${JOB}/cancel`,
      handler: cancelJob,
    },
  ],
  stamp: () => undefined,
  authenticate(ctx, req) {
    const key = bearerToken(req.headers.authorization);
    if (!key || (ctx.apiKey !== undefined && key !== ctx.apiKey)) throw new MistralUnauthorized();
  },
  faultError,
  notFound: () => new MistralApiError(404, 'Not Found', 'not_found'),
  internalError: (message) => new MistralApiError(500, message, 'internal_server_error'),
};
