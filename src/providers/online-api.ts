/**
 * A provider's online transport: one request sent, what came back said as data. The online runner
 * (src/stages/online) decides what is retried, when and how often; a transport never retries.
 */

export type HeaderReader = (name: string) => string | null | undefined;

export type OnlineAnswer =
  /** The server answered (any status): its body (an error envelope for non-2xx) and headers. */
  | { kind: 'response'; status: number; body: Record<string, unknown>; requestId?: string; header: HeaderReader }
  /** No answer: the request timed out or the connection failed (it may or may not have run). */
  | { kind: 'no-response'; code: 'request_timeout' | 'connection_error'; message: string };

export interface OnlineApi {
  /** `signal`: the request is given up (its server was drained); it comes back as `no-response`. */
  send(
    endpoint: string,
    body: Record<string, unknown>,
    opts: { timeoutMs: number; signal?: AbortSignal | undefined },
  ): Promise<OnlineAnswer>;
  /** Whether the server answers at all now (a cheap call that costs nothing), for a fleet's drained servers. */
  probe?(opts: { timeoutMs: number; signal: AbortSignal }): Promise<boolean>;
}

/** An online transport that loads its SDK on the first request (a build with nothing to send loads none). */
export function lazyOnlineApi(load: () => Promise<OnlineApi>): OnlineApi {
  let loading: Promise<OnlineApi> | undefined;
  return {
    send: async (endpoint, body, opts) => (await (loading ??= load())).send(endpoint, body, opts),
    probe: async (opts) => {
      const api = await (loading ??= load());
      return api.probe ? api.probe(opts) : true;
    },
  };
}
