/** Test controls under /_emulator: stats, moving the clock, replacing faults, forcing expiry. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { forceExpireMessageBatch } from './anthropic/routes.ts';
import { found } from './batches-routes.ts';
import type { EmulatorContext } from './context.ts';
import { faultOptionsSchema } from './faults.ts';
import { ApiError, isRecord, readJsonBody, sendJson } from './http.ts';
import { forceExpire } from './lifecycle.ts';
import { collectStats } from './stats-view.ts';
import { batchObject } from './wire.ts';

export async function handleControl(
  ctx: EmulatorContext,
  req: IncomingMessage,
  res: ServerResponse,
  method: string,
  pathname: string,
): Promise<void> {
  if (method === 'GET' && pathname === '/_emulator/stats')
    return sendJson(res, 200, await collectStats(ctx), ctx.counter);
  if (method === 'POST' && pathname === '/_emulator/clock') {
    const body = await readJsonBody(req, ctx.counter);
    const ms = isRecord(body) ? body.advanceMs : undefined;
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0)
      throw new ApiError(400, 'Expected a JSON body {"advanceMs": N} with N >= 0.', 'advanceMs');
    ctx.advanceClock(ms);
    return sendJson(res, 200, { now: ctx.clock.now() }, ctx.counter);
  }
  if (method === 'POST' && pathname === '/_emulator/faults') {
    const body = await readJsonBody(req, ctx.counter);
    const parsed = faultOptionsSchema.safeParse(body ?? {});
    if (!parsed.success) throw new ApiError(400, `Invalid fault options: ${parsed.error.message}`);
    ctx.faults.set(parsed.data);
    return sendJson(res, 200, { faults: ctx.faults.options }, ctx.counter);
  }
  const m = /^\/_emulator\/batches\/([^/]+)\/expire$/.exec(pathname);
  const anthropic = ctx.siblings?.anthropic;
  if (method === 'POST' && m && anthropic?.store.get(decodeURIComponent(m[1] ?? '')))
    return forceExpireMessageBatch(anthropic, decodeURIComponent(m[1] ?? ''), res, `http://${req.headers.host}`);
  // An Azure batch is expired on its own context (its jobs never expire on their own).
  const azure = ctx.siblings?.azure;
  const owner = m && azure?.batches.get(decodeURIComponent(m[1] ?? '')) ? azure : ctx;
  if (method === 'POST' && m)
    return sendJson(
      res,
      200,
      batchObject(await forceExpire(owner, found(owner, decodeURIComponent(m[1] ?? '')))),
      ctx.counter,
    );
  throw new ApiError(404, `Invalid URL (${method} ${pathname})`);
}
