/**
 * Re-running after kills at the default parallelism, where a kill catches sibling targets' creates
 * in flight. Each part the kill left in `creating` is one of: known not sent (its ledger still says
 * `createNotSent`: created again by the next run), found in the provider's list (adopted), or
 * genuinely unsure — its request may have left, the list does not show it, and only the adoption
 * window (10 min) proves nothing was made. The tool waits that out; so does the test, by moving the
 * build's clock (in-process runs) past the window instead of sleeping.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'vitest';
import { ADOPT_RETRY_WINDOW_MS } from '../../src/stages/batch/adoption.ts';
import { ledgerSchema, type Part } from '../../src/stages/batch/ledger.ts';
import { systemClock, type Clock } from '../../src/util/clock.ts';
import { runCliInProcess } from '../helpers/rig.ts';
import type { E2e } from './helpers.ts';

/** Every part of every batch marker of the job. */
export async function ledgerParts(e: E2e): Promise<Part[]> {
  const dir = e.rig.path('results/mmlu/paraphrase_batch');
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith('.batch.json'));
  const ledgers = await Promise.all(
    names.map(async (n) => ledgerSchema.parse(JSON.parse(await readFile(path.join(dir, n), 'utf8')))),
  );
  return ledgers.flatMap((l) => l.parts);
}

/** Parts a kill left in `creating` besides the one it stopped there (after `creating` or `create`). */
export async function creatingAfterKill(e: E2e, point: string): Promise<number> {
  const creating = (await ledgerParts(e)).filter((p) => p.state === 'creating').length;
  return point === 'after-creating' || point === 'after-create' ? Math.max(0, creating - 1) : creating;
}

/**
 * Builds until done (at most `maxRuns`), every run exiting 0 or 75. A part known not sent never
 * survives a run. Parts genuinely unsure move the clock past the adoption window once per run that
 * leaves them; `nothingSent` (every kill came before any request left): never, so a part that
 * waits for its window fails the test.
 */
export async function recoverByAdoption(
  e: E2e,
  opts: { nothingSent: boolean; maxRuns?: number },
): Promise<{ runs: number; windowsWaited: number }> {
  let offset = 0;
  let windowsWaited = 0;
  const clock: Clock = { now: () => systemClock.now() + offset, sleep: (ms, signal) => systemClock.sleep(ms, signal) };
  const maxRuns = opts.maxRuns ?? 20;
  for (let run = 1; run <= maxRuns; run++) {
    const r = await runCliInProcess(['build'], { cwd: e.rig.dir, env: e.env, clock });
    expect([0, 75], `run ${run} exited ${r.code}:\n${r.stdout}\n${r.stderr}`).toContain(r.code);
    if (r.code === 0) return { runs: run, windowsWaited };
    const parts = await ledgerParts(e);
    expect(parts.filter((p) => p.createNotSent).map((p) => p.n)).toEqual([]);
    if (!opts.nothingSent && parts.some((p) => p.state === 'creating')) {
      offset += ADOPT_RETRY_WINDOW_MS;
      windowsWaited += 1;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`not done after ${maxRuns} runs (${windowsWaited} adoption windows waited out)`);
}
