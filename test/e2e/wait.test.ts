/**
 * `build --wait` runs to completion on an injected clock: the emulator and the CLI share a
 * ManualClock that the test moves forward, so no real time is waited for batch progress. Piped
 * output shows plain periodic progress lines.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { generateMmluDataset } from '../../src/data/generate-mmlu.ts';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.ts';
import { ManualClock } from '../../src/util/clock.ts';
import { REPO, Rig } from '../helpers/rig.ts';
import { expectMergedCorrectly } from './helpers.ts';
import { capture } from '../helpers/capture.ts';

let rig: Rig | undefined;
let emulator: RunningEmulator | undefined;
afterEach(async () => {
  await emulator?.close();
  await rig?.dispose();
});

it('waits, polling with backoff on the injected clock, until nothing is pending', async () => {
  rig = await Rig.create('pipeline-wait-');
  const config = (await readFile(path.join(REPO, 'pipeline.config.ts'), 'utf8')).replace(
    "'./src/config/define.ts'",
    JSON.stringify(path.join(REPO, 'src/config/define.ts')),
  );
  await rig.write({ 'pipeline.config.ts': config });
  const made = await generateMmluDataset({
    outDir: rig.path('results/mmlu/original'),
    subjects: 3,
    recordsPerSubject: 40,
  });
  const clock = new ManualClock(Date.now());
  emulator = await startEmulator({ stateDir: rig.path('emulator'), clock, speed: 0.1 }); // ~25 s of clock time per batch
  const stdout = capture();
  const stderr = capture();
  let finished = false;
  const run = main(['build', '--wait'], {
    stdout,
    stderr,
    cwd: rig.dir,
    env: { OPENAI_API_KEY: 'k', OPENAI_BASE_URL: emulator.url },
    signal: new AbortController().signal,
    clock,
  }).finally(() => (finished = true));
  let advances = 0;
  while (!finished) {
    await new Promise((r) => setTimeout(r, 10));
    clock.advance(250);
    advances += 1;
  }
  expect(await run).toBe(0);
  expect(advances).toBeGreaterThan(3);
  const waits = stdout.text.split('\n').filter((l) => l.startsWith('waiting: '));
  expect(waits.length).toBeGreaterThan(1);
  expect(waits[0]).toMatch(/^waiting: 3 pending, \d+\/120 requests/);
  expect(stdout.text).toMatch(/9 built\n$/);
  expect(stderr.text).toContain('waiting for pending batches');
  expect(made.records).toBe(120);
  await expectMergedCorrectly({ rig, subjects: made.subjects } as Parameters<typeof expectMergedCorrectly>[0]);
});
