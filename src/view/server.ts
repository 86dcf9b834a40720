/**
 * The view's HTTP server, plain node:http on 127.0.0.1 only:
 *
 *   GET /                 the page (HTML; its CSS at /style.css, its scripts at /app.js and beside)
 *   GET /api/snapshot     the latest snapshot (JSON)
 *   GET /api/events       server-sent events: a `snapshot` event whenever it changes
 *   GET /api/rows?target=…&from=…&limit=…&q=…&problems=1   a page of a merge target's rows
 *
 * Read-only: nothing but GET and HEAD. Requests naming another host are refused, so a web page
 * elsewhere cannot read the job through DNS rebinding; files are reached only through the rows
 * service, which names them by target and keeps them inside the pipeline root.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { err, ok, type Result } from '../util/result.ts';
import type { PageAssets } from './page-assets.ts';
import type { LiveFeed } from './live-feed.ts';
import type { RowsService } from './rows.ts';

export interface ViewServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

export interface ViewServerOptions {
  port: number;
  feed: LiveFeed;
  rows: RowsService;
  assets: PageAssets;
  /** SSE keep-alive comment interval. */
  heartbeatMs?: number;
}

export type ListenError = { kind: 'port-in-use' | 'cannot-listen'; message: string };

export async function startViewServer(opts: ViewServerOptions): Promise<Result<ViewServer, ListenError>> {
  const streams = new Set<ServerResponse>();
  let port = opts.port;
  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent)
        send(res, 500, 'text/plain; charset=utf-8', `internal error: ${(error as Error).message}\n`);
      else res.end();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!allowedHost(req.headers.host, port))
      return send(res, 403, 'text/plain; charset=utf-8', 'pipeline view answers only to 127.0.0.1 and localhost\n');
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return send(res, 405, 'text/plain; charset=utf-8', 'read-only: GET only\n', { allow: 'GET, HEAD' });
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    switch (url.pathname) {
      case '/':
      case '/index.html':
        return send(res, 200, 'text/html; charset=utf-8', opts.assets.livePage);
      case '/style.css':
        return send(res, 200, 'text/css; charset=utf-8', opts.assets.style);
      case '/api/snapshot':
        return sendJson(res, 200, opts.feed.latest ?? null);
      case '/api/events':
        return events(req, res);
      case '/api/rows':
        return rows(url, res);
      default: {
        // The scripts by their exact names only: a lookup in a fixed list, never a path on disk.
        const script = opts.assets.scripts.get(url.pathname.slice(1));
        if (script !== undefined) return send(res, 200, 'text/javascript; charset=utf-8', script);
        return send(res, 404, 'text/plain; charset=utf-8', `not found: ${url.pathname}\n`);
      }
    }
  }

  function events(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
    });
    const push = (snapshot: unknown) => res.write(`event: snapshot\ndata: ${JSON.stringify(snapshot)}\n\n`);
    if (opts.feed.latest) push(opts.feed.latest);
    const unsubscribe = opts.feed.subscribe(push);
    const heartbeat = setInterval(() => res.write(': still here\n\n'), opts.heartbeatMs ?? 15_000);
    streams.add(res);
    req.on('close', () => {
      clearInterval(heartbeat);
      unsubscribe();
      streams.delete(res);
    });
  }

  async function rows(url: URL, res: ServerResponse): Promise<void> {
    const target = url.searchParams.get('target');
    if (!target) return sendJson(res, 400, { error: 'target is required' });
    const from = wholeNumber(url.searchParams.get('from'), 0);
    const limit = wholeNumber(url.searchParams.get('limit'), 50);
    if (from === undefined || limit === undefined)
      return sendJson(res, 400, { error: 'from and limit are whole numbers' });
    const search = url.searchParams.get('q') ?? undefined;
    const page = await opts.rows.page({
      target,
      from,
      limit,
      ...(search ? { search } : {}),
      problems: url.searchParams.get('problems') === '1',
    });
    if (!page.ok) return sendJson(res, page.error.status, { error: page.error.message });
    return sendJson(res, 200, page.value);
  }

  const listening = await new Promise<Result<void, ListenError>>((resolve) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      resolve(
        err(
          error.code === 'EADDRINUSE'
            ? { kind: 'port-in-use', message: `port ${opts.port} is already in use` }
            : { kind: 'cannot-listen', message: error.message },
        ),
      ),
    );
    server.listen(opts.port, '127.0.0.1', () => resolve(ok(undefined)));
  });
  if (!listening.ok) return listening;
  port = (server.address() as AddressInfo).port;
  return ok({
    url: `http://127.0.0.1:${port}/`,
    port,
    async close() {
      for (const res of streams) res.end();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  });
}

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
};

function send(
  res: ServerResponse,
  status: number,
  type: string,
  body: string,
  extra: Record<string, string> = {},
): void {
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'content-type': type,
    'cache-control': 'no-store',
    'content-length': Buffer.byteLength(body),
    ...extra,
  });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(value));
}

function allowedHost(host: string | undefined, port: number): boolean {
  return host === `127.0.0.1:${port}` || host === `localhost:${port}`;
}

function wholeNumber(raw: string | null, fallback: number): number | undefined {
  if (raw === null || raw === '') return fallback;
  return /^\d{1,12}$/.test(raw) ? Number(raw) : undefined;
}
