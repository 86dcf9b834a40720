/**
 * The deterministic stand-in model: a reply derived from the request body, shaped like the real
 * endpoint's response, with plausible `usage` from the real tokenizer.
 */
import { countChatPromptTokens, countTextTokens, encodingFor, type ChatMessageLike } from '../tokens/count.ts';
import { embeddingsData } from './embeddings.ts';
import { isRecord } from './http.ts';
import { derivedHex } from './ids.ts';
import { DEFAULT_MODERATION_MODEL, moderationBody, moderationInputs } from './moderation.ts';
import { seedFrom } from './prng.ts';
import { standInParaphrase } from './paraphrase.ts';
import { responsesBody } from './responses-body.ts';
import { requestedSchema, standInObject } from './structured-answer.ts';

export { standInParaphrase };

export const SNAPSHOTS: Readonly<Record<string, string>> = {
  'gpt-4.1': 'gpt-4.1-2025-04-14',
  'gpt-4.1-mini': 'gpt-4.1-mini-2025-04-14',
  'gpt-4.1-nano': 'gpt-4.1-nano-2025-04-14',
  'gpt-4o': 'gpt-4o-2024-08-06',
  'gpt-4o-mini': 'gpt-4o-mini-2024-07-18',
  'gpt-5': 'gpt-5-2025-08-07',
  'gpt-5-mini': 'gpt-5-mini-2025-08-07',
  'gpt-5-nano': 'gpt-5-nano-2025-08-07',
  'gpt-3.5-turbo': 'gpt-3.5-turbo-0125',
  'omni-moderation-latest': 'omni-moderation-2024-09-26',
};

/** The dated snapshot the real API reports for an alias (`gpt-4.1` → `gpt-4.1-2025-04-14`). */
export const snapshotOf = (model: string): string => SNAPSHOTS[model] ?? model;

/** The model a body asks for; only moderations may leave it out (the API has a default there). */
export function modelOf(endpoint: string, body: Body): string {
  if (typeof body.model === 'string') return body.model;
  return endpoint === '/v1/moderations' ? DEFAULT_MODERATION_MODEL : 'gpt-4o';
}

export interface ModelResult {
  body: Record<string, unknown>;
  inputTokens: number;
  outputTokens: number;
  /** Of `inputTokens`: reported as read from the prompt cache. */
  cachedTokens?: number;
}

/**
 * Prompt-cache hits, deterministic: the prompt's prefix before its last user message (the system
 * prompt every request of a job shares) counts as cached for three requests in four, chosen by
 * the request's content. The real service caches only prompts of 1,024 tokens or more, and at
 * its discretion; the stand-in skips that minimum so small test jobs exercise the cached-input
 * price too.
 */
export function cachedPrefixTokens(model: string, messages: unknown): number {
  if (!Array.isArray(messages)) return 0;
  let last = -1;
  messages.forEach((m, i) => {
    if (isRecord(m) && m.role === 'user') last = i;
  });
  if (last <= 0) return 0;
  if (!promptCacheHit(textOf((messages[last] as Record<string, unknown>).content))) return 0;
  return countChatPromptTokens(model, messages.slice(0, last) as ChatMessageLike[]);
}

/** Whether a request whose last user message is `userText` reads its shared prefix from the cache (three in four). */
export const promptCacheHit = (userText: string): boolean => seedFrom('prompt-cache', userText) % 4 !== 0;

export type Body = Record<string, unknown>;

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .filter((p): p is { text: string } => isRecord(p) && typeof p.text === 'string')
    .map((p) => p.text)
    .join('\n');
}

/**
 * A structured reply when the body asks for one (a JSON Schema), else the paraphrase. `sample`
 * numbers the choices of a request with `n` > 1: a structured answer is drawn again for each; the
 * paraphrase, the stand-in's only wording, is the same.
 */
function answerText(body: Body, userText: string, sample = 0): string {
  const schema = requestedSchema(body);
  return schema ? JSON.stringify(standInObject(schema, userText, sample)) : replyFor(userText);
}

/** Paraphrase only what is inside `<text>…</text>` when present, else the whole message. */
export function replyFor(userText: string): string {
  const m = /<text>([\s\S]*?)<\/text>/.exec(userText);
  return standInParaphrase(m ? (m[1] ?? '').trim() : userText);
}

/** `text` cut to `maxTokens` tokens of `model`'s tokenizer (when it is a number and the text is longer). */
export function truncate(
  model: string,
  text: string,
  maxTokens: unknown,
): { text: string; tokens: number; cut: boolean } {
  const tokens = countTextTokens(model, text);
  if (typeof maxTokens !== 'number' || maxTokens < 0 || tokens <= maxTokens) return { text, tokens, cut: false };
  const enc = encodingFor(model);
  return { text: enc.decode(enc.encode(text).slice(0, maxTokens)), tokens: maxTokens, cut: true };
}

function lastUser(messages: unknown): string {
  if (!Array.isArray(messages)) return '';
  for (let i = messages.length - 1; i >= 0; i--) {
    const m: unknown = messages[i];
    if (isRecord(m) && m.role === 'user') return textOf(m.content);
  }
  return '';
}

/** Prompt tokens as billed; also what the enqueued-token limit counts. */
export function promptTokens(endpoint: string, body: Body): number {
  const model = modelOf(endpoint, body);
  switch (endpoint) {
    case '/v1/chat/completions':
      return Array.isArray(body.messages) ? countChatPromptTokens(model, body.messages as ChatMessageLike[]) : 0;
    case '/v1/responses':
      return typeof body.input === 'string'
        ? countTextTokens(model, body.input) + 3
        : Array.isArray(body.input)
          ? countChatPromptTokens(model, body.input as ChatMessageLike[])
          : 0;
    case '/v1/embeddings':
      return embeddingInputs(body).reduce((n, t) => n + countTextTokens(model, t), 0);
    case '/v1/moderations':
      return moderationInputs(body.input).reduce((n, i) => n + countTextTokens(model, i.text), 0);
    default:
      return countTextTokens(model, JSON.stringify(body.prompt ?? body.input ?? ''));
  }
}

export function embeddingInputs(body: Body): string[] {
  const input = body.input;
  if (typeof input === 'string') return [input];
  if (Array.isArray(input)) return input.map((x) => (typeof x === 'string' ? x : JSON.stringify(x)));
  return [];
}

/** Executes one request line's body; `null` = endpoint the stand-in cannot serve. */
export function runModel(
  endpoint: string,
  body: Body,
  created: number,
  key: string,
  prompt: number,
): ModelResult | null {
  const model = modelOf(endpoint, body);
  const snapshot = snapshotOf(model);
  switch (endpoint) {
    case '/v1/chat/completions': {
      // `n` samples; the first is the reply a request without `n` gets, the others drawn apart.
      const user = lastUser(body.messages);
      const n = typeof body.n === 'number' && Number.isInteger(body.n) && body.n > 1 ? body.n : 1;
      const outs = Array.from({ length: n }, (_, i) =>
        truncate(model, answerText(body, user, i), body.max_completion_tokens ?? body.max_tokens),
      );
      const completion = outs.reduce((sum, o) => sum + o.tokens, 0);
      const cached = Math.min(prompt, cachedPrefixTokens(model, body.messages));
      return {
        inputTokens: prompt,
        outputTokens: completion,
        cachedTokens: cached,
        body: {
          id: `chatcmpl-${derivedHex(key).slice(0, 29)}`,
          object: 'chat.completion',
          created,
          model: snapshot,
          choices: outs.map((out, index) => ({
            index,
            message: { role: 'assistant', content: out.text, refusal: null, annotations: [] },
            logprobs: null,
            finish_reason: out.cut ? 'length' : 'stop',
          })),
          usage: {
            prompt_tokens: prompt,
            completion_tokens: completion,
            total_tokens: prompt + completion,
            prompt_tokens_details: { cached_tokens: cached, audio_tokens: 0 },
            completion_tokens_details: {
              reasoning_tokens: 0,
              audio_tokens: 0,
              accepted_prediction_tokens: 0,
              rejected_prediction_tokens: 0,
            },
          },
          service_tier: 'default',
          system_fingerprint: null,
        },
      };
    }
    case '/v1/responses': {
      const user = typeof body.input === 'string' ? body.input : lastUser(body.input);
      const out = truncate(model, answerText(body, user), body.max_output_tokens);
      return {
        inputTokens: prompt,
        outputTokens: out.tokens,
        body: responsesBody(body, {
          key,
          created,
          model: snapshot,
          text: out.text,
          outputTokens: out.tokens,
          cut: out.cut,
          promptTokens: prompt,
        }),
      };
    }
    case '/v1/embeddings':
      return {
        inputTokens: prompt,
        outputTokens: 0,
        body: {
          object: 'list',
          data: embeddingsData(body, model, embeddingInputs(body)),
          model: snapshot,
          usage: { prompt_tokens: prompt, total_tokens: prompt },
        },
      };
    case '/v1/completions': {
      const out = truncate(model, standInParaphrase(textOf(body.prompt)), body.max_tokens);
      return {
        inputTokens: prompt,
        outputTokens: out.tokens,
        body: {
          id: `cmpl-${derivedHex(key).slice(0, 29)}`,
          object: 'text_completion',
          created,
          model: snapshot,
          choices: [{ text: out.text, index: 0, logprobs: null, finish_reason: out.cut ? 'length' : 'stop' }],
          usage: { prompt_tokens: prompt, completion_tokens: out.tokens, total_tokens: prompt + out.tokens },
        },
      };
    }
    case '/v1/moderations':
      return { inputTokens: prompt, outputTokens: 0, body: moderationBody(key, snapshot, body.input) };
    default:
      return null;
  }
}
