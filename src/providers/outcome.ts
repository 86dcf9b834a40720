/**
 * The one normalised outcome of a request, whatever provider answered it. Every provider's wire
 * format reads its own result lines into this (see `WireFormat.readResult`); the cache, the
 * results tally, the merge, re-asks and reports only ever see this shape.
 *
 * - `succeeded`: the provider answered, with the reply text and usage, whether the reply was cut at
 *   the token limit or refused, and a forced tool's input (structured output by tool use);
 * - `expired` / `canceled`: the request never ran (its batch expired or was cancelled): sent again;
 * - `missing`: a line with neither an answer nor an error: treated as never run;
 * - `errored`: `retryable` for the provider's own trouble (5xx, 429, timeouts, overload), permanent
 *   for an answer that needs a change to the request (any other 4xx).
 */

export interface LineUsage {
  /** Every input token billed: uncached, cache reads and cache writes. */
  input: number;
  output: number;
  total: number;
  /** Of `input`: read from the prompt cache (OpenAI `cached_tokens`, Anthropic cache reads, Gemini cached content). */
  cached: number;
  /** Of `input`: written to the prompt cache (Anthropic `cache_creation_input_tokens`). */
  cacheWrite: number;
}

/** How a successful reply ended, as far as the caller of a structured reply needs to know. */
export interface ReplyEnd {
  /** Cut at the token limit. */
  truncated: boolean;
  /** The model's refusal text, when it refused. */
  refusal: string | undefined;
  /** The input of the first tool call (structured output by forced tool use), when there is one. */
  toolInput: unknown;
}

export type ResultLine =
  | ({
      kind: 'succeeded';
      customId: string;
      line: Record<string, unknown>;
      text: string | undefined;
      usage: LineUsage;
    } & ReplyEnd)
  | { kind: 'expired' | 'canceled' | 'missing'; customId: string; code: string }
  | {
      kind: 'errored';
      customId: string;
      retryable: boolean;
      status?: number;
      code?: string;
      message: string;
      line: Record<string, unknown>;
    };

/** Why a line gives no usable reply, in a few words for a person (merge and status messages). */
export function whyUnusable(result: ResultLine): string {
  switch (result.kind) {
    case 'succeeded':
      return 'response has no message content';
    case 'errored':
      return result.status !== undefined
        ? `HTTP ${result.status}: ${result.message}`
        : `${result.code ?? 'error'}: ${result.message}`;
    case 'missing':
      return 'no response';
    default:
      return `${result.code}: the request never ran`;
  }
}

/** A finite number, else 0 (usage fields a provider leaves out or sends as strings). */
export function count(value: unknown): number {
  const n = typeof value === 'string' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) ? n : 0;
}
