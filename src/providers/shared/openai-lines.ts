/**
 * OpenAI's batch line formats, shared by every provider that speaks them (OpenAI, Azure, the
 * OpenAI-compatible servers, Mistral): request lines `{custom_id, method, url, body}` and output or
 * error file lines `{custom_id, response: {status_code, body}, error}` (docs/openai-batch-api.md
 * §3.2–3.3). Replies may be chat completions, Responses API answers or legacy completions.
 *
 * A reply schema becomes `response_format` json_schema (chat) or `text.format` (`/v1/responses`,
 * whose messages go in `input`), strict.
 */
import type { ChatMessageLike } from '../../tokens/count.ts';
import { isRecord } from '../../util/is-record.ts';
import type { ReplyEnd, ResultLine } from '../outcome.ts';
import type { LineSettings, ReadRequest, WireFormat } from '../spec.ts';
import { appendToLastUser, requestHash, usageOf } from './line-tools.ts';

export const OPENAI_ENDPOINTS = ['/v1/chat/completions', '/v1/responses'] as const;

export const openaiLines: WireFormat = {
  name: "OpenAI's",
  idField: 'custom_id',
  writeRequest,
  readRequest(line): ReadRequest | undefined {
    if (!isRecord(line.body) || typeof line.url !== 'string') return undefined;
    return { body: line.body, model: typeof line.body.model === 'string' ? line.body.model : '', endpoint: line.url };
  },
  requestProblem: (line) =>
    isRecord(line.body) ? 'missing "url" (the endpoint, e.g. /v1/chat/completions)' : 'missing "body" (an object)',
  withBody: (line, body) => ({ ...line, body }),
  hash: (line) => requestHash(line.method, line.url, line.body),
  prompt(body): ChatMessageLike[] {
    if (Array.isArray(body.messages)) return body.messages as ChatMessageLike[];
    const input = body.input ?? body.prompt;
    return [{ role: 'user', content: typeof input === 'string' ? input : JSON.stringify(input ?? '') }];
  },
  maxOutputTokens(body) {
    // Each of the `n` choices may run to the bound (the budget's worst case counts them all).
    const choices = typeof body.n === 'number' && body.n > 1 ? body.n : 1;
    for (const key of ['max_completion_tokens', 'max_tokens', 'max_output_tokens']) {
      const v = body[key];
      if (typeof v === 'number' && v > 0) return v * choices;
    }
    return undefined;
  },
  appendToPrompt(body, text) {
    if (Array.isArray(body.messages)) return { ...body, messages: appendToLastUser(body.messages as unknown[], text) };
    if (Array.isArray(body.input)) return { ...body, input: appendToLastUser(body.input as unknown[], text) };
    return typeof body.input === 'string' ? { ...body, input: body.input + text } : body;
  },
  readResult,
};

function writeRequest(
  settings: LineSettings,
  customId: string,
  system: string | undefined,
  user: string,
): Record<string, unknown> {
  const messages = [
    ...(system !== undefined ? [{ role: 'system', content: system }] : []),
    { role: 'user', content: user },
  ];
  const reply = settings.reply;
  const format = reply && { type: 'json_schema', name: reply.name, strict: true, schema: reply.schema };
  const body =
    settings.endpoint === '/v1/responses'
      ? { model: settings.model, input: messages, ...settings.params, ...(format ? { text: { format } } : {}) }
      : {
          model: settings.model,
          messages,
          ...settings.params,
          ...(reply
            ? {
                response_format: {
                  type: 'json_schema',
                  json_schema: { name: reply.name, strict: true, schema: reply.schema },
                },
              }
            : {}),
        };
  return { custom_id: customId, method: 'POST', url: settings.endpoint, body };
}

function readResult(value: Record<string, unknown>): ResultLine | undefined {
  const customId = value.custom_id;
  // Only lines that carry an answer or an error (either may be null) are this format's.
  if (typeof customId !== 'string' || customId === '' || !('response' in value || 'error' in value)) return undefined;
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
      usage: usageOf(body.usage),
      ...replyEnd(body),
    };
  const err = isRecord(body.error) ? body.error : {};
  const message = typeof err.message === 'string' ? err.message : (otherErrorMessage(body) ?? `HTTP ${status}`);
  const code = typeof err.code === 'string' ? err.code : typeof body.type === 'string' ? body.type : undefined;
  const retryable = status === 408 || status === 429 || status >= 500 || status === 0;
  return { kind: 'errored', customId, retryable, status, ...(code ? { code } : {}), message, line: value };
}

/**
 * The words of an error body not in OpenAI's `{error: {message}}` shape: Mistral's (read through
 * this format, its lines are OpenAI's) `{object: "error", message, type}` or a 422's `{detail: [{msg, loc}]}`.
 */
function otherErrorMessage(body: Record<string, unknown>): string | undefined {
  if (typeof body.message === 'string') return body.message;
  const detail = Array.isArray(body.detail) && isRecord(body.detail[0]) ? body.detail[0] : undefined;
  if (typeof detail?.msg !== 'string') return undefined;
  return Array.isArray(detail.loc) ? `${detail.msg} (${detail.loc.join('.')})` : detail.msg;
}

/** Chat completions (`finish_reason`, `message.refusal`) and Responses (`status`, `refusal` content). */
function replyEnd(body: Record<string, unknown>): ReplyEnd {
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
