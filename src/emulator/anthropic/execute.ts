/**
 * How the Message Batches flavour processes one request (the shared executor in ../execution.ts
 * streams them): an injected error, a params problem, or the stand-in model's message, as a result
 * line `{custom_id, result}`; requests never processed get their `canceled` or `expired` result
 * as the batch ends.
 */
import { canonicalJson, hashText } from '../../util/hash.ts';
import { closeUnrun, executeUpTo, requestFate, type Row } from '../execution.ts';
import { spoilAnthropicIfChosen } from '../invalid-answer.ts';
import { hashUniform } from '../prng.ts';
import type { AnthropicContext } from './context.ts';
import { errorObject, type AnthropicErrorType } from './errors.ts';
import { derivedRequestId } from './ids.ts';
import { answer } from './message.ts';
import { checkParams } from './request-params.ts';
import type { MessageBatchRecord } from './types.ts';

interface RequestLine {
  custom_id: string;
  params: Record<string, unknown>;
}

const PARTS = ['results'] as const;

/** The error an injected fault gives; both server-side types are seen in real results, fixed by the body. */
function injected(ctx: AnthropicContext, fate: '4xx' | '5xx', hash: string): [AnthropicErrorType, string] {
  if (fate === '4xx') return ['invalid_request_error', 'Invalid request: rejected by an injected emulator fault.'];
  return hashUniform(ctx.seed, '5xx-type', hash) < 0.5
    ? ['overloaded_error', 'Overloaded']
    : ['api_error', 'Internal server error'];
}

/** Processes requests until `rec.executed === target` (never past the last request). */
export function processUpTo(ctx: AnthropicContext, rec: MessageBatchRecord, target: number): Promise<void> {
  return executeUpTo(ctx, ctx.batches, rec, target, PARTS, (text, index): Row => {
    const { custom_id, params } = JSON.parse(text) as RequestLine;
    const hash = hashText(canonicalJson(params));
    const fate = requestFate(ctx, custom_id, hash);
    const problem = fate === 'run' ? checkParams(params, rec.version, ctx.models) : null;
    const [type, message] = fate === 'run' ? [problem?.type, problem?.message] : injected(ctx, fate, hash);
    if (type !== undefined && message !== undefined) {
      rec.counts.errored++;
      const error = errorObject(type, message, derivedRequestId(rec.id, index));
      return { part: 'results', line: { custom_id, result: { type: 'errored', error } } };
    }
    const reply = answer(params, rec.id, index);
    spoilAnthropicIfChosen(ctx, custom_id, hash, params, reply);
    ctx.stats.add('inputTokens', reply.inputTokens);
    ctx.stats.add('outputTokens', reply.outputTokens);
    rec.counts.succeeded++;
    return { part: 'results', line: { custom_id, result: { type: 'succeeded', message: reply.message } } };
  });
}

/** Gives every request not processed yet its `canceled` or `expired` result. */
export function closeUnprocessed(
  ctx: AnthropicContext,
  rec: MessageBatchRecord,
  outcome: 'expired' | 'cancelled',
): Promise<void> {
  const type = outcome === 'expired' ? 'expired' : 'canceled';
  return closeUnrun(ctx.batches, rec, PARTS, (text) => {
    const { custom_id } = JSON.parse(text) as RequestLine;
    rec.counts[type]++;
    return { part: 'results', line: { custom_id, result: { type } } };
  });
}
