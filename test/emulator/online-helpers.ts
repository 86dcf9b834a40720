/** Shared pieces of the online-endpoint tests: request bodies, raw calls, waiting on the emulator's state. */
import { vi } from 'vitest';
import type { OnlineStats } from '../../src/emulator/index.ts';
import type { Rig } from './helpers.ts';

export const chatBody = (i: number, extra: Record<string, unknown> = {}) => ({
  model: 'gpt-4.1-mini',
  messages: [{ role: 'user' as const, content: `Paraphrase: <text>A big quick question number ${i}.</text>` }],
  ...extra,
});

export interface RawAnswer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

/** A POST with fetch, for what the SDK hides (headers of a failed call, exact bodies). */
export async function post(rig: Rig, route: string, body: unknown): Promise<RawAnswer> {
  const res = await fetch(`${rig.emulator.url}${route}`, {
    method: 'POST',
    headers: { authorization: 'Bearer test', 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}

export const onlineStats = async (rig: Rig): Promise<OnlineStats> => (await rig.emulator.stats()).online;

/** Waits until the online endpoints reach a state (requests parked on the manual clock, say). */
export async function until(rig: Rig, ready: (s: OnlineStats) => boolean): Promise<void> {
  await vi.waitFor(
    async () => {
      if (!ready(await onlineStats(rig))) throw new Error('not yet');
    },
    { timeout: 10_000, interval: 5 },
  );
}
