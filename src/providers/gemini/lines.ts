/**
 * Gemini's request lines: `{key, request}`, the request in REST shape (`contents`,
 * `systemInstruction`, `generationConfig`) with its `model` (`models/…`), which the SDK itself sets
 * on inline requests; a reply schema becomes `generationConfig.responseMimeType: application/json`
 * with `responseJsonSchema`. With the result lines (result-line.ts), the provider's wire format.
 */
import type { ChatMessageLike } from '../../tokens/count.ts';
import { isRecord } from '../../util/is-record.ts';
import { requestHash } from '../shared/line-tools.ts';
import type { WireFormat } from '../spec.ts';
import { partsText } from './parts.ts';
import { readResult } from './result-line.ts';

export const GENERATE = 'generateContent';

export const geminiLines: WireFormat = {
  name: "Gemini's",
  idField: 'key',
  writeRequest(settings, customId, system, user) {
    const params = settings.params;
    const generationConfig = {
      ...(isRecord(params.generationConfig) ? params.generationConfig : {}),
      ...(settings.reply ? { responseMimeType: 'application/json', responseJsonSchema: settings.reply.schema } : {}),
    };
    return {
      key: customId,
      request: {
        model: `models/${settings.model}`,
        contents: [{ role: 'user', parts: [{ text: user }] }],
        ...(system !== undefined ? { systemInstruction: { parts: [{ text: system }] } } : {}),
        ...params,
        ...(Object.keys(generationConfig).length > 0 ? { generationConfig } : {}),
      },
    };
  },
  readRequest: (line) =>
    isRecord(line.request)
      ? { body: line.request, model: modelName(line.request.model), endpoint: GENERATE }
      : undefined,
  requestProblem: () => 'missing "request" (a GenerateContentRequest)',
  withBody: (line, body) => ({ ...line, request: body }),
  hash: (line) => requestHash('POST', GENERATE, line.request),
  prompt(body): ChatMessageLike[] {
    const system = isRecord(body.systemInstruction) ? partsText(body.systemInstruction) : undefined;
    const contents = Array.isArray(body.contents) ? (body.contents as unknown[]) : [];
    return [
      ...(system !== undefined ? [{ role: 'system', content: system }] : []),
      ...contents
        .filter(isRecord)
        .map((c) => ({ role: c.role === 'model' ? 'assistant' : 'user', content: partsText(c) ?? '' })),
    ];
  },
  maxOutputTokens(body) {
    const config = isRecord(body.generationConfig) ? body.generationConfig : {};
    const max = config.maxOutputTokens;
    // Each candidate may run to the bound (the budget's worst case counts them all).
    const candidates =
      typeof config.candidateCount === 'number' && config.candidateCount > 1 ? config.candidateCount : 1;
    return typeof max === 'number' && max > 0 ? max * candidates : undefined;
  },
  appendToPrompt(body, text) {
    const contents = Array.isArray(body.contents) ? [...(body.contents as unknown[])] : [];
    for (let i = contents.length - 1; i >= 0; i--) {
      const c = contents[i];
      if (!isRecord(c) || (c.role !== undefined && c.role !== 'user')) continue;
      contents[i] = { ...c, parts: [...(Array.isArray(c.parts) ? (c.parts as unknown[]) : []), { text: text.trim() }] };
      break;
    }
    return { ...body, contents };
  },
  readResult,
};

function modelName(model: unknown): string {
  return typeof model === 'string' ? model.replace(/^models\//, '') : '';
}
