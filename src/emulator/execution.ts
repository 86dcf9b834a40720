/**
 * Executing a batch's requests, a slice at a time as its clock time advances: each line of the
 * input (streamed from the persisted byte offset) gets its fate (injected 4xx/5xx or the
 * stand-in model's reply) and is appended to the batch's partial output or error file. Counts,
 * the cursor and part sizes are saved after each slice, so a restart resumes exactly.
 */
import { readFile } from 'node:fs/promises';
import { canonicalJson, hashText } from '../util/hash.ts';
import { REQUESTS_PER_SECOND, type EmulatorContext } from './context.ts';
import { derivedHex } from './ids.ts';
import { readLines } from './lines.ts';
import { spoilIfChosen } from './invalid-answer.ts';
import { runModel, type Body } from './model.ts';
import { hashUniform } from './prng.ts';
import type { BatchRecord } from './types.ts';
import { LineWriter } from './writer.ts';

interface InputLine {
  custom_id: string;
  body: Body;
}

type Fate = { kind: '4xx' } | { kind: '5xx' } | { kind: 'run' };

function fateOf(ctx: EmulatorContext, customId: string, hash: string): Fate {
  const f = ctx.faults.options.requestErrors;
  if (!f) return { kind: 'run' };
  if (f.customIds4xx?.includes(customId) || (f.rate4xx && hashUniform(ctx.seed, '4xx', hash) < f.rate4xx))
    return { kind: '4xx' };
  const chosen = f.customIds5xx?.includes(customId) || (f.rate5xx && hashUniform(ctx.seed, '5xx', hash) < f.rate5xx);
  // Transient: the same body fails `transientAttempts` times (across batches), then succeeds.
  if (chosen && ctx.ledger.failures5xx(hash) < (f.transientAttempts ?? 1)) return { kind: '5xx' };
  return { kind: 'run' };
}

/** On Azure a line names a deployment: the reply is the deployed model's. */
const servedBody = (ctx: EmulatorContext, body: Body): Body =>
  ctx.azure && typeof body.model === 'string' ? { ...body, model: ctx.azure.modelOf(body.model) } : body;

const errorResponse = (message: string, type: string) => ({ error: { message, type, param: null, code: null } });

/** Runs requests until `rec.executed === target` (never past the input's end). */
export async function executeUpTo(ctx: EmulatorContext, rec: BatchRecord, target: number): Promise<void> {
  if (target <= rec.executed) return;
  await ctx.ledger.refresh();
  const raw = await readFile(ctx.batches.tokens(rec.id));
  const tokens = new Uint32Array(raw.buffer, raw.byteOffset, Math.floor(raw.length / 4));
  const out = await LineWriter.append(ctx.batches.part(rec.id, 'output'), rec.outputPartBytes);
  const errs = await LineWriter.append(ctx.batches.part(rec.id, 'error'), rec.errorPartBytes);
  const perRequestMs = 1000 / (REQUESTS_PER_SECOND * rec.speed);
  try {
    for await (const { text, end } of readLines(ctx.batches.input(rec.id), rec.inputOffset)) {
      if (rec.executed >= target) break;
      if (text.trim() === '') {
        rec.inputOffset = end;
        continue;
      }
      const index = rec.executed;
      const line = JSON.parse(text) as InputLine;
      const hash = hashText(canonicalJson(line.body));
      const id = `batch_req_${derivedHex(rec.id, index)}`;
      const requestId = `req_${derivedHex(rec.id, index, 'req')}`;
      const fate = fateOf(ctx, line.custom_id, hash);
      const created = Math.floor(((rec.inProgressMs ?? rec.createdMs) + index * perRequestMs) / 1000);
      const result =
        fate.kind === 'run'
          ? runModel(rec.endpoint, servedBody(ctx, line.body), created, `${rec.id}/${index}`, tokens[index] ?? 0)
          : null;
      if (fate.kind === 'run' && result) {
        spoilIfChosen(ctx, line.custom_id, hash, line.body, result);
        ctx.stats.add('inputTokens', result.inputTokens);
        ctx.stats.add('outputTokens', result.outputTokens);
        ctx.stats.add('cachedTokens', result.cachedTokens ?? 0);
        rec.inputTokens += result.inputTokens;
        rec.outputTokens += result.outputTokens;
        rec.completed++;
        await out.line({
          id,
          custom_id: line.custom_id,
          response: { status_code: 200, request_id: requestId, body: result.body },
          error: null,
        });
      } else {
        let status = 400;
        let body = errorResponse(
          `The emulator's stand-in model does not serve ${rec.endpoint}.`,
          'invalid_request_error',
        );
        if (fate.kind === '5xx') {
          ctx.ledger.markFailed5xx(hash);
          status = 500;
          body = errorResponse(
            'The server had an error while processing your request. Sorry about that!',
            'server_error',
          );
        } else if (fate.kind === '4xx') {
          body = errorResponse('Invalid request: rejected by an injected emulator fault.', 'invalid_request_error');
        }
        rec.failed++;
        await errs.line({
          id,
          custom_id: line.custom_id,
          response: { status_code: status, request_id: requestId, body },
          error: null,
        });
      }
      ctx.stats.add('requestsExecuted');
      rec.executed++;
      rec.inputOffset = end;
    }
  } finally {
    await out.close();
    await errs.close();
  }
  rec.outputPartBytes += out.bytes;
  rec.outputLines += out.lines;
  rec.errorPartBytes += errs.bytes;
  rec.errorLines += errs.lines;
  await ctx.ledger.flush();
  await ctx.batches.save(rec);
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
  code: 'batch_expired' | 'batch_cancelled',
): Promise<void> {
  if (rec.total === 0) return;
  const errs = await LineWriter.append(ctx.batches.part(rec.id, 'error'), rec.errorPartBytes);
  const message = code === 'batch_expired' ? EXPIRED_MESSAGE : CANCELLED_MESSAGE;
  let index = rec.executed;
  try {
    for await (const { text, end } of readLines(ctx.batches.input(rec.id), rec.inputOffset)) {
      rec.inputOffset = end;
      if (text.trim() === '') continue;
      const { custom_id } = JSON.parse(text) as InputLine;
      await errs.line({
        id: `batch_req_${derivedHex(rec.id, index++)}`,
        custom_id,
        response: null,
        error: { code, message },
      });
    }
  } finally {
    await errs.close();
  }
  rec.errorPartBytes += errs.bytes;
  rec.errorLines += errs.lines;
}
