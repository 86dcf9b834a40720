/**
 * Request dispatch within a flavour: its route table, per-route call counting, the shared fault
 * knobs applied before the handler runs (HTTP faults answered in the flavour's envelope, dropped
 * sockets, slow replies, replies lost after the work is done, downloads cut part-way), the flavour's auth check, and its
 * error envelope for everything a handler throws. Each flavour gives only what differs (`Flavour`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CoreContext } from './context.ts';
import { cutBodyPartWay } from './cut-body.ts';
import { stallBodyPartWay } from './stall-body.ts';
import type { FlavourName } from './flavours.ts';
import { drain, HttpError, retryHeaders, sendError } from './http.ts';

/** What a handler gets: its context, the call, the path's id, the query and what auth found. */
export interface Call<C, A> {
  ctx: C;
  req: IncomingMessage;
  res: ServerResponse;
  /** The path's first `(…)` group, URI-decoded ('' when the route has none). */
  id: string;
  query: URLSearchParams;
  /** `http://host:port` as the client called it (for URLs the answer points back at). */
  origin: string;
  auth: A;
}

export interface Route<C, A> {
  method: string;
  pattern: RegExp;
  /** The route as stats count it and fault rules name it: 'POST /v1/batches/{batch_id}/cancel'. */
  key: string;
  /** It answers with a file's content (a result file): the `cutDownloads` fault applies. */
  servesFile?: true;
  /** A further condition (two routes that differ only in their headers or query). */
  when?: (req: IncomingMessage, query: URLSearchParams) => boolean;
  handler: (call: Call<C, A>) => unknown;
}

export interface Flavour<C, A> {
  name: Exclude<FlavourName, 'aws'>;
  /** Whether a path is this flavour's (dispatch asks each in turn; the OpenAI flavour owns every path). */
  owns(pathname: string): boolean;
  routes: readonly Route<C, A>[];
  /** Sets the headers every answer of this flavour carries (its request id). */
  stamp(res: ServerResponse): void;
  /** The key a call is counted under (default: the route's key). */
  countedAs?(key: string): string;
  /** The path as fault rules may name it literally (default: as received). */
  literalPath?(pathname: string): string;
  /** Checks the call's credentials and headers: throws the refusal, or returns what handlers need. */
  authenticate(ctx: C, req: IncomingMessage, query: URLSearchParams): A;
  /** The answer to an injected HTTP fault of this status. */
  faultError(status: number): HttpError;
  notFound(method: string, pathname: string): HttpError;
  /** The answer when a handler fails unexpectedly (a bug, or the disk). */
  internalError(message: string): HttpError;
}

function match<C, A>(
  routes: readonly Route<C, A>[],
  method: string,
  pathname: string,
  req: IncomingMessage,
  query: URLSearchParams,
) {
  for (const route of routes) {
    const m = route.method === method ? route.pattern.exec(pathname) : null;
    if (m && (!route.when || route.when(req, query))) return { route, id: decodeURIComponent(m[1] ?? '') };
  }
  return { route: undefined, id: '' };
}

export async function serve<C extends CoreContext, A>(
  flavour: Flavour<C, A>,
  ctx: C,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  flavour.stamp(res);
  // Node would stamp the machine's time; the emulator's own (injected, maybe skewed) time is the truth here.
  res.setHeader('date', new Date(ctx.clock.now()).toUTCString());
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const pathname = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, '') : url.pathname;
  const method = req.method ?? 'GET';
  try {
    const { route, id } = match(flavour.routes, method, pathname, req, url.searchParams);
    const routeKey = route?.key ?? `${method} (unknown route)`;
    const key = flavour.countedAs?.(routeKey) ?? routeKey;
    const literal = `${method} ${flavour.literalPath?.(pathname) ?? pathname}`;
    ctx.stats.route(key);
    const faulted = await applyFaults(ctx, req, key, literal, (status, retryAfterSeconds) =>
      sendError(res, flavour.faultError(status), ctx.counter, retryHeaders(retryAfterSeconds)),
    );
    if (faulted) return;
    if (!route) {
      await drain(req, ctx.counter);
      throw flavour.notFound(method, pathname);
    }
    let auth: A;
    try {
      auth = flavour.authenticate(ctx, req, url.searchParams);
    } catch (e) {
      await drain(req, ctx.counter);
      throw e;
    }
    if (ctx.faults.loseReply(key, literal)) loseReply(req, res);
    const cut = route.servesFile ? ctx.faults.cutDownload(key, literal) : null;
    if (cut) cutBodyPartWay(res, cut, () => ctx.stats.add('downloadsCut'));
    const stall = route.servesFile ? ctx.faults.stallDownload(key, literal) : 0;
    if (stall > 0) stallBodyPartWay(res, stall, () => ctx.stats.add('downloadsStalled'));
    await route.handler({ ctx, req, res, id, query: url.searchParams, origin: `http://${req.headers.host}`, auth });
  } catch (e) {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const error =
      e instanceof HttpError
        ? e
        : flavour.internalError(`The emulator failed: ${e instanceof Error ? e.message : String(e)}`);
    sendError(res, error, ctx.counter);
  }
}

/**
 * The configured faults of a call, before its handler: a dropped connection, an error status (sent
 * by `sendStatus`, in the flavour's own error shape), or a delay. True when the call was answered
 * (or dropped) here and its handler must not run.
 */
export async function applyFaults(
  ctx: CoreContext,
  req: IncomingMessage,
  key: string,
  literal: string,
  sendStatus: (status: number, retryAfterSeconds: number | undefined) => void,
): Promise<boolean> {
  const decision = ctx.faults.decide(key, literal);
  if (decision?.kind === 'drop') {
    req.socket.destroy();
    return true;
  }
  if (decision?.kind === 'status') {
    await drain(req, ctx.counter);
    sendStatus(decision.fault.status, decision.fault.retryAfterSeconds);
    return true;
  }
  const delay = ctx.faults.delay(key, literal);
  // Real time on purpose: slow replies exist to exercise the SDK's (wall-clock) timeouts.
  if (delay > 0) await new Promise((r) => setTimeout(r, delay));
  return false;
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
