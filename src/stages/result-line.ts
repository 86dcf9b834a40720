/**
 * The one reader of a raw Batch API result line: OpenAI's output or error file format (see
 * docs/openai-batch-api.md §3.2–3.3, also Azure's and compatible servers') and Anthropic's
 * Message Batches results (`{custom_id, result}`). Every consumer — collecting a batch, the request cache, the
 * results tally, the merge and its lookup — asks this module, so the format is understood in one
 * place. Each line is normalised to one outcome per request key:
 *
 * - `succeeded`: HTTP 200, with the reply text (chat, responses or completions shape) and usage,
 *   whether the reply was cut at the token limit or refused, and a forced tool's input (Anthropic's
 *   structured-output form);
 * - `expired` / `canceled`: `batch_expired` / `batch_cancelled`, never ran: sent again;
 * - `missing`: a line with neither a response nor an error: treated as never run;
 * - `errored`: `retryable` for 5xx, 429, 408, `request_timeout` and unknown non-HTTP codes,
 *   permanent for any other 4xx.
 */
import { isRecord } from './record-template.ts';

export interface LineUsage {
  /** Every input token billed: uncached, cache reads and cache writes. */
  input: number;
  output: number;
  total: number;
  /** Of `input`: read from the prompt cache (OpenAI `cached_tokens`, Anthropic `cache_read_input_tokens`). */
  cached: number;
  /** Of `input`: written to the prompt cache (Anthropic `cache_creation_input_tokens`). */
  cacheWrite: number;
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

/** How a successful reply ended, as far as the caller of a structured reply needs to know. */
export interface ReplyEnd {
  /** Cut at the token limit (`finish_reason: "length"`, an incomplete response, `stop_reason: "max_tokens"`). */
  truncated: boolean;
  /** The model's refusal text, when it refused. */
  refusal: string | undefined;
  /** The input of the first tool_use block (Anthropic forced tool use), when there is one. */
  toolInput: unknown;
}

/** The normalised outcome of a result line, or undefined when it is not one (no custom_id). */
export function readResultLine(value: unknown): ResultLine | undefined {
  if (!isRecord(value) || typeof value.custom_id !== 'string' || value.custom_id === '') return undefined;
  const customId = value.custom_id;
  if (isRecord(value.result)) return readAnthropicResult(customId, value.result, value);
  const error = value.error;
  if (isRecord(error)) {
    const code = typeof error.code === 'string' ? error.code : 'error';
    const message = typeof error.message === 'string' ? error.message : code;
    if (code === 'batch_expired') return { kind: 'expired', customId, code };
    if (code === 'batch_cancelled') return { kind: 'canceled', customId, code };
    return { kind: 'errored', customId, retryable: true, code, message, line: value };
  }
  const response = value.response;
  if (!isRecord(response)) return { kind: 'missing', customId, code: 'no_response' };
  const status = typeof response.status_code === 'number' ? response.status_code : 0;
  const body = isRecord(response.body) ? response.body : {};
  if (status === 200)
    return {
      kind: 'succeeded',
      customId,
      line: value,
      text: replyText(body),
      usage: usageOf(body),
      ...openAiEnd(body),
    };
  const err = isRecord(body.error) ? body.error : {};
  const message = typeof err.message === 'string' ? err.message : `HTTP ${status}`;
  const code = typeof err.code === 'string' ? err.code : undefined;
  const retryable = status === 408 || status === 429 || status >= 500 || status === 0;
  return { kind: 'errored', customId, retryable, status, ...(code ? { code } : {}), message, line: value };
}

/**
 * Anthropic's result line: `{custom_id, result: {type: succeeded|errored|canceled|expired, …}}`.
 * Errors split as OpenAI's 5xx/4xx do: `overloaded_error`, `api_error`, `rate_limit_error` and
 * `timeout_error` are the provider's trouble (sent again); anything else needs a change.
 */
function readAnthropicResult(
  customId: string,
  result: Record<string, unknown>,
  line: Record<string, unknown>,
): ResultLine {
  switch (result.type) {
    case 'succeeded': {
      const message = isRecord(result.message) ? result.message : {};
      return {
        kind: 'succeeded',
        customId,
        line,
        text: messageText(message),
        usage: usageOf(message),
        ...anthropicEnd(message),
      };
    }
    case 'errored': {
      const outer = isRecord(result.error) ? result.error : {};
      const inner = isRecord(outer.error) ? outer.error : outer;
      const code = typeof inner.type === 'string' ? inner.type : 'error';
      const message = typeof inner.message === 'string' ? inner.message : code;
      return { kind: 'errored', customId, retryable: ANTHROPIC_TRANSIENT.has(code), code, message, line };
    }
    case 'canceled':
      return { kind: 'canceled', customId, code: 'canceled' };
    case 'expired':
      return { kind: 'expired', customId, code: 'expired' };
    default:
      return { kind: 'missing', customId, code: 'no_response' };
  }
}

const ANTHROPIC_TRANSIENT = new Set(['overloaded_error', 'api_error', 'rate_limit_error', 'timeout_error']);

function anthropicEnd(message: Record<string, unknown>): ReplyEnd {
  const content = Array.isArray(message.content) ? (message.content as unknown[]) : [];
  const tool = content.find((c) => isRecord(c) && c.type === 'tool_use');
  return {
    truncated: message.stop_reason === 'max_tokens',
    refusal: message.stop_reason === 'refusal' ? (messageText(message) ?? 'refused') : undefined,
    toolInput: isRecord(tool) ? tool.input : undefined,
  };
}

/** Chat completions (`finish_reason`, `message.refusal`) and Responses (`status`, `refusal` content). */
function openAiEnd(body: Record<string, unknown>): ReplyEnd {
  const first: unknown = Array.isArray(body.choices) ? body.choices[0] : undefined;
  if (isRecord(first)) {
    const message = isRecord(first.message) ? first.message : {};
    return {
      truncated: first.finish_reason === 'length',
      refusal: typeof message.refusal === 'string' ? message.refusal : undefined,
      toolInput: undefined,
    };
  }
  let refusal: string | undefined;
  for (const item of Array.isArray(body.output) ? (body.output as unknown[]) : [])
    if (isRecord(item) && Array.isArray(item.content))
      for (const c of item.content as unknown[])
        if (isRecord(c) && c.type === 'refusal' && typeof c.refusal === 'string') refusal ??= c.refusal;
  return { truncated: body.status === 'incomplete', refusal, toolInput: undefined };
}

/** The text blocks of an Anthropic message, joined. */
function messageText(message: Record<string, unknown>): string | undefined {
  if (!Array.isArray(message.content)) return undefined;
  const texts = (message.content as unknown[])
    .filter((c): c is Record<string, unknown> => isRecord(c) && c.type === 'text' && typeof c.text === 'string')
    .map((c) => c.text as string);
  return texts.length > 0 ? texts.join('') : undefined;
}

/** A provider output line that answered with HTTP 200. */
export function isSuccessLine(value: unknown): value is Record<string, unknown> {
  return readResultLine(value)?.kind === 'succeeded';
}

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

/** The reply of a chat completion, a Responses API answer or a legacy completion. */
function replyText(body: Record<string, unknown>): string | undefined {
  const first: unknown = Array.isArray(body.choices) ? body.choices[0] : undefined;
  if (isRecord(first)) {
    if (isRecord(first.message) && typeof first.message.content === 'string') return first.message.content;
    if (typeof first.text === 'string') return first.text;
  }
  if (typeof body.output_text === 'string') return body.output_text;
  if (Array.isArray(body.output)) {
    const texts: string[] = [];
    for (const item of body.output as unknown[]) {
      if (!isRecord(item) || !Array.isArray(item.content)) continue;
      for (const c of item.content as unknown[])
        if (isRecord(c) && c.type === 'output_text' && typeof c.text === 'string') texts.push(c.text);
    }
    if (texts.length > 0) return texts.join('');
  }
  return undefined;
}

/** Tokens from `usage`, in the chat (`prompt_tokens`) or Responses (`input_tokens`) naming. */
function usageOf(body: Record<string, unknown>): LineUsage {
  const usage = isRecord(body.usage) ? body.usage : {};
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
  // OpenAI's prompt tokens include the cached ones; Anthropic's input_tokens leave out cache
  // writes and reads, billed at their own rates: all are input here, with the cached shares apart.
  const details = isRecord(usage.prompt_tokens_details)
    ? usage.prompt_tokens_details
    : isRecord(usage.input_tokens_details)
      ? usage.input_tokens_details
      : {};
  const cacheWrite = num(usage.cache_creation_input_tokens);
  const cacheRead = num(usage.cache_read_input_tokens);
  const input = num(usage.prompt_tokens ?? usage.input_tokens) + cacheWrite + cacheRead;
  const output = num(usage.completion_tokens ?? usage.output_tokens);
  return {
    input,
    output,
    total: num(usage.total_tokens) || input + output,
    cached: cacheRead + num(details.cached_tokens),
    cacheWrite,
  };
}
