/**
 * Dispatch for the Message Batches routes, on the same server as the OpenAI ones: route table,
 * per-route call counting, the shared fault knobs (answered in Anthropic's envelope: 429
 * `rate_limit_error`, 500 `api_error`, 529 `overloaded_error`), header checks, and a `request-id`
 * header on every answer.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { drain } from '../http.ts';
import { loseReply } from '../router.ts';
import { checkHeaders } from './auth.ts';
import type { AnthropicContext } from './context.ts';
import { AnthropicApiError, faultError, sendAnthropicError } from './errors.ts';
import { newAnthropicRequestId } from './ids.ts';
import {
  cancelMessageBatch,
  createMessageBatch,
  deleteMessageBatch,
  listMessageBatches,
  messageBatchResults,
  retrieveMessageBatch,
  type CallInfo,
} from './routes.ts';

type Handler = (
  ctx: AnthropicContext,
  req: IncomingMessage,
  res: ServerResponse,
  id: string,
  query: URLSearchParams,
  call: CallInfo,
) => Promise<void>;

const BATCH = '/v1/messages/batches/{message_batch_id}';

const ROUTES: { method: string; pattern: RegExp; key: string; handler: Handler }[] = [
  {
    method: 'POST',
    pattern: /^\/v1\/messages\/batches$/,
    key: 'POST /v1/messages/batches',
    handler: (c, q, s, _i, _u, call) => createMessageBatch(c, q, s, call),
  },
  {
    method: 'GET',
    pattern: /^\/v1\/messages\/batches$/,
    key: 'GET /v1/messages/batches',
    handler: (c, _q, s, _i, u, call) => listMessageBatches(c, u, s, call),
  },
  {
    method: 'GET',
    pattern: /^\/v1\/messages\/batches\/([^/]+)$/,
    key: `GET ${BATCH}`,
    handler: (c, _q, s, i, _u, call) => retrieveMessageBatch(c, i, s, call),
  },
  {
    method: 'DELETE',
    pattern: /^\/v1\/messages\/batches\/([^/]+)$/,
    key: `DELETE ${BATCH}`,
    handler: (c, _q, s, i) => deleteMessageBatch(c, i, s),
  },
  {
    method: 'POST',
    pattern: /^\/v1\/messages\/batches\/([^/]+)\/cancel$/,
    key: `POST ${BATCH}/cancel`,
    handler: (c, _q, s, i, _u, call) => cancelMessageBatch(c, i, s, call),
  },
  {
    method: 'GET',
    pattern: /^\/v1\/messages\/batches\/([^/]+)\/results$/,
    key: `GET ${BATCH}/results`,
    handler: (c, _q, s, i) => messageBatchResults(c, i, s),
  },
];

/** Whether a path belongs to this flavour. */
export const isMessageBatchesPath = (pathname: string): boolean => /^\/v1\/messages\/batches(\/|$)/.test(pathname);

export async function handleMessageBatches(
  ctx: AnthropicContext,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  res.setHeader('request-id', newAnthropicRequestId());
  res.setHeader('date', new Date(ctx.clock.now()).toUTCString());
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const pathname = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, '') : url.pathname;
  const method = req.method ?? 'GET';
  try {
    let route: (typeof ROUTES)[number] | undefined;
    let id = '';
    for (const r of ROUTES) {
      const m = r.method === method ? r.pattern.exec(pathname) : null;
      if (m) {
        route = r;
        id = decodeURIComponent(m[1] ?? '');
        break;
      }
    }
    const key = route?.key ?? `${method} (unknown route)`;
    ctx.stats.route(key);
    const decision = ctx.faults.decide(key, `${method} ${pathname}`);
    if (decision?.kind === 'drop') {
      req.socket.destroy();
      return;
    }
    if (decision?.kind === 'status') {
      await drain(req, ctx.counter);
      const seconds = decision.fault.retryAfterSeconds;
      const headers: Record<string, string> =
        seconds === undefined
          ? {}
          : { 'retry-after': String(seconds), 'retry-after-ms': String(Math.round(seconds * 1000)) };
      return sendAnthropicError(res, faultError(decision.fault.status), ctx.counter, headers);
    }
    const delay = ctx.faults.delay(key, `${method} ${pathname}`);
    // Real time on purpose: slow replies exist to exercise the SDK's (wall-clock) timeouts.
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    if (!route) {
      await drain(req, ctx.counter);
      throw new AnthropicApiError('not_found_error', 'Not Found');
    }
    let version: string;
    try {
      version = checkHeaders(req.headers, ctx.apiKey);
    } catch (e) {
      await drain(req, ctx.counter);
      throw e;
    }
    if (ctx.faults.loseReply(key, `${method} ${pathname}`)) loseReply(req, res);
    await route.handler(ctx, req, res, id, url.searchParams, { origin: `http://${req.headers.host}`, version });
  } catch (e) {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const error =
      e instanceof AnthropicApiError
        ? e
        : new AnthropicApiError('api_error', `The emulator failed: ${e instanceof Error ? e.message : String(e)}`);
    sendAnthropicError(res, error, ctx.counter);
  }
}
