/**
 * The checks a request's `params` get when the batch processes it. Anthropic validates params
 * asynchronously: a bad one is not a create-time 400 but an `errored` result whose error is what
 * the Messages API would have answered (`invalid_request_error`, or `not_found_error` for an
 * unknown model), worded as the API words its field errors (`max_tokens: Field required`).
 */
import { isRecord } from '../http.ts';
import type { ClaudeModels } from './models.ts';

export interface ParamsProblem {
  type: 'invalid_request_error' | 'not_found_error';
  message: string;
}

/** Sampling knobs the 2026-10-21 API version no longer accepts (docs: migration-2026-10-21). */
const REMOVED_IN_2026_10_21 = ['temperature', 'top_p', 'top_k'] as const;

const invalid = (message: string): ParamsProblem => ({ type: 'invalid_request_error', message });

function checkMessages(messages: unknown): ParamsProblem | null {
  if (messages === undefined) return invalid('messages: Field required');
  if (!Array.isArray(messages)) return invalid('messages: Input should be a valid list');
  if (messages.length === 0) return invalid('messages: at least one message is required');
  for (const [i, m] of messages.entries()) {
    if (!isRecord(m)) return invalid(`messages.${i}: Input should be a valid dictionary`);
    if (m.role !== 'user' && m.role !== 'assistant')
      return invalid(`messages.${i}.role: Input should be 'user' or 'assistant'`);
    if (m.content === undefined) return invalid(`messages.${i}.content: Field required`);
    if (typeof m.content !== 'string' && !Array.isArray(m.content))
      return invalid(`messages.${i}.content: Input should be a valid string or a list of content blocks`);
  }
  return null;
}

function checkMaxTokens(params: Record<string, unknown>, model: string, models: ClaudeModels): ParamsProblem | null {
  const max = params.max_tokens;
  if (max === undefined) return invalid('max_tokens: Field required');
  if (typeof max !== 'number' || !Number.isInteger(max)) return invalid('max_tokens: Input should be a valid integer');
  if (max < 1) return invalid('max_tokens: Input should be greater than or equal to 1');
  const limit = models.maxOutputTokens(model);
  if (max > limit)
    return invalid(`max_tokens: ${max} > ${limit}, which is the maximum allowed number of output tokens for ${model}`);
  return null;
}

/** The first problem with one request's params, or null when the stand-in model can answer it. */
export function checkParams(
  params: Record<string, unknown>,
  version: string,
  models: ClaudeModels,
): ParamsProblem | null {
  const model = params.model;
  if (model === undefined) return invalid('model: Field required');
  if (typeof model !== 'string') return invalid('model: Input should be a valid string');
  const maxTokens = checkMaxTokens(params, model, models);
  if (maxTokens) return maxTokens;
  const messages = checkMessages(params.messages);
  if (messages) return messages;
  if (params.system !== undefined && typeof params.system !== 'string' && !Array.isArray(params.system))
    return invalid('system: Input should be a valid string or a list of text blocks');
  if (params.stream === true) return invalid('stream: streaming is not supported in the Message Batches API');
  if (params.speed !== undefined) return invalid('speed: fast mode is not supported in the Message Batches API');
  if (version >= '2026-10-21')
    for (const knob of REMOVED_IN_2026_10_21)
      if (params[knob] !== undefined)
        return invalid(`${knob}: Extra inputs are not permitted (removed in anthropic-version 2026-10-21)`);
  // Checked last, as the API does: a well-formed request for a model that does not exist.
  if (!models.isKnown(model)) return { type: 'not_found_error', message: `model: ${model}` };
  return null;
}
