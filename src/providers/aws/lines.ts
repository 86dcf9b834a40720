/**
 * Bedrock batch inference's line formats (providers.md I.2, I.3): input records
 * `{recordId, modelInput}` whose `modelInput` is the model family's InvokeModel body, and output
 * records `{recordId, modelInput, modelOutput}` or `{recordId, modelInput, error: {errorCode,
 * errorMessage}}`. The model is the job's, not the line's: our request files carry it as
 * `modelId` beside the record (taken off before upload, see bedrock.ts), so parts can be cut per
 * model and priced without the job.
 *
 * Families written here: Anthropic Claude (the Messages body without `model`, with
 * `anthropic_version: "bedrock-2023-05-31"`; a reply schema as a forced tool, which batch supports
 * with the InvokeModel invocation type) and Amazon Nova (`messages` of `{text}` blocks, `system`,
 * `inferenceConfig`). Model ids may be base ids, cross-Region inference profiles (`us.…`) or ARNs.
 */
import type { ChatMessageLike } from '../../tokens/count.ts';
import { isRecord } from '../../util/is-record.ts';
import { count, type ResultLine } from '../outcome.ts';
import type { LineSettings, WireFormat } from '../spec.ts';
import {
  messageEnd,
  messagesBody,
  messagesMaxTokens,
  messagesPrompt,
  messagesWithRepair,
  messageText,
} from '../shared/anthropic-messages.ts';
import { requestHash, usageOf } from '../shared/line-tools.ts';

export const INVOKE = 'InvokeModel';
export const ANTHROPIC_VERSION = 'bedrock-2023-05-31';

export type BedrockFamily = 'claude' | 'nova';

/** The family a model id's body is written for, or undefined when the tool writes none for it. */
export function familyOf(modelId: string): BedrockFamily | undefined {
  const id = modelId.replace(/^arn:aws[^/]*\//, '').replace(/^(us|eu|apac|ap|ca|jp|au|us-gov|global)\./, '');
  if (id.startsWith('anthropic.claude')) return 'claude';
  if (id.startsWith('amazon.nova')) return 'nova';
  return undefined;
}

export const bedrockLines: WireFormat = {
  name: "Bedrock's",
  idField: 'recordId',
  writeRequest: (settings, customId, system, user) => ({
    recordId: customId,
    modelId: settings.model,
    modelInput:
      familyOf(settings.model) === 'nova' ? novaBody(settings, system, user) : claudeBody(settings, system, user),
  }),
  readRequest: (line) =>
    isRecord(line.modelInput)
      ? { body: line.modelInput, model: typeof line.modelId === 'string' ? line.modelId : '', endpoint: INVOKE }
      : undefined,
  requestProblem: () => 'missing "modelInput" (the model\'s InvokeModel body)',
  withBody: (line, body) => ({ ...line, modelInput: body }),
  // The body has no model: the model is part of what was asked.
  hash: (line) =>
    requestHash('POST', `bedrock/${typeof line.modelId === 'string' ? line.modelId : ''}`, line.modelInput),
  prompt: (body) => (isNova(body) ? novaPrompt(body) : messagesPrompt(body)),
  maxOutputTokens(body) {
    if (!isNova(body)) return messagesMaxTokens(body);
    const max = isRecord(body.inferenceConfig) ? body.inferenceConfig.maxTokens : undefined;
    return typeof max === 'number' && max > 0 ? max : undefined;
  },
  appendToPrompt: (body, text) => (isNova(body) ? novaWithRepair(body, text) : messagesWithRepair(body, text)),
  readResult,
};

function claudeBody(settings: LineSettings, system: string | undefined, user: string): Record<string, unknown> {
  const { model: _model, ...body } = messagesBody(settings, system, user);
  return { anthropic_version: ANTHROPIC_VERSION, ...body };
}

function novaBody(settings: LineSettings, system: string | undefined, user: string): Record<string, unknown> {
  return {
    messages: [{ role: 'user', content: [{ text: user }] }],
    ...(system !== undefined ? { system: [{ text: system }] } : {}),
    ...settings.params,
  };
}

const isNova = (body: Record<string, unknown>) => body.anthropic_version === undefined && !('max_tokens' in body);

function blocksText(content: unknown): string {
  if (typeof content === 'string') return content;
  return (Array.isArray(content) ? (content as unknown[]) : [])
    .filter(isRecord)
    .flatMap((b) => (typeof b.text === 'string' ? [b.text] : []))
    .join('');
}

function novaPrompt(body: Record<string, unknown>): ChatMessageLike[] {
  const system = blocksText(body.system);
  const messages = (Array.isArray(body.messages) ? (body.messages as unknown[]) : [])
    .filter(isRecord)
    .map((m) => ({ role: typeof m.role === 'string' ? m.role : 'user', content: blocksText(m.content) }));
  return [...(system ? [{ role: 'system', content: system }] : []), ...messages];
}

function novaWithRepair(body: Record<string, unknown>, text: string): Record<string, unknown> {
  const messages = Array.isArray(body.messages) ? [...(body.messages as unknown[])] : [];
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (!isRecord(m) || m.role !== 'user') continue;
    messages[i] = {
      ...m,
      content: [...(Array.isArray(m.content) ? (m.content as unknown[]) : []), { text: text.trim() }],
    };
    break;
  }
  return { ...body, messages };
}

/** Error codes that are the service's trouble (throttled, internal), not the record's. */
const TRANSIENT_CODES = new Set([408, 429, 500, 502, 503, 504]);

function readResult(line: Record<string, unknown>): ResultLine | undefined {
  const customId = line.recordId;
  if (typeof customId !== 'string' || customId === '' || !('modelOutput' in line || 'error' in line)) return undefined;
  if (isRecord(line.error)) {
    const status = typeof line.error.errorCode === 'number' ? line.error.errorCode : undefined;
    const message = typeof line.error.errorMessage === 'string' ? line.error.errorMessage : 'failed';
    const retryable = status === undefined || TRANSIENT_CODES.has(status);
    return { kind: 'errored', customId, retryable, ...(status !== undefined ? { status } : {}), message, line };
  }
  if (!isRecord(line.modelOutput)) return { kind: 'missing', customId, code: 'no_response' };
  const out = line.modelOutput;
  if (isRecord(out.output)) {
    // Nova: {output: {message: {content: [{text}]}}, stopReason, usage: {inputTokens, outputTokens}}
    const message = isRecord(out.output.message) ? out.output.message : {};
    const usage = isRecord(out.usage) ? out.usage : {};
    const input = count(usage.inputTokens);
    const output = count(usage.outputTokens);
    return {
      kind: 'succeeded',
      customId,
      line,
      text: blocksText(message.content) || undefined,
      usage: {
        input,
        output,
        total: count(usage.totalTokens) || input + output,
        cached: count(usage.cacheReadInputTokenCount),
        cacheWrite: count(usage.cacheWriteInputTokenCount),
      },
      truncated: out.stopReason === 'max_tokens',
      refusal: out.stopReason === 'content_filtered' ? 'refused: content_filtered' : undefined,
      toolInput: undefined,
    };
  }
  return { kind: 'succeeded', customId, line, text: messageText(out), usage: usageOf(out.usage), ...messageEnd(out) };
}
