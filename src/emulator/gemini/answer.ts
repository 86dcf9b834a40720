/**
 * The stand-in model answering a GenerateContentRequest: the same paraphrase (or schema-valid
 * object) the other flavours give for the same prompt, shaped as a GenerateContentResponse with
 * `usageMetadata` from the project's tokenizer. A system instruction is read from the implicit
 * cache for three requests in four (`cachedContentTokenCount`, part of `promptTokenCount`).
 */
import { countTextTokens } from '../../tokens/count.ts';
import { charsOf, derivedBytes } from '../ids.ts';
import { promptCacheHit, replyFor, truncate } from '../model.ts';
import { standInObject } from '../structured-answer.ts';
import { lastUserText, promptTokensOf, type ReadRequest } from './request.ts';

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

export interface StandInResponse {
  response: Record<string, unknown>;
  inputTokens: number;
  outputTokens: number;
  cachedTokens: number;
}

function replyText(r: ReadRequest, user: string): string {
  if (r.schema) return JSON.stringify(standInObject(r.schema, user));
  // JSON asked for without a schema: the paraphrase as a JSON string, which parses.
  return r.json ? JSON.stringify(replyFor(user)) : replyFor(user);
}

/** `key` fixes the response id (the batch and the request's place in it). */
export function answerRequest(r: ReadRequest, model: string, key: string): StandInResponse {
  const user = lastUserText(r);
  const out = truncate(model, replyText(r, user), r.maxOutputTokens);
  const prompt = promptTokensOf(model, r);
  const cached = r.system && promptCacheHit(user) ? Math.min(prompt, countTextTokens(model, r.system)) : 0;
  const usageMetadata = {
    promptTokenCount: prompt,
    candidatesTokenCount: out.tokens,
    totalTokenCount: prompt + out.tokens,
    ...(cached > 0 ? { cachedContentTokenCount: cached } : {}),
    promptTokensDetails: [{ modality: 'TEXT', tokenCount: prompt }],
    ...(cached > 0 ? { cacheTokensDetails: [{ modality: 'TEXT', tokenCount: cached }] } : {}),
  };
  return {
    inputTokens: prompt,
    outputTokens: out.tokens,
    cachedTokens: cached,
    response: {
      candidates: [
        {
          content: { parts: [{ text: out.text }], role: 'model' },
          finishReason: out.cut ? 'MAX_TOKENS' : 'STOP',
          index: 0,
        },
      ],
      usageMetadata,
      modelVersion: model,
      responseId: charsOf(derivedBytes(key, 'response').subarray(0, 23), BASE64URL),
    },
  };
}
