/**
 * Azure's create-time quota check ("fail fast", providers.md B.3): the file's enqueued tokens are
 * counted at create and, when the deployment's queue (the tokens of its batches not yet finished)
 * cannot take them, `batches.create` itself answers 400 `token_limit_exceeded` instead of a batch
 * that fails minutes later. The reply carries `deployment-enqueued-tokens` (this file's count) and
 * `deployment-maximum-enqueued-tokens` when a quota is configured.
 */
import type { ServerResponse } from 'node:http';
import { isRecord } from '../http.ts';
import { queuedTokens } from '../job.ts';
import { readLines } from '../lines.ts';
import { promptTokens } from '../model.ts';
import type { EmulatorContext } from '../openai/context.ts';
import { ApiError } from '../openai/errors.ts';
import type { AzureSettings } from './settings.ts';

export interface Admitted {
  deployment: string;
  tokens: number;
}

/** Azure's short form of a quota in its message: 30K, 200M. */
function short(n: number): string {
  if (n >= 1_000_000 && n % 1_000_000 === 0) return `${n / 1_000_000}M`;
  if (n >= 1000 && n % 1000 === 0) return `${n / 1000}K`;
  return String(n);
}

/** The deployment of the file's first line and the file's prompt tokens (null: validation will fail it). */
async function countFile(input: string, endpoint: string, factor: number): Promise<Admitted | null> {
  let deployment: string | null = null;
  let tokens = 0;
  for await (const { text } of readLines(input)) {
    let line: unknown;
    try {
      line = JSON.parse(text);
    } catch {
      return null;
    }
    if (!isRecord(line) || !isRecord(line.body) || typeof line.body.model !== 'string') return null;
    deployment ??= line.body.model;
    tokens += promptTokens(endpoint, line.body);
  }
  return deployment === null ? null : { deployment, tokens: Math.ceil(tokens * factor) };
}

export async function admit(
  ctx: EmulatorContext,
  azure: AzureSettings,
  res: ServerResponse,
  input: string,
  endpoint: string,
): Promise<Admitted | null> {
  const limit = (name: string) => (azure.failFast ? azure.maxEnqueuedTokens(name) : undefined);
  const counted = await countFile(input, endpoint, ctx.enqueuedTokenFactor);
  if (!counted) return null;
  const max = limit(counted.deployment);
  if (max === undefined) return counted;
  res.setHeader('deployment-enqueued-tokens', String(counted.tokens));
  res.setHeader('deployment-maximum-enqueued-tokens', String(max));
  await ctx.jobs.refreshAll();
  const enqueued = queuedTokens(ctx.batches.all(), counted.deployment);
  if (enqueued + counted.tokens > max)
    throw new ApiError(
      400,
      `The number of enqueued tokens has surpassed the configured limit of ${short(max)} for the deployment '${counted.deployment}'. Please wait until some of your batch jobs have completed before submitting more (token_limit_exceeded).`,
      null,
      'token_limit_exceeded',
    );
  return counted;
}
