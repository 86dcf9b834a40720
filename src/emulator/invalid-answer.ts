/**
 * Where the invalid-replies fault meets an answer: decide from the fault knobs and the ledger,
 * spoil the answer, and note it — as invalid (so the same body asked again is a re-ask, not a
 * duplicate execution) or as a success.
 */
import type { ExecutionLedger } from './executions.ts';
import type { FaultState } from './faults.ts';
import { forcedTool, requestedSchema } from './structured-answer.ts';
import { invalidReplyFor, spoilAnthropic, spoilGemini, spoilOpenAi } from './invalid-replies.ts';
import type { StatsSink } from './stats.ts';

interface Parts {
  faults: FaultState;
  ledger: ExecutionLedger;
  stats: StatsSink;
  seed: number;
}

interface Answer {
  outputTokens: number;
}

function decide(ctx: Parts, customId: string, hash: string, structured: boolean) {
  if (!structured) return undefined;
  return invalidReplyFor(ctx.faults.options.invalidReplies, ctx.seed, customId, hash, ctx.ledger.invalidReplies(hash));
}

function note(ctx: Parts, hash: string, spoiled: boolean): void {
  if (spoiled) {
    ctx.ledger.markInvalid(hash);
    ctx.stats.add('invalidReplies');
  } else if (ctx.ledger.markSucceeded(hash)) ctx.stats.add('duplicateExecutions');
}

/** An OpenAI-shaped answer (chat completions or Responses) to `body`; notes it in the ledger. */
export function spoilIfChosen(
  ctx: Parts,
  customId: string,
  hash: string,
  body: Record<string, unknown>,
  result: Answer & { body: Record<string, unknown> },
): void {
  const kind = decide(ctx, customId, hash, requestedSchema(body) !== undefined);
  if (kind) result.outputTokens = spoilOpenAi(result.body, kind, String(body.model));
  if (kind && typeof result.body.usage === 'object' && result.body.usage !== null) {
    const usage = result.body.usage as Record<string, number>;
    if ('completion_tokens' in usage) usage.completion_tokens = result.outputTokens;
    else usage.output_tokens = result.outputTokens;
    usage.total_tokens = (usage.prompt_tokens ?? usage.input_tokens ?? 0) + result.outputTokens;
  }
  note(ctx, hash, kind !== undefined);
}

/** An Anthropic message answering `params`; notes it in the ledger. */
export function spoilAnthropicIfChosen(
  ctx: Parts,
  customId: string,
  hash: string,
  params: Record<string, unknown>,
  reply: Answer & { message: Record<string, unknown> },
): void {
  const kind = decide(ctx, customId, hash, forcedTool(params) !== undefined);
  if (kind) {
    reply.outputTokens = spoilAnthropic(reply.message, kind, String(params.model));
    const usage = reply.message.usage as Record<string, number>;
    usage.output_tokens = reply.outputTokens;
  }
  note(ctx, hash, kind !== undefined);
}

/**
 * A Gemini response to a request that asked for a schema (`structured`) or not; notes it in the
 * ledger. True when it was spoiled (noted as invalid, not as paid).
 */
export function spoilGeminiIfChosen(
  ctx: Parts,
  customId: string,
  hash: string,
  structured: boolean,
  reply: Answer & { response: Record<string, unknown> },
  model: string,
): boolean {
  const kind = decide(ctx, customId, hash, structured);
  if (kind) {
    reply.outputTokens = spoilGemini(reply.response, kind, model);
    const usage = reply.response.usageMetadata as Record<string, number>;
    usage.candidatesTokenCount = reply.outputTokens;
    usage.totalTokenCount = (usage.promptTokenCount ?? 0) + reply.outputTokens;
  }
  note(ctx, hash, kind !== undefined);
  return kind !== undefined;
}
