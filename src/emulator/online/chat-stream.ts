/**
 * A chat completion sent as the API streams it (`stream: true`): server-sent events of
 * `chat.completion.chunk` objects — per choice a first chunk with the role, the text a word at a
 * time (or the refusal), a last chunk with the finish reason — then, when
 * `stream_options.include_usage` asks, a chunk with no choices and the usage (every chunk before
 * it has `usage: null`), and `data: [DONE]`. The `openai` SDK's stream helpers assemble these
 * into the same completion the non-streaming call returns.
 */
import type { ServerResponse } from 'node:http';
import { isRecord, type ByteCounter } from '../http.ts';

type Completion = Record<string, unknown>;

interface Choice {
  index: number;
  message: { content: string | null; refusal: string | null };
  finish_reason: string;
}

/** The pieces a text is streamed in: a word with the spaces before it, as tokens mostly are. */
const pieces = (text: string): string[] => text.match(/\s*\S+|\s+$/g) ?? [];

export function chatChunks(completion: Completion, includeUsage: boolean): Completion[] {
  const head = {
    id: completion.id,
    object: 'chat.completion.chunk',
    created: completion.created,
    model: completion.model,
    service_tier: completion.service_tier,
    system_fingerprint: completion.system_fingerprint,
  };
  const chunk = (choices: unknown[]): Completion => ({ ...head, choices, ...(includeUsage ? { usage: null } : {}) });
  const delta = (index: number, d: Record<string, unknown>, finish: string | null = null) =>
    chunk([{ index, delta: d, logprobs: null, finish_reason: finish }]);
  const chunks: Completion[] = [];
  for (const choice of (completion.choices as Choice[] | undefined) ?? []) {
    const { index, message } = choice;
    chunks.push(delta(index, { role: 'assistant', content: '', refusal: null }));
    if (message.refusal !== null) for (const p of pieces(message.refusal)) chunks.push(delta(index, { refusal: p }));
    else for (const p of pieces(message.content ?? '')) chunks.push(delta(index, { content: p }));
    chunks.push(delta(index, {}, choice.finish_reason));
  }
  if (includeUsage) chunks.push({ ...head, choices: [], usage: completion.usage });
  return chunks;
}

/** Whether a body asks for the usage chunk (`stream_options: {include_usage: true}`). */
export const includesUsage = (body: Record<string, unknown>): boolean =>
  isRecord(body.stream_options) && body.stream_options.include_usage === true;

/** Writes `chunks` as an event stream and ends it with `[DONE]`. */
export function sendEventStream(
  res: ServerResponse,
  chunks: readonly unknown[],
  counter: ByteCounter,
  headers: Record<string, string>,
): void {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    ...headers,
  });
  for (const c of chunks) write(res, `data: ${JSON.stringify(c)}\n\n`, counter);
  write(res, 'data: [DONE]\n\n', counter);
  res.end();
}

function write(res: ServerResponse, text: string, counter: ByteCounter): void {
  counter.addOut(Buffer.byteLength(text));
  res.write(text);
}
