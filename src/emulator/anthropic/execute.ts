/**
 * Processing a message batch's requests, a slice at a time as its clock time advances: each
 * request (streamed from the persisted byte offset) gets its fate — an injected error, a params
 * problem, or the stand-in model's message — and its result line is appended to the partial
 * results. Counts, the cursor and the part's size are saved after each slice, so a restart resumes
 * exactly. Injected 5xx-like errors are transient per request body, as on the OpenAI side.
 */
import { canonicalJson, hashText } from '../../util/hash.ts';
import { readLines } from '../lines.ts';
import { hashUniform } from '../prng.ts';
import { LineWriter } from '../writer.ts';
import type { AnthropicContext } from './context.ts';
import { errorObject, type AnthropicErrorType } from './errors.ts';
import { derivedRequestId } from './ids.ts';
import { spoilAnthropicIfChosen } from '../invalid-answer.ts';
import { answer } from './message.ts';
import { checkParams } from './request-params.ts';
import type { MessageBatchRecord } from './types.ts';

interface RequestLine {
  custom_id: string;
  params: Record<string, unknown>;
}

type Fate = { kind: 'error'; type: AnthropicErrorType; message: string; transient: boolean } | { kind: 'run' };

const OVERLOADED = 'Overloaded';
const API_ERROR = 'Internal server error';
const INJECTED_INVALID = 'Invalid request: rejected by an injected emulator fault.';

function fateOf(ctx: AnthropicContext, customId: string, hash: string): Fate {
  const f = ctx.faults.options.requestErrors;
  if (!f) return { kind: 'run' };
  if (f.customIds4xx?.includes(customId) || (f.rate4xx && hashUniform(ctx.seed, '4xx', hash) < f.rate4xx))
    return { kind: 'error', type: 'invalid_request_error', message: INJECTED_INVALID, transient: false };
  const chosen = f.customIds5xx?.includes(customId) || (f.rate5xx && hashUniform(ctx.seed, '5xx', hash) < f.rate5xx);
  if (chosen && ctx.ledger.failures5xx(hash) < (f.transientAttempts ?? 1)) {
    // Both server-side types are seen in real results; which one is fixed by the body.
    const overloaded = hashUniform(ctx.seed, '5xx-type', hash) < 0.5;
    return overloaded
      ? { kind: 'error', type: 'overloaded_error', message: OVERLOADED, transient: true }
      : { kind: 'error', type: 'api_error', message: API_ERROR, transient: true };
  }
  return { kind: 'run' };
}

const errored = (rec: MessageBatchRecord, index: number, type: AnthropicErrorType, message: string) => ({
  type: 'errored',
  error: errorObject(type, message, derivedRequestId(rec.id, index)),
});

/** Processes requests until `rec.executed === target` (never past the last request). */
export async function processUpTo(ctx: AnthropicContext, rec: MessageBatchRecord, target: number): Promise<void> {
  if (target <= rec.executed) return;
  await ctx.ledger.refresh();
  const out = await LineWriter.append(ctx.store.part(rec.id), rec.partBytes);
  try {
    for await (const { text, end } of readLines(ctx.store.requests(rec.id), rec.inputOffset)) {
      if (rec.executed >= target) break;
      if (text.trim() === '') {
        rec.inputOffset = end;
        continue;
      }
      const index = rec.executed;
      const { custom_id, params } = JSON.parse(text) as RequestLine;
      const hash = hashText(canonicalJson(params));
      const fate = fateOf(ctx, custom_id, hash);
      const problem = fate.kind === 'run' ? checkParams(params, rec.version, ctx.models) : null;
      let result: unknown;
      if (fate.kind === 'error') {
        if (fate.transient) ctx.ledger.markFailed5xx(hash);
        result = errored(rec, index, fate.type, fate.message);
        rec.counts.errored++;
      } else if (problem) {
        result = errored(rec, index, problem.type, problem.message);
        rec.counts.errored++;
      } else {
        const reply = answer(params, rec.id, index);
        spoilAnthropicIfChosen(ctx, custom_id, hash, params, reply);
        ctx.stats.add('inputTokens', reply.inputTokens);
        ctx.stats.add('outputTokens', reply.outputTokens);
        result = { type: 'succeeded', message: reply.message };
        rec.counts.succeeded++;
      }
      await out.line({ custom_id, result });
      ctx.stats.add('requestsExecuted');
      rec.executed++;
      rec.inputOffset = end;
    }
  } finally {
    await out.close();
  }
  rec.partBytes += out.bytes;
  rec.partLines += out.lines;
  await ctx.ledger.flush();
  await ctx.store.save(rec);
}

/** Gives every request not processed yet its `canceled` or `expired` result. */
export async function closeUnprocessed(
  ctx: AnthropicContext,
  rec: MessageBatchRecord,
  type: 'canceled' | 'expired',
): Promise<void> {
  const out = await LineWriter.append(ctx.store.part(rec.id), rec.partBytes);
  try {
    for await (const { text, end } of readLines(ctx.store.requests(rec.id), rec.inputOffset)) {
      rec.inputOffset = end;
      if (text.trim() === '') continue;
      const { custom_id } = JSON.parse(text) as RequestLine;
      await out.line({ custom_id, result: { type } });
      rec.counts[type]++;
    }
  } finally {
    await out.close();
  }
  rec.partBytes += out.bytes;
  rec.partLines += out.lines;
}
