/**
 * Shapes of the online endpoints (`POST /v1/chat/completions`, `/v1/responses`, `/v1/embeddings`): the limits
 * and latency a server is started with, the faults it can inject, and the stats it keeps.
 */

/** How the online endpoints behave: limits like OpenAI's (or a local server's), and how fast they answer. */
export interface OnlineOptions {
  /** Requests per minute per model (a token bucket refilled continuously); unset = no request limit. */
  requestsPerMinute?: number;
  /**
   * Tokens per minute per model, counted as OpenAI counts them when a request arrives: its prompt
   * tokens plus `n` × (`max_completion_tokens` ?? `max_tokens` ?? `max_output_tokens` ?? 0); unset = no token limit.
   */
  tokensPerMinute?: number;
  /** Requests worked on at once (a local server's parallel slots); unset = no cap. */
  maxConcurrency?: number;
  /** Requests that may wait for a slot; one more is answered 503 (Ollama's `OLLAMA_MAX_QUEUE`, default 512). */
  maxQueue?: number;
  /** Send the `x-ratelimit-*` headers (default true when a limit is set; vLLM and Ollama send none). */
  rateLimitHeaders?: boolean;
  /** Time to answer any request, in emulator milliseconds (divided by the speed factor; default 0). */
  baseLatencyMs?: number;
  /** Added time per output token, in emulator milliseconds (divided by the speed factor; default 0). */
  latencyPerOutputTokenMs?: number;
}

/** The statuses an online error fault answers with: 5xx, Groq flex's 498 and the 529 "overloaded". */
export type OnlineErrorStatus = 500 | 502 | 503 | 498 | 529;

export interface OnlineErrorFault {
  status: OnlineErrorStatus;
  /** Share (0..1) of requests answered so, instead of being worked on. */
  rate: number;
  retryAfterSeconds?: number;
}

/** A window in which every online request is answered 429, measured from when the faults were set. */
export interface RateLimitStorm {
  afterMs: number;
  durationMs: number;
}

/**
 * Faults of the online endpoints. Each request's fate is drawn from (seed, body hash, how many
 * times this body was received before), so a run repeats exactly whatever the arrival order, and
 * a retried request gets a fresh draw. The shares are of all requests and must add up to ≤ 1.
 */
export interface OnlineFaults {
  errors?: OnlineErrorFault[];
  /** Share of requests that are never answered: the server holds them until the client gives up. */
  hangRate?: number;
  /** How long a hung request is held before its connection is closed (emulator ms; default: until the client leaves). */
  hangMs?: number;
  /** Share of requests worked on and billed whose reply is lost (the connection closes instead). */
  lostReplyRate?: number;
  rateLimitStorms?: RateLimitStorm[];
}

/** One minute of the emulator's clock, counted from its start. */
export interface OnlineWindow {
  startMs: number;
  /** Requests let through the rate limits (charged). */
  requests: number;
  /** Tokens charged against the token limit (prompt + max output) by the requests let through. */
  chargedTokens: number;
  /** Requests worked on and billed (lost replies included). */
  answered: number;
  promptTokens: number;
  completionTokens: number;
}

export interface OnlineStats {
  /** Valid requests received by the online endpoints (retries included). */
  received: number;
  /**
   * Answers of the online handlers by HTTP status ('200', '400', '429', '503', '500', '498', …); lost
   * and hung requests have none, nor do the router's own answers (a 401, an injected `http` fault).
   */
  byStatus: Record<string, number>;
  /** Requests worked on and billed, lost replies included. */
  answered: number;
  lostReplies: number;
  hangs: number;
  /** Billed answers per request-body hash (sha256 of the canonical JSON body): a count above 1 was paid twice. */
  answersByBody: Record<string, number>;
  /** How many bodies were answered more than once. */
  bodiesAnsweredTwice: number;
  peakConcurrency: number;
  peakQueue: number;
  /** Requests being worked on / waiting for a slot right now. */
  active: number;
  queued: number;
  windows: OnlineWindow[];
}
