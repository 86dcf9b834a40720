/**
 * How the Mistral flavour runs one line (the shared executor in ../execution.ts streams them): an
 * injected error, a request the endpoint refuses, or the stand-in's answer in Mistral's shape. The
 * docs do not show output lines; this writes the OpenAI-style `{id, custom_id, response:
 * {status_code, body}, error}` that Mistral's own examples and client libraries read: successes to
 * the output file, failures (`status_code` ≥ 400, `error` null) to the error file.
 */
import { canonicalJson, hashText } from '../../util/hash.ts';
import { REQUESTS_PER_SECOND } from '../context.ts';
import { executeUpTo, requestFate, type Row } from '../execution.ts';
import { derivedHex } from '../ids.ts';
import { spoilIfChosen } from '../invalid-answer.ts';
import { promptTokens, runModel, type ModelResult } from '../model.ts';
import { hashUniform } from '../prng.ts';
import type { MistralContext } from './context.ts';
import { checkLine, type LineProblem } from './request.ts';
import type { MistralJob } from './types.ts';

interface InputLine {
  custom_id: string;
  body: Record<string, unknown>;
}

const PARTS = ['output', 'error'] as const;

const errorBody = (message: string, type: string) => ({ object: 'error', message, type, param: null, code: null });

function injected(ctx: MistralContext, fate: '4xx' | '5xx', hash: string): LineProblem {
  if (fate === '4xx')
    return {
      status: 400,
      body: errorBody('Invalid request: rejected by an injected emulator fault.', 'invalid_request_error'),
    };
  return hashUniform(ctx.seed, '5xx-type', hash) < 0.5
    ? { status: 503, body: errorBody('Service unavailable.', 'service_unavailable') }
    : { status: 500, body: errorBody('Internal server error', 'internal_server_error') };
}

/** The stand-in's OpenAI-shaped answer in Mistral's shape: no refusal field (a refusal is said in words), plain usage. */
function mistralBody(endpoint: string, result: ModelResult, id: string): Record<string, unknown> {
  const usage = {
    prompt_tokens: result.inputTokens,
    completion_tokens: result.outputTokens,
    total_tokens: result.inputTokens + result.outputTokens,
  };
  const { body } = result;
  if (endpoint === '/v1/embeddings') return { id, object: 'list', data: body.data, model: body.model, usage };
  const choice = (body.choices as Record<string, unknown>[])[0] ?? {};
  const message = choice.message as Record<string, unknown>;
  const content = message.content ?? message.refusal ?? '';
  return {
    id,
    object: 'chat.completion',
    model: body.model,
    created: body.created,
    choices: [
      { index: 0, message: { role: 'assistant', content, tool_calls: null }, finish_reason: choice.finish_reason },
    ],
    usage,
  };
}

export function executeJob(ctx: MistralContext, j: MistralJob, target: number): Promise<void> {
  const perRequestMs = 1000 / (REQUESTS_PER_SECOND * j.speed);
  return executeUpTo(ctx, ctx.batches, j, target, PARTS, (text, index): Row => {
    const { custom_id, body } = JSON.parse(text) as InputLine;
    const served = typeof body.model === 'string' || j.model === null ? body : { ...body, model: j.model };
    const hash = hashText(canonicalJson(served));
    const id = `batch-${derivedHex(j.id, index)}`;
    const fate = requestFate(ctx, custom_id, hash);
    const problem = fate === 'run' ? checkLine(j.endpoint, served, ctx.models) : injected(ctx, fate, hash);
    if (problem) {
      j.failed++;
      const response = { status_code: problem.status, body: problem.body };
      return { part: 'error', line: { id, custom_id, response, error: null } };
    }
    const created = Math.floor(((j.runningMs ?? j.createdMs) + index * perRequestMs) / 1000);
    const result = runModel(
      j.endpoint,
      served,
      created,
      `${j.id}/${index}`,
      promptTokens(j.endpoint, served),
    ) as ModelResult;
    spoilIfChosen(ctx, custom_id, hash, served, result);
    ctx.stats.add('inputTokens', result.inputTokens);
    ctx.stats.add('outputTokens', result.outputTokens);
    j.succeeded++;
    const response = { status_code: 200, body: mistralBody(j.endpoint, result, derivedHex(j.id, index, 'response')) };
    return { part: 'output', line: { id, custom_id, response, error: null } };
  });
}
