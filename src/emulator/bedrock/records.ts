/**
 * One record's `modelInput` checked and answered as the model's InvokeModel (or Converse) would:
 * validation of the job never looks inside `modelInput` (providers.md I.1), so a body wrong for
 * the model becomes an error record `{errorCode: 400, errorMessage}` worded as Bedrock words
 * malformed input ("Malformed input request: #: required key [max_tokens] not found, …"). The
 * text is the stand-in model's, the same paraphrase the other flavours give for the same prompt.
 */
import { countChatPromptTokens, countTextTokens, encodingFor, type ChatMessageLike } from '../../tokens/count.ts';
import { answer } from '../anthropic/message.ts';
import { claudeModels } from '../anthropic/models.ts';
import { checkParams } from '../anthropic/request-params.ts';
import { isRecord } from '../http.ts';
import { replyFor } from '../model.ts';
import type { ModelRef } from './models.ts';
import type { InvocationType } from './types.ts';

export const BEDROCK_ANTHROPIC_VERSION = 'bedrock-2023-05-31';

export type RecordResult =
  | { ok: true; output: Record<string, unknown>; inputTokens: number; outputTokens: number }
  | { ok: false; errorCode: number; errorMessage: string };

const malformed = (detail: string): RecordResult => ({
  ok: false,
  errorCode: 400,
  errorMessage: `Malformed input request: ${detail}, please reformat your input and try again.`,
});

const known = claudeModels();
/** Every Claude the job may name is answered; only its output limit comes from the known table. */
const anyClaude = { isKnown: () => true, maxOutputTokens: (m: string) => known.maxOutputTokens(m) };

function claude(model: ModelRef, input: Record<string, unknown>, jobId: string, index: number): RecordResult {
  if (input.anthropic_version === undefined) return malformed('#: required key [anthropic_version] not found');
  if (input.anthropic_version !== BEDROCK_ANTHROPIC_VERSION)
    return malformed(`#/anthropic_version: ${JSON.stringify(input.anthropic_version)} is not a valid enum value`);
  if (input.max_tokens === undefined) return malformed('#: required key [max_tokens] not found');
  if (input.messages === undefined) return malformed('#: required key [messages] not found');
  if ('model' in input) return malformed('#: extraneous key [model] is not permitted');
  const params = { ...input, model: model.name };
  const problem = checkParams(params, '2023-06-01', anyClaude);
  if (problem) return { ok: false, errorCode: 400, errorMessage: problem.message };
  const reply = answer(params, jobId, index);
  const message: Record<string, unknown> = {
    ...reply.message,
    id: `msg_bdrk_${String(reply.message.id).replace(/^msg_/, '')}`,
  };
  const usage = { ...(message.usage as Record<string, unknown>) };
  delete usage.service_tier;
  return { ok: true, output: { ...message, usage }, inputTokens: reply.inputTokens, outputTokens: reply.outputTokens };
}

const blocksText = (content: unknown): string =>
  Array.isArray(content)
    ? content
        .filter((b): b is { text: string } => isRecord(b) && typeof b.text === 'string')
        .map((b) => b.text)
        .join('\n')
    : '';

/** Nova's InvokeModel body and the Converse body share a shape: `messages` of `{role, content: [{text}]}`. */
function messagesApi(model: ModelRef, input: Record<string, unknown>, converse: boolean): RecordResult {
  const messages = input.messages;
  if (messages === undefined) return malformed('#: required key [messages] not found');
  if (!Array.isArray(messages) || messages.length === 0)
    return malformed('#/messages: expected a non-empty array of messages');
  for (const [i, m] of messages.entries()) {
    if (!isRecord(m) || (m.role !== 'user' && m.role !== 'assistant'))
      return malformed(`#/messages/${i}/role: must be user or assistant`);
    if (!Array.isArray(m.content)) return malformed(`#/messages/${i}/content: expected type: JSONArray`);
  }
  const config = isRecord(input.inferenceConfig) ? input.inferenceConfig : {};
  const maxTokens = config.maxTokens ?? (converse ? undefined : config.max_new_tokens);
  if (maxTokens !== undefined && (typeof maxTokens !== 'number' || !Number.isInteger(maxTokens) || maxTokens < 1))
    return malformed('#/inferenceConfig/maxTokens: expected a positive integer');
  const counting = model.name;
  const chat = (messages as Record<string, unknown>[]).map((m): ChatMessageLike => ({
    role: String(m.role),
    content: [{ type: 'text', text: blocksText(m.content) }],
  }));
  const system = blocksText(input.system);
  const inputTokens = countChatPromptTokens(counting, chat) + (system ? countTextTokens(counting, system) : 0);
  const lastUser = [...(messages as Record<string, unknown>[])].reverse().find((m) => m.role === 'user');
  let text = replyFor(blocksText(lastUser?.content));
  let outputTokens = countTextTokens(counting, text);
  const limit = typeof maxTokens === 'number' ? maxTokens : Infinity;
  const cut = outputTokens > limit;
  if (cut) {
    const enc = encodingFor(counting);
    text = enc.decode(enc.encode(text).slice(0, limit));
    outputTokens = limit;
  }
  const usage = { inputTokens, outputTokens, totalTokens: inputTokens + outputTokens };
  const output: Record<string, unknown> = {
    output: { message: { role: 'assistant', content: [{ text }] } },
    stopReason: cut ? 'max_tokens' : 'end_turn',
    usage: converse ? usage : { ...usage, cacheReadInputTokenCount: 0, cacheWriteInputTokenCount: 0 },
  };
  if (converse) output.metrics = { latencyMs: 100 + outputTokens * 10 };
  return { ok: true, output, inputTokens, outputTokens };
}

/** The answer to one record's `modelInput` for the job's model and invocation type. */
export function runRecord(
  model: ModelRef,
  type: InvocationType,
  modelInput: unknown,
  jobId: string,
  index: number,
): RecordResult {
  if (!isRecord(modelInput)) return malformed('#: expected type: JSONObject');
  if (type === 'Converse') return messagesApi(model, modelInput, true);
  return model.family === 'anthropic' ? claude(model, modelInput, jobId, index) : messagesApi(model, modelInput, false);
}
