/**
 * What a server's answer says about its limits: OpenAI-style `x-ratelimit-*` headers (vLLM behind
 * a gateway, OpenAI, Groq… send them; Ollama and llama.cpp do not) and how long to back off
 * (`retry-after-ms`, `retry-after` in seconds or as an HTTP date).
 */
export interface RateLimitInfo {
  limitRequests?: number;
  limitTokens?: number;
  remainingRequests?: number;
  remainingTokens?: number;
  /** Until the request / token budget is full again, in ms. */
  resetRequestsMs?: number;
  resetTokensMs?: number;
}

export type HeaderReader = (name: string) => string | null | undefined;

export function readRateLimits(header: HeaderReader): RateLimitInfo {
  const info: RateLimitInfo = {};
  const num = (name: string) => {
    const raw = header(name);
    const v = raw === null || raw === undefined || raw.trim() === '' ? NaN : Number(raw);
    return Number.isFinite(v) && v >= 0 ? v : undefined;
  };
  const set = <K extends keyof RateLimitInfo>(key: K, value: number | undefined) => {
    if (value !== undefined) info[key] = value;
  };
  set('limitRequests', num('x-ratelimit-limit-requests'));
  set('limitTokens', num('x-ratelimit-limit-tokens'));
  set('remainingRequests', num('x-ratelimit-remaining-requests'));
  set('remainingTokens', num('x-ratelimit-remaining-tokens'));
  set('resetRequestsMs', parseDuration(header('x-ratelimit-reset-requests')));
  set('resetTokensMs', parseDuration(header('x-ratelimit-reset-tokens')));
  return info;
}

/** How long the server asks us to wait, in ms; undefined when it does not say. */
export function retryAfterMs(header: HeaderReader, now: number): number | undefined {
  const ms = Number(header('retry-after-ms'));
  if (header('retry-after-ms') && Number.isFinite(ms) && ms >= 0) return ms;
  const raw = header('retry-after');
  if (!raw) return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(raw);
  return Number.isFinite(date) ? Math.max(0, date - now) : undefined;
}

/** OpenAI's reset durations: `1s`, `6m0s`, `20ms`, `1h2m3.5s`; a bare number is seconds. */
export function parseDuration(raw: string | null | undefined): number | undefined {
  if (!raw) return undefined;
  const text = raw.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  const units: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };
  let total = 0;
  let matched = '';
  for (const m of text.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)) {
    total += Number(m[1]) * units[m[2]!]!;
    matched += m[0];
  }
  return matched === text && matched !== '' ? total : undefined;
}
