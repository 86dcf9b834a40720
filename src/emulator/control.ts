/**
 * Test controls under /_emulator, for every flavour: stats, moving the clock, replacing faults,
 * forcing a batch of any flavour to expire. Not counted, never faulted; errors in OpenAI's envelope.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { faultOptionsSchema, type FaultState } from './faults.ts';
import type { ServedFlavour } from './flavours.ts';
import { isRecord, sendError, sendJson, type ByteCounter } from './http.ts';
import { ApiError, readJsonBody } from './openai/errors.ts';
import { newRequestId } from './openai/ids.ts';
import type { Clock } from '../util/clock.ts';
import type { EmulatorStats } from './types.ts';

export interface Controls {
  clock: Clock;
  faults: FaultState;
  counter: ByteCounter;
  flavours: readonly ServedFlavour[];
  stats(): Promise<EmulatorStats>;
  /** Moves this emulator's time forward, on top of the injected clock. */
  advanceClock(ms: number): void;
}

async function route(c: Controls, req: IncomingMessage, res: ServerResponse, method: string, pathname: string) {
  if (method === 'GET' && pathname === '/_emulator/stats') return sendJson(res, 200, await c.stats(), c.counter);
  if (method === 'POST' && pathname === '/_emulator/clock') {
    const body = await readJsonBody(req, c.counter);
    const ms = isRecord(body) ? body.advanceMs : undefined;
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0)
      throw new ApiError(400, 'Expected a JSON body {"advanceMs": N} with N >= 0.', 'advanceMs');
    c.advanceClock(ms);
    return sendJson(res, 200, { now: c.clock.now() }, c.counter);
  }
  if (method === 'POST' && pathname === '/_emulator/faults') {
    const body = await readJsonBody(req, c.counter);
    const parsed = faultOptionsSchema.safeParse(body ?? {});
    if (!parsed.success) throw new ApiError(400, `Invalid fault options: ${parsed.error.message}`);
    c.faults.set(parsed.data);
    return sendJson(res, 200, { faults: c.faults.options }, c.counter);
  }
  const m = /^\/_emulator\/batches\/([^/]+)\/expire$/.exec(pathname);
  if (method === 'POST' && m) {
    const id = decodeURIComponent(m[1] ?? '');
    for (const flavour of c.flavours) {
      const expired = await flavour.forceExpire(id, `http://${req.headers.host}`);
      if (expired !== undefined) return sendJson(res, 200, expired, c.counter);
    }
    throw new ApiError(404, `No batch found with id '${id}'.`);
  }
  throw new ApiError(404, `Invalid URL (${method} ${pathname})`);
}

export async function handleControl(c: Controls, req: IncomingMessage, res: ServerResponse, pathname: string) {
  res.setHeader('x-request-id', newRequestId());
  res.setHeader('date', new Date(c.clock.now()).toUTCString());
  try {
    await route(c, req, res, req.method ?? 'GET', pathname);
  } catch (e) {
    if (res.headersSent) return void res.destroy();
    const message = `The emulator failed: ${e instanceof Error ? e.message : String(e)}`;
    const error = e instanceof ApiError ? e : new ApiError(500, message, null, null, 'server_error');
    sendError(res, error, c.counter);
  }
}
