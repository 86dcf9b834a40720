/**
 * How the Gemini flavour runs one request (the shared executor in ../execution.ts streams them):
 * an injected error, a request the service would refuse, or the stand-in's GenerateContentResponse.
 * Rows are written in input order (as the service promises): `{key, response}` or `{key, error}`
 * for a file, `{response, metadata}` or `{error, metadata}` inline (the metadata echoed). A failed
 * row's key is `error`: the docs say only "a status object", so the key is a documented guess.
 */
import { canonicalJson, hashText } from '../../util/hash.ts';
import { executeUpTo, requestFate, type Row, type Rows } from '../execution.ts';
import { isRecord } from '../http.ts';
import { spoilGeminiIfChosen } from '../invalid-answer.ts';
import { hashUniform } from '../prng.ts';
import { answerRequest } from './answer.ts';
import type { GeminiContext } from './context.ts';
import { INVALID_ARGUMENT, rowError, type GoogleStatus } from './errors.ts';
import { readRequest } from './request.ts';
import type { GeminiBatch } from './types.ts';

interface InputLine {
  key?: string;
  metadata?: Record<string, unknown>;
  request: unknown;
}

/** `results` holds the rows; `paid` the hash of each body answered (taken back if the batch expires). */
export const PARTS = ['results', 'paid'] as const;

/** The id faults name a request by: its key, or its metadata's `key`, or its place. */
function customIdOf(line: InputLine, index: number): string {
  if (typeof line.key === 'string') return line.key;
  const key = isRecord(line.metadata) ? line.metadata.key : undefined;
  return typeof key === 'string' ? key : String(index);
}

function injected(ctx: GeminiContext, fate: '4xx' | '5xx', hash: string): [GoogleStatus, string] {
  if (fate === '4xx') return ['INVALID_ARGUMENT', INVALID_ARGUMENT];
  return hashUniform(ctx.seed, '5xx-type', hash) < 0.5
    ? ['UNAVAILABLE', 'The model is overloaded. Please try again later.']
    : [
        'INTERNAL',
        'An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting',
      ];
}

/** The row for a line: the outcome under `key` (file) or beside the echoed `metadata` (inline). */
function rowOf(b: GeminiBatch, line: InputLine, outcome: Record<string, unknown>): Row {
  if (b.inputFile !== null)
    return { part: 'results', line: { ...(line.key === undefined ? {} : { key: line.key }), ...outcome } };
  return { part: 'results', line: { ...outcome, ...(line.metadata === undefined ? {} : { metadata: line.metadata }) } };
}

export function executeBatch(ctx: GeminiContext, b: GeminiBatch, target: number): Promise<void> {
  return executeUpTo(ctx, ctx.batches, b, target, PARTS, (text, index): Rows => {
    const line = JSON.parse(text) as InputLine;
    const customId = customIdOf(line, index);
    const hash = hashText(canonicalJson({ model: b.model, request: line.request }));
    const fate = requestFate(ctx, customId, hash);
    const read = fate === 'run' ? readRequest(line.request, b.model, ctx.models) : undefined;
    if (read === undefined || typeof read === 'string') {
      const [status, message] =
        read === undefined ? injected(ctx, fate as '4xx' | '5xx', hash) : ['INVALID_ARGUMENT' as const, read];
      b.failed++;
      return rowOf(b, line, { error: rowError(status, message) });
    }
    const reply = answerRequest(read, b.model, `${b.id}/${index}`);
    const spoiled = spoilGeminiIfChosen(ctx, customId, hash, read.schema !== undefined, reply, b.model);
    ctx.stats.add('inputTokens', reply.inputTokens);
    ctx.stats.add('outputTokens', reply.outputTokens);
    ctx.stats.add('cachedTokens', reply.cachedTokens);
    b.succeeded++;
    const row = rowOf(b, line, { response: reply.response });
    return spoiled ? row : [row, { part: 'paid', line: hash }];
  });
}
