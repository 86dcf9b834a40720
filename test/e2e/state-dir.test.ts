/**
 * State lives where the config says (issue #31.7): with `stateDir: 'state'`, a build that learns
 * a provider limit, pays for results, caches them and merges — then `status` reading the money
 * back — writes its state log, request caches, part files, spend log and learned limits under
 * `results/mmlu/state/`, and nothing anywhere under a `.pipeline` directory. The CLI runs
 * in-process on a ManualClock shared with the emulator (no real time for batches or back-off).
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { generateMmluDataset } from '../../src/data/generate-mmlu.ts';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.ts';
import { ManualClock } from '../../src/util/clock.ts';
import { mmluConfig } from '../helpers/mmlu-config.ts';
import { Rig } from '../helpers/rig.ts';
import { expectMergedCorrectly, type E2e } from './helpers.ts';
import { capture } from '../helpers/capture.ts';

let rig: Rig | undefined;
let emulator: RunningEmulator | undefined;
afterEach(async () => {
  await emulator?.close();
  await rig?.dispose();
});

/** Every path under `dir`, relative to it. */
async function walk(dir: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(path.join(dir, rel), { withFileTypes: true })) {
    const child = path.join(rel, entry.name);
    out.push(child);
    if (entry.isDirectory()) out.push(...(await walk(dir, child)));
  }
  return out;
}

it('a custom stateDir: every cache, spend log and learned limit is under it, nothing under .pipeline', async () => {
  rig = await Rig.create('pipeline-state-dir-');
  const config = (await mmluConfig('openai', 'tokenLimitBackoffSeconds: 1')).replace(
    "root: 'results/mmlu',",
    "root: 'results/mmlu',\n  stateDir: 'state',",
  );
  expect(config).toContain("stateDir: 'state'");
  await rig.write({ 'pipeline.config.ts': config });
  const made = await generateMmluDataset({
    outDir: rig.path('results/mmlu/original'),
    subjects: 3,
    recordsPerSubject: 8,
  });
  const clock = new ManualClock(Date.now());
  // A queue that holds about one subject's requests: the first round fails on it and the limit is learned.
  emulator = await startEmulator({ stateDir: rig.path('emulator'), clock, speed: 5, enqueuedTokenLimit: 3_000 });
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NO_COLOR: '1',
    OPENAI_API_KEY: 'k',
    OPENAI_BASE_URL: emulator.url,
  };
  const run = async (args: string[]) => {
    const stdout = capture();
    let finished = false;
    const running = main(args, {
      stdout,
      stderr: stdout,
      cwd: rig!.dir,
      env,
      signal: new AbortController().signal,
      clock,
    });
    void running.finally(() => (finished = true));
    while (!finished) {
      await new Promise((r) => setTimeout(r, 10));
      clock.advance(500);
    }
    return { code: await running, text: stdout.text };
  };
  const build = await run(['build', '--wait']);
  expect(build.code, build.text).toBe(0);
  expect((await emulator.stats()).batchesByStatus.failed ?? 0).toBeGreaterThan(0); // a limit was learned
  const status = await run(['status']);
  expect(status.text).toMatch(/spent \$0\.\d+/);
  // What was learned, and when (issue #31.6): in the table's footer and as JSON.
  expect(status.text).toMatch(
    /Learned provider limits:\n {2}openai gpt-4\.1 \(\/v1\/chat\/completions\): 3,000 enqueued tokens, stated 20\d\d-\d\d-\d\d \d\d:\d\d UTC \(\d+ min ago\) \(batch_\w+ failed on it\); forgotten after /,
  );
  const limits = await run(['status', '--json', '--limits']);
  expect(JSON.parse(limits.text)).toMatchObject([
    { provider: 'openai', endpoint: '/v1/chat/completions', model: 'gpt-4.1', statedLimit: 3_000, plannedLimit: 3_000 },
  ]);
  await expectMergedCorrectly({ rig, subjects: made.subjects } as unknown as E2e);

  const everything = await walk(rig.dir);
  expect(everything.filter((p) => p.split(path.sep).includes('.pipeline'))).toEqual([]);
  const state = await walk(rig.path('results/mmlu/state'));
  expect(state).toEqual(
    expect.arrayContaining([
      'targets.log',
      'spend.jsonl',
      'provider-limits.json',
      path.join('cache', 'paraphrase_batch'),
    ]),
  );
  expect(JSON.parse(await readFile(rig.path('results/mmlu/state/provider-limits.json'), 'utf8'))).toMatchObject({
    limits: [{ provider: 'openai', endpoint: '/v1/chat/completions', model: 'gpt-4.1', limit: 3_000 }],
  });
  expect(state.some((p) => p.startsWith(path.join('cache', 'paraphrase_batch', 'results')))).toBe(true);
}, 120_000);
