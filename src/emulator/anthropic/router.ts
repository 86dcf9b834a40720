/**
 * The Message Batches routes on the shared router (../router.ts), with what Anthropic answers
 * differently: its error envelope (injected faults as 429 `rate_limit_error`, 500 `api_error`,
 * 529 `overloaded_error`), its header checks, and a `request-id` header on every answer.
 */
import type { Flavour } from '../router.ts';
import { checkHeaders } from './auth.ts';
import type { AnthropicContext } from './context.ts';
import { AnthropicApiError, faultError } from './errors.ts';
import { newAnthropicRequestId } from './ids.ts';
import {
  cancelMessageBatch,
  createMessageBatch,
  deleteMessageBatch,
  listMessageBatches,
  messageBatchResults,
  retrieveMessageBatch,
} from './routes.ts';

const BATCH = '/v1/messages/batches/{message_batch_id}';

export const anthropicFlavour: Flavour<AnthropicContext, string> = {
  name: 'anthropic',
  owns: (pathname) => /^\/v1\/messages\/batches(\/|$)/.test(pathname),
  routes: [
    {
      method: 'POST',
      pattern: /^\/v1\/messages\/batches$/,
      key: 'POST /v1/messages/batches',
      handler: createMessageBatch,
    },
    {
      method: 'GET',
      pattern: /^\/v1\/messages\/batches$/,
      key: 'GET /v1/messages/batches',
      handler: listMessageBatches,
    },
    {
      method: 'GET',
      pattern: /^\/v1\/messages\/batches\/([^/]+)$/,
      key: `GET ${BATCH}`,
      handler: retrieveMessageBatch,
    },
    {
      method: 'DELETE',
      pattern: /^\/v1\/messages\/batches\/([^/]+)$/,
      key: `DELETE ${BATCH}`,
      handler: deleteMessageBatch,
    },
    {
      method: 'POST',
      pattern: /^\/v1\/messages\/batches\/([^/]+)\/cancel$/,
      key: `POST ${BATCH}/cancel`,
      handler: cancelMessageBatch,
    },
    {
      method: 'GET',
      pattern: /^\/v1\/messages\/batches\/([^/]+)\/results$/,
      key: `GET ${BATCH}/results`,
      handler: messageBatchResults,
      servesFile: true,
    },
  ],
  stamp: (res) => res.setHeader('request-id', newAnthropicRequestId()),
  authenticate: (ctx, req) => checkHeaders(req.headers, ctx.apiKey),
  faultError,
  notFound: () => new AnthropicApiError('not_found_error', 'Not Found'),
  internalError: (message) => new AnthropicApiError('api_error', message),
};
