/**
 * The stand-in's `/v1/responses` answer: a `Response` object with every field the API sends and
 * the SDKs' `Response` type requires (test/emulator/sdk-shapes.test.ts walks the `openai`
 * package's types), the request's settings echoed as the API echoes them (`instructions`,
 * `tools`, `tool_choice`, `temperature`, `text`, `metadata`…), the API's defaults otherwise.
 */
import { isRecord } from './http.ts';
import { derivedHex } from './ids.ts';

export interface ResponsesAnswer {
  key: string;
  /** Unix seconds. */
  created: number;
  /** The dated snapshot the reply names. */
  model: string;
  text: string;
  outputTokens: number;
  /** The answer stopped at `max_output_tokens`. */
  cut: boolean;
  promptTokens: number;
}

/** `body[name]` when the request set it, else the API's default. */
const echo = (body: Record<string, unknown>, name: string, fallback: unknown): unknown =>
  body[name] === undefined || body[name] === null ? fallback : body[name];

/** Reasoning models (gpt-5, o-series) report the effort they used; the others null. */
function reasoningOf(body: Record<string, unknown>, model: string): Record<string, unknown> {
  const asked = isRecord(body.reasoning) ? body.reasoning : {};
  const reasons = /^(gpt-5|o\d)/.test(model);
  return { effort: asked.effort ?? (reasons ? 'medium' : null), summary: asked.summary ?? null };
}

export function responsesBody(body: Record<string, unknown>, a: ResponsesAnswer): Record<string, unknown> {
  const status = a.cut ? 'incomplete' : 'completed';
  const text = isRecord(body.text) ? body.text : {};
  return {
    id: `resp_${derivedHex(a.key)}`,
    object: 'response',
    created_at: a.created,
    status,
    background: echo(body, 'background', false),
    completed_at: a.cut ? null : a.created,
    error: null,
    incomplete_details: a.cut ? { reason: 'max_output_tokens' } : null,
    instructions: echo(body, 'instructions', null),
    max_output_tokens: echo(body, 'max_output_tokens', null),
    max_tool_calls: echo(body, 'max_tool_calls', null),
    model: a.model,
    output: [
      {
        id: `msg_${derivedHex(a.key, 'msg')}`,
        type: 'message',
        status,
        role: 'assistant',
        content: [{ type: 'output_text', annotations: [], logprobs: [], text: a.text }],
      },
    ],
    parallel_tool_calls: echo(body, 'parallel_tool_calls', true),
    previous_response_id: echo(body, 'previous_response_id', null),
    prompt_cache_key: echo(body, 'prompt_cache_key', null),
    reasoning: reasoningOf(body, a.model),
    safety_identifier: echo(body, 'safety_identifier', null),
    service_tier: typeof body.service_tier === 'string' && body.service_tier !== 'auto' ? body.service_tier : 'default',
    store: echo(body, 'store', true),
    temperature: echo(body, 'temperature', 1),
    text: { format: text.format ?? { type: 'text' }, verbosity: text.verbosity ?? 'medium' },
    tool_choice: echo(body, 'tool_choice', 'auto'),
    tools: echo(body, 'tools', []),
    top_logprobs: echo(body, 'top_logprobs', 0),
    top_p: echo(body, 'top_p', 1),
    truncation: echo(body, 'truncation', 'disabled'),
    usage: {
      input_tokens: a.promptTokens,
      input_tokens_details: { cached_tokens: 0, cache_write_tokens: 0 },
      output_tokens: a.outputTokens,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: a.promptTokens + a.outputTokens,
    },
    user: echo(body, 'user', null),
    metadata: echo(body, 'metadata', {}),
  };
}
