/**
 * The servers an online rule sends to, each with its limits: with `--offline`, the built-in
 * emulator; else PIPELINE_ONLINE_SERVERS (for a rule without its own `baseURL`), the rule's
 * `servers`, its `baseURL`, or the default server (OPENAI_BASE_URL, else OpenAI). A server listed
 * in the rule and in the variable keeps the rule's limits for it; any other gets the rule's.
 * A remote server needs the key; a local one (vLLM, Ollama on this machine or network) does not.
 */
import type { StageFailure } from '../types.ts';
import type { OnlineStageConfig } from './config.ts';
import type { LimiterOptions } from './limiter.ts';
import { isLocalUrl, NO_KEY, type OnlineEndpoint, type OnlineServices } from './services.ts';
import { DEFAULT_PROVIDER, providerSpec } from '../../providers/registry.ts';

/** The variables that say where online requests go (the default provider's). */
export const ONLINE_ENV = providerSpec(DEFAULT_PROVIDER).env;
const DEFAULT_URL = 'https://api.openai.com/v1';

export interface ServerPlan {
  endpoint: OnlineEndpoint;
  /** Its base URL, as journaled and shown. */
  label: string;
  limits: LimiterOptions;
}

export function fleetFor(
  svc: OnlineServices,
  config: OnlineStageConfig,
): { ok: true; value: ServerPlan[] } | { ok: false; failure: StageFailure } {
  const ruleLimits: LimiterOptions = {
    maxConcurrency: config.maxConcurrency,
    requestsPerMinute: config.requestsPerMinute,
    tokensPerMinute: config.tokensPerMinute,
  };
  if (svc.offline || (!config.baseURL && !config.servers && !svc.servers)) {
    const url = svc.endpoint.baseURL ?? DEFAULT_URL;
    if (svc.endpoint.apiKey === NO_KEY && !isLocalUrl(url)) return { ok: false, failure: missingKey(url) };
    return { ok: true, value: [{ endpoint: svc.endpoint, label: url, limits: ruleLimits }] };
  }
  const listed =
    config.baseURL !== undefined
      ? [{ baseURL: config.baseURL }]
      : (svc.servers?.map((url) => config.servers?.find((s) => s.baseURL === url) ?? { baseURL: url }) ??
        config.servers ??
        []);
  const plans: ServerPlan[] = [];
  for (const server of listed) {
    if (svc.endpoint.apiKey === NO_KEY && !isLocalUrl(server.baseURL))
      return { ok: false, failure: missingKey(server.baseURL) };
    plans.push({
      endpoint: { baseURL: server.baseURL, apiKey: svc.endpoint.apiKey },
      label: server.baseURL,
      limits: {
        maxConcurrency: ('maxConcurrency' in server ? server.maxConcurrency : undefined) ?? config.maxConcurrency,
        requestsPerMinute:
          ('requestsPerMinute' in server ? server.requestsPerMinute : undefined) ?? config.requestsPerMinute,
        tokensPerMinute: ('tokensPerMinute' in server ? server.tokensPerMinute : undefined) ?? config.tokensPerMinute,
      },
    });
  }
  return { ok: true, value: plans };
}

function missingKey(url: string): StageFailure {
  return {
    reason: 'missing-credentials',
    message: `${ONLINE_ENV.key} environment variable is not set (needed for ${url}); a local server (localhost, 127.0.0.1, a private address) needs none`,
  };
}
