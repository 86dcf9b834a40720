/**
 * One online request, start to end: validate, storm, rate limits (429), queue (503), wait for a
 * slot, draw the injected fate, run the stand-in model with its latency on the emulator's clock,
 * bill the answer in the shared execution ledger, answer (as one JSON body, or as server-sent
 * events when a chat completion asks to stream: the whole latency comes before the first event). A client that leaves before the answer
 * is ready frees its place and is not billed (a server aborts work nobody waits for); only a
 * lost reply is billed without being heard.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendError, sendJson } from '../http.ts';
import type { EmulatorContext } from '../openai/context.ts';
import { readJsonBody } from '../openai/errors.ts';
import { newRequestId } from '../openai/ids.ts';
import { spoilIfChosen } from '../invalid-answer.ts';
import { runModel, type ModelResult } from '../model.ts';
import { faultAnswer, queueFullAnswer, rateLimitAnswer, stormAnswer, type OnlineErrorAnswer } from './errors.ts';
import { chatChunks, includesUsage, sendEventStream } from './chat-stream.ts';
import { fateOf, stormLeft } from './faults.ts';
import { parseOnlineRequest, servedTier, type OnlineEndpoint, type OnlineRequest } from './request.ts';

/** The ledger is appended by every request; one append at a time keeps its read offset right. */
const LEDGER_LOCK = 'online:executions-ledger';

export async function serveOnline(
  ctx: EmulatorContext,
  req: IncomingMessage,
  res: ServerResponse,
  endpoint: OnlineEndpoint,
): Promise<void> {
  const parsed = parseOnlineRequest(endpoint, await readJsonBody(req, ctx.counter), ctx.isKnownModel);
  if (!parsed.ok) {
    ctx.online.stats.status(parsed.error.status);
    throw parsed.error;
  }
  const request = parsed.value;
  const online = ctx.online;
  const faults = ctx.faults.options.online;
  const attempt = online.stats.arrived(request.hash);
  const now = ctx.clock.now();
  const storm = stormLeft(faults, ctx.faults.setAtMs, now);
  if (storm > 0) return answerError(ctx, res, request, stormAnswer(storm));
  const refusal = online.limits.check(request.model, request.chargedTokens, now);
  if (refusal) return answerError(ctx, res, request, rateLimitAnswer(request.model, refusal));
  if (online.slots.full) return answerError(ctx, res, request, queueFullAnswer());
  online.limits.charge(request.model, request.chargedTokens, now);
  online.stats.charged(now, request.chargedTokens);

  const gone = new AbortController();
  res.once('close', () => {
    if (!res.writableEnded) gone.abort();
  });
  const grant = await online.slots.acquire(gone.signal);
  if (!grant.ok) {
    if (grant.reason === 'queue_full') answerError(ctx, res, request, queueFullAnswer());
    return;
  }
  try {
    const fate = fateOf(faults, ctx.seed, request.hash, attempt);
    if (fate.kind === 'error')
      return answerError(ctx, res, request, faultAnswer(fate.fault.status, fate.fault.retryAfterSeconds));
    if (fate.kind === 'hang') {
      online.stats.hung();
      await holdUntilGone(ctx, gone.signal, faults?.hangMs);
      req.socket.destroy();
      return;
    }
    const started = ctx.clock.now();
    const result = runModel(
      endpoint,
      request.body,
      Math.floor(started / 1000),
      `online/${newRequestId()}`,
      request.promptTokens,
    );
    // Every online endpoint is one the stand-in serves; null would be a routing bug.
    if (!result) throw new Error(`the stand-in model does not serve ${endpoint}`);
    const latency = online.latencyMs(result.outputTokens) / ctx.speed;
    if (latency > 0 && !(await sleepUnlessGone(ctx, latency, gone.signal))) return;
    if (gone.signal.aborted) return;
    await bill(ctx, request, result, endpoint);
    if (fate.kind === 'lose-reply') {
      online.stats.lostReply();
      req.socket.destroy();
      return;
    }
    const body =
      endpoint === '/v1/chat/completions' ? { ...result.body, service_tier: servedTier(request.body) } : result.body;
    online.stats.status(200);
    const headers = {
      ...online.rateLimitHeaders(request.model, ctx.clock.now()),
      'openai-processing-ms': String(Math.round(ctx.clock.now() - started)),
    };
    if (request.body.stream === true)
      sendEventStream(res, chatChunks(body, includesUsage(request.body)), ctx.counter, headers);
    else sendJson(res, 200, body, ctx.counter, headers);
  } finally {
    grant.release();
  }
}

function answerError(
  ctx: EmulatorContext,
  res: ServerResponse,
  request: OnlineRequest,
  answer: OnlineErrorAnswer,
): void {
  ctx.online.stats.status(answer.error.status);
  sendError(res, answer.error, ctx.counter, {
    ...ctx.online.rateLimitHeaders(request.model, ctx.clock.now()),
    ...answer.headers,
  });
}

/** Notes the answer as executed and paid, durably, before anyone can hear of it. */
async function bill(
  ctx: EmulatorContext,
  request: OnlineRequest,
  result: ModelResult,
  endpoint: OnlineEndpoint,
): Promise<void> {
  await ctx.locks.run(LEDGER_LOCK, async () => {
    await ctx.ledger.refresh();
    // Online requests have no custom id: the invalid-replies fault draws by body only.
    if (endpoint !== '/v1/embeddings') spoilIfChosen(ctx, '', request.hash, request.body, result);
    else if (ctx.ledger.markSucceeded(request.hash)) ctx.stats.add('duplicateExecutions');
    await ctx.ledger.flush();
  });
  ctx.stats.add('requestsExecuted');
  ctx.stats.add('inputTokens', result.inputTokens);
  ctx.stats.add('outputTokens', result.outputTokens);
  ctx.stats.add('cachedTokens', result.cachedTokens ?? 0);
  ctx.online.stats.answered(ctx.clock.now(), request.hash, result.inputTokens, result.outputTokens);
}

/** Sleeps `ms` on the emulator's clock; false when the client left first. */
async function sleepUnlessGone(ctx: EmulatorContext, ms: number, signal: AbortSignal): Promise<boolean> {
  try {
    await ctx.clock.sleep(ms, signal);
    return true;
  } catch (e) {
    if (signal.aborted) return false;
    throw e;
  }
}

/** A hung request: held until its client leaves, or for `hangMs` of emulator time when set. */
async function holdUntilGone(ctx: EmulatorContext, signal: AbortSignal, hangMs: number | undefined): Promise<void> {
  if (hangMs !== undefined) {
    await sleepUnlessGone(ctx, hangMs, signal);
    return;
  }
  if (signal.aborted) return;
  await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}
