/**
 * Request dispatch: route table, per-route call counting, fault injection before the handler
 * runs, the error envelope, and `x-request-id` on every reply. Control routes (`/_emulator/…`)
 * bypass faults and counting.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { cancelBatch, createBatch, listBatches, retrieveBatch } from './batches-routes.ts';
import { authError } from './auth.ts';
import { azureAuthError } from './azure/auth.ts';
import { azureRouteKey } from './azure/settings.ts';
import type { EmulatorContext } from './context.ts';
import { handleControl } from './control.ts';
import { faultBody } from './faults.ts';
import { createFile, deleteFile, fileContent, listFiles, retrieveFile } from './files-routes.ts';
import { ApiError, drain, sendError } from './http.ts';
import { newRequestId } from './ids.ts';
import { serveOnline } from './online/handler.ts';

type Handler = (
  ctx: EmulatorContext,
  req: IncomingMessage,
  res: ServerResponse,
  id: string,
  query: URLSearchParams,
) => void | Promise<void>;

const ROUTES: { method: string; pattern: RegExp; key: string; handler: Handler }[] = [
  { method: 'POST', pattern: /^\/v1\/files$/, key: 'POST /v1/files', handler: (c, q, s) => createFile(c, q, s) },
  { method: 'GET', pattern: /^\/v1\/files$/, key: 'GET /v1/files', handler: (c, _q, s, _i, u) => listFiles(c, u, s) },
  {
    method: 'GET',
    pattern: /^\/v1\/files\/([^/]+)$/,
    key: 'GET /v1/files/{file_id}',
    handler: (c, _q, s, i) => retrieveFile(c, i, s),
  },
  {
    method: 'DELETE',
    pattern: /^\/v1\/files\/([^/]+)$/,
    key: 'DELETE /v1/files/{file_id}',
    handler: (c, _q, s, i) => deleteFile(c, i, s),
  },
  {
    method: 'GET',
    pattern: /^\/v1\/files\/([^/]+)\/content$/,
    key: 'GET /v1/files/{file_id}/content',
    handler: (c, _q, s, i) => fileContent(c, i, s),
  },
  { method: 'POST', pattern: /^\/v1\/batches$/, key: 'POST /v1/batches', handler: (c, q, s) => createBatch(c, q, s) },
  {
    method: 'GET',
    pattern: /^\/v1\/batches$/,
    key: 'GET /v1/batches',
    handler: (c, _q, s, _i, u) => listBatches(c, u, s),
  },
  {
    method: 'GET',
    pattern: /^\/v1\/batches\/([^/]+)$/,
    key: 'GET /v1/batches/{batch_id}',
    handler: (c, _q, s, i) => retrieveBatch(c, i, s),
  },
  {
    method: 'POST',
    pattern: /^\/v1\/batches\/([^/]+)\/cancel$/,
    key: 'POST /v1/batches/{batch_id}/cancel',
    handler: (c, _q, s, i) => cancelBatch(c, i, s),
  },
  {
    method: 'POST',
    pattern: /^\/v1\/chat\/completions$/,
    key: 'POST /v1/chat/completions',
    handler: (c, q, s) => serveOnline(c, q, s, '/v1/chat/completions'),
  },
  {
    method: 'POST',
    pattern: /^\/v1\/embeddings$/,
    key: 'POST /v1/embeddings',
    handler: (c, q, s) => serveOnline(c, q, s, '/v1/embeddings'),
  },
];

export async function handle(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  res.setHeader('x-request-id', newRequestId());
  // Node would stamp the machine's time; the emulator's own (injected, maybe skewed) time is the truth here.
  res.setHeader('date', new Date(ctx.clock.now()).toUTCString());
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const pathname = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, '') : url.pathname;
  const method = req.method ?? 'GET';
  try {
    if (pathname.startsWith('/_emulator/')) return await handleControl(ctx, req, res, method, pathname);
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
    const baseKey = route?.key ?? `${method} (unknown route)`;
    const key = ctx.azure ? azureRouteKey(baseKey) : baseKey;
    const literal = `${method} ${ctx.azure ? '/openai' : ''}${pathname}`;
    ctx.stats.route(key);
    const decision = ctx.faults.decide(key, literal);
    if (decision?.kind === 'drop') {
      req.socket.destroy();
      return;
    }
    if (decision?.kind === 'status') {
      await drain(req, ctx.counter);
      const { status, retryAfterSeconds } = decision.fault;
      const text = faultBody(status);
      const headers: Record<string, string> =
        retryAfterSeconds === undefined
          ? {}
          : {
              'retry-after': String(retryAfterSeconds),
              'retry-after-ms': String(Math.round(retryAfterSeconds * 1000)),
            };
      return sendError(res, new ApiError(status, text.message, null, text.code, text.type), ctx.counter, headers);
    }
    const delay = ctx.faults.delay(key, literal);
    // Real time on purpose: slow replies exist to exercise the SDK's (wall-clock) timeouts.
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    if (!route) {
      await drain(req, ctx.counter);
      throw new ApiError(404, `Invalid URL (${method} ${pathname})`);
    }
    const denied = ctx.azure
      ? azureAuthError(req.headers['api-key'], ctx.apiKey)
      : authError(req.headers.authorization, ctx.apiKey);
    if (denied) {
      await drain(req, ctx.counter);
      throw denied;
    }
    if (ctx.faults.loseReply(key, literal)) loseReply(req, res);
    await route.handler(ctx, req, res, id, url.searchParams);
  } catch (e) {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const error =
      e instanceof ApiError
        ? e
        : new ApiError(
            500,
            `The emulator failed: ${e instanceof Error ? e.message : String(e)}`,
            null,
            null,
            'server_error',
          );
    sendError(res, error, ctx.counter);
  }
}

/** The handler runs to the end, but what it answers goes nowhere: the socket is destroyed instead. */
export function loseReply(req: IncomingMessage, res: ServerResponse): void {
  const cut = () => {
    req.socket.destroy();
    return res;
  };
  res.writeHead = cut;
  res.write = () => true;
  res.end = cut;
}
