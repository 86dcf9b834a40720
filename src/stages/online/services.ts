/**
 * What the online stage needs from the CLI: a client per server, one `Limiter` per server and
 * model shared by every online target of the build (the server's limits are per key and model,
 * not per file), one `ServerHealth` per server of a fleet, the servers PIPELINE_ONLINE_SERVERS
 * names, the build session, and the time budget of `build --max-time`.
 */
import { randomBytes } from 'node:crypto';
import type { OnlineApi } from '../../providers/online-api.ts';
import type { Clock } from '../../util/clock.ts';
import { Limiter, type LimiterOptions } from './limiter.ts';
import { ServerHealth } from './server-health.ts';
import { Budget } from '../budget.ts';

export interface OnlineEndpoint {
  /** Undefined: the SDK's default (OPENAI_BASE_URL or OpenAI). */
  baseURL?: string | undefined;
  apiKey: string;
}

export interface OnlineServices {
  /** The server rules without their own `baseURL` use (the emulator with `--offline`). */
  readonly endpoint: OnlineEndpoint;
  /** `--offline`: every rule goes to the emulator, whatever its `baseURL`. */
  readonly offline: boolean;
  /** PIPELINE_ONLINE_SERVERS: the fleet of every online rule without its own `baseURL`. */
  readonly servers?: readonly string[] | undefined;
  /** Names this build session: requests whose retries ran out in it are sent again only by a later one. */
  readonly session: string;
  /** Clock time after which nothing new is sent (`build --max-time`). */
  readonly deadline?: number | undefined;
  /** The job's budget (`--max-cost`), shared with the batch stage. */
  readonly budget: Budget;
  api(endpoint: OnlineEndpoint): OnlineApi;
  limiter(key: string, options: LimiterOptions, clock: Clock): Limiter;
  /** A server's health, shared by the build's targets that send to it as one of a fleet (`drains`) or alone. */
  health(baseURL: string, drains: boolean, clock: Clock): ServerHealth;
}

export function createOnlineServices(
  endpoint: OnlineEndpoint,
  makeApi: (endpoint: OnlineEndpoint) => OnlineApi,
  opts: { offline: boolean; deadline?: number | undefined; budget?: Budget; servers?: readonly string[] | undefined },
): OnlineServices {
  const apis = new Map<string, OnlineApi>();
  const limiters = new Map<string, Limiter>();
  const healths = new Map<string, ServerHealth>();
  return {
    endpoint,
    offline: opts.offline,
    ...(opts.servers && !opts.offline ? { servers: opts.servers } : {}),
    session: randomBytes(6).toString('hex'),
    ...(opts.deadline !== undefined ? { deadline: opts.deadline } : {}),
    budget: opts.budget ?? new Budget(undefined),
    api(e) {
      const key = `${e.baseURL ?? ''}\u0000${e.apiKey}`;
      let api = apis.get(key);
      if (!api) apis.set(key, (api = makeApi(e)));
      return api;
    },
    // The first rule to ask sets the limits; rules that share a server and model should agree on them.
    limiter(key, options, clock) {
      let limiter = limiters.get(key);
      if (!limiter) limiters.set(key, (limiter = new Limiter(options, clock)));
      return limiter;
    },
    health(baseURL, drains, clock) {
      const key = `${baseURL}\u0000${drains}`;
      let health = healths.get(key);
      if (!health) healths.set(key, (health = new ServerHealth(clock, drains)));
      return health;
    },
  };
}

/** Loopback and private-network servers (a local vLLM, Ollama, llama.cpp) usually need no key. */
export function isLocalUrl(url: string): boolean {
  let host: string;
  try {
    host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return false;
  }
  return (
    host === 'localhost' ||
    host.endsWith('.localhost') ||
    host.endsWith('.local') ||
    host === '::1' ||
    host === '0.0.0.0' ||
    /^127\./.test(host) ||
    /^10\./.test(host) ||
    /^192\.168\./.test(host) ||
    /^172\.(1[6-9]|2\d|3[01])\./.test(host) ||
    !host.includes('.') // a bare host name on the local network (`gpu-box`)
  );
}

/** The key sent to a local server that checks none (clients need one; Ollama ignores it). */
export const NO_KEY = 'no-key';
