/**
 * How the OpenAI flavour runs one request line (the shared executor in ../execution.ts streams the
 * lines): its fate (an injected 4xx/5xx or the stand-in model's reply) becomes a line of the
 * output file (`response.status_code` 200) or of the error file; requests never run get their
 * `batch_expired`/`batch_cancelled` line as the batch ends.
 */
import { readFile } from 'node:fs/promises';
import { canonicalJson, hashText } from '../../util/hash.ts';
import { REQUESTS_PER_SECOND } from '../context.ts';
import { closeUnrun, executeUpTo, requestFate, type Row } from '../execution.ts';
import { derivedHex } from '../ids.ts';
import { spoilIfChosen } from '../invalid-answer.ts';
import { runModel, type Body } from '../model.ts';
import type { EmulatorContext } from './context.ts';
import type { BatchRecord } from './types.ts';

interface InputLine {
  custom_id: string;
  body: Body;
}

const PARTS = ['output', 'error'] as const;

/** On Azure a line names a deployment: the reply is the deployed model's. */
const servedBody = (ctx: EmulatorContext, body: Body): Body =>
  ctx.azure && typeof body.model === 'string' ? { ...body, model: ctx.azure.modelOf(body.model) } : body;

const errorResponse = (message: string, type: string) => ({ error: { message, type, param: null, code: null } });

const requestLineId = (rec: BatchRecord, index: number) => `batch_req_${derivedHex(rec.id, index)}`;

function failure(ctx: EmulatorContext, rec: BatchRecord, fate: '4xx' | '5xx' | 'run') {
  if (fate === '5xx')
    return {
      status: 500,
      body: errorResponse('The server had an error while processing your request. Sorry about that!', 'server_error'),
    };
  const message =
    fate === '4xx'
      ? 'Invalid request: rejected by an injected emulator fault.'
      : `The emulator's stand-in model does not serve ${rec.endpoint}.`;
  return { status: 400, body: errorResponse(message, 'invalid_request_error') };
}

/** Runs requests until `rec.executed === target`. */
export async function executeBatch(ctx: EmulatorContext, rec: BatchRecord, target: number): Promise<void> {
  if (target <= rec.executed) return;
  const raw = await readFile(ctx.batches.file(rec.id, 'tokens.bin'));
  const tokens = new Uint32Array(raw.buffer, raw.byteOffset, Math.floor(raw.length / 4));
  const perRequestMs = 1000 / (REQUESTS_PER_SECOND * rec.speed);
  await executeUpTo(ctx, ctx.batches, rec, target, PARTS, (text, index): Row => {
    const line = JSON.parse(text) as InputLine;
    const hash = hashText(canonicalJson(line.body));
    const requestId = `req_${derivedHex(rec.id, index, 'req')}`;
    const fate = requestFate(ctx, line.custom_id, hash);
    const created = Math.floor(((rec.runningMs ?? rec.createdMs) + index * perRequestMs) / 1000);
    const result =
      fate === 'run'
        ? runModel(rec.endpoint, servedBody(ctx, line.body), created, `${rec.id}/${index}`, tokens[index] ?? 0)
        : null;
    if (result) {
      spoilIfChosen(ctx, line.custom_id, hash, line.body, result);
      ctx.stats.add('inputTokens', result.inputTokens);
      ctx.stats.add('outputTokens', result.outputTokens);
      ctx.stats.add('cachedTokens', result.cachedTokens ?? 0);
      rec.inputTokens += result.inputTokens;
      rec.outputTokens += result.outputTokens;
      rec.completed++;
      const response = { status_code: 200, request_id: requestId, body: result.body };
      return {
        part: 'output',
        line: { id: requestLineId(rec, index), custom_id: line.custom_id, response, error: null },
      };
    }
    const { status, body } = failure(ctx, rec, fate);
    rec.failed++;
    const response = { status_code: status, request_id: requestId, body };
    return { part: 'error', line: { id: requestLineId(rec, index), custom_id: line.custom_id, response, error: null } };
  });
}

export const EXPIRED_MESSAGE = 'This request could not be executed before the completion window expired.';
export const CANCELLED_MESSAGE = 'This request was not executed because the batch was cancelled.';

/**
 * Writes every request not yet executed to the error file as a never-ran line (`response: null`).
 * These are not counted in `request_counts.failed` (as observed on an expired live batch).
 */
export async function writeUnfinished(
  ctx: EmulatorContext,
  rec: BatchRecord,
  outcome: 'expired' | 'cancelled',
): Promise<void> {
  // A batch that ends before validation has no validated input to speak of.
  if (rec.total === 0) return;
  const code = outcome === 'expired' ? 'batch_expired' : 'batch_cancelled';
  const message = outcome === 'expired' ? EXPIRED_MESSAGE : CANCELLED_MESSAGE;
  await closeUnrun(ctx.batches, rec, PARTS, (text, index) => {
    const { custom_id } = JSON.parse(text) as InputLine;
    return {
      part: 'error',
      line: { id: requestLineId(rec, index), custom_id, response: null, error: { code, message } },
    };
  });
}
