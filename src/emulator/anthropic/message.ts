/**
 * The stand-in model answering a Messages request: the same paraphrase the OpenAI side gives for
 * the same prompt (`replyFor`), shaped as a Message with Anthropic's `usage`. Tokens are counted
 * with the project's tokenizer (Claude's own is not public): plausible, and deterministic.
 */
import { countChatPromptTokens, countTextTokens, type ChatMessageLike } from '../../tokens/count.ts';
import { isRecord } from '../http.ts';
import { promptCacheHit, replyFor, truncate } from '../model.ts';
import { forcedTool, standInObject } from '../structured-answer.ts';
import { derivedMessageId } from './ids.ts';

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .filter((p): p is { text: string } => isRecord(p) && p.type === 'text' && typeof p.text === 'string')
    .map((p) => p.text)
    .join('\n');
}

function lastUserText(messages: readonly Record<string, unknown>[]): string {
  for (let i = messages.length - 1; i >= 0; i--) if (messages[i]?.role === 'user') return textOf(messages[i]?.content);
  return '';
}

/** Input tokens as billed: the system prompt plus the messages with their framing. */
export function inputTokensOf(params: Record<string, unknown>): number {
  const model = String(params.model);
  const messages = (Array.isArray(params.messages) ? params.messages : []) as ChatMessageLike[];
  const system = textOf(params.system);
  return countChatPromptTokens(model, messages) + (system ? countTextTokens(model, system) : 0);
}

export interface StandInMessage {
  message: Record<string, unknown>;
  inputTokens: number;
  outputTokens: number;
}

/** The reply to params already checked by `checkParams`. */
export function answer(params: Record<string, unknown>, batchId: string, index: number): StandInMessage {
  const model = String(params.model);
  const maxTokens = Number(params.max_tokens);
  const user = lastUserText(params.messages as Record<string, unknown>[]);
  const tool = forcedTool(params);
  const input = tool ? standInObject(tool.schema, user) : undefined;
  const {
    text,
    tokens: outputTokens,
    cut,
  } = truncate(model, input !== undefined ? JSON.stringify(input) : replyFor(user), maxTokens);
  const inputTokens = inputTokensOf(params);
  const cache = promptCache(params, inputTokens);
  return {
    inputTokens,
    outputTokens,
    message: {
      id: derivedMessageId(batchId, index),
      type: 'message',
      role: 'assistant',
      model,
      // A forced tool answers with a tool_use block (whole input even when cut: the stop reason says so).
      content: tool ? [{ type: 'tool_use', id: `toolu_${index}`, name: tool.name, input }] : [{ type: 'text', text }],
      stop_reason: cut ? 'max_tokens' : tool ? 'tool_use' : 'end_turn',
      stop_sequence: null,
      usage: {
        input_tokens: inputTokens - cache.read - cache.written,
        output_tokens: outputTokens,
        cache_creation_input_tokens: cache.written,
        cache_read_input_tokens: cache.read,
        service_tier: 'batch',
      },
    },
  };
}

/**
 * Prompt caching as the real service bills it, deterministically: a system prompt marked with
 * `cache_control` is read from the cache for three requests in four (chosen by the request's
 * content) and written to it for the rest; `input_tokens` then counts only what follows it.
 * Unmarked prompts are never cached, as on the real API.
 */
function promptCache(params: Record<string, unknown>, total: number): { read: number; written: number } {
  const system = Array.isArray(params.system) ? (params.system as unknown[]) : [];
  if (!system.some((b) => isRecord(b) && isRecord(b.cache_control))) return { read: 0, written: 0 };
  const prefix = Math.min(total, countTextTokens(String(params.model), textOf(system)));
  const messages = Array.isArray(params.messages) ? (params.messages as Record<string, unknown>[]) : [];
  return promptCacheHit(lastUserText(messages)) ? { read: prefix, written: 0 } : { read: 0, written: prefix };
}
