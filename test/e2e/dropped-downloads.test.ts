/**
 * Result downloads whose connection drops part-way (issue #31.4): the emulator cuts half of all
 * file downloads mid-body (reset or closed early), and `build --wait` through the CLI and the
 * provider's real SDK still finishes with every row merged, nothing paid twice, and never a
 * "stage crashed". The CLI runs in-process on a ManualClock shared with the emulator, so the
 * download's back-off and the batches' progress cost no real time.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { generateMmluDataset } from '../../src/data/generate-mmlu.ts';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.ts';
import { ManualClock } from '../../src/util/clock.ts';
import { mmluConfig } from '../helpers/mmlu-config.ts';
import { Rig } from '../helpers/rig.ts';
import { expectMergedCorrectly, type E2e, type E2eProvider } from './helpers.ts';
import { capture } from '../helpers/capture.ts';

let rig: Rig | undefined;
let emulator: RunningEmulator | undefined;
afterEach(async () => {
  await emulator?.close();
  await rig?.dispose();
});

describe.each(['openai', 'anthropic'] as E2eProvider[])('%s: downloads cut mid-body', (provider) => {
  it('build --wait finishes with every row, no stage crashed, nothing paid twice', async () => {
    rig = await Rig.create('pipeline-cut-');
    await rig.write({ 'pipeline.config.ts': await mmluConfig(provider) });
    const made = await generateMmluDataset({
      outDir: rig.path('results/mmlu/original'),
      subjects: 3,
      recordsPerSubject: 12,
    });
    const clock = new ManualClock(Date.now());
    emulator = await startEmulator({
      stateDir: rig.path('emulator'),
      clock,
      speed: 5,
      seed: 4,
      faults: { cutDownloads: { rate: 0.5 } },
    });
    const origin = new URL(emulator.url).origin;
    const env =
      provider === 'anthropic'
        ? { ANTHROPIC_API_KEY: 'k', ANTHROPIC_BASE_URL: origin }
        : { OPENAI_API_KEY: 'k', OPENAI_BASE_URL: emulator.url };
    const stdout = capture();
    const stderr = capture();
    let finished = false;
    const run = main(['build', '--wait'], {
      stdout,
      stderr,
      cwd: rig.dir,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1', ...env },
      signal: new AbortController().signal,
      clock,
    }).finally(() => (finished = true));
    while (!finished) {
      await new Promise((r) => setTimeout(r, 10));
      clock.advance(250);
    }
    const code = await run;
    const output = stdout.text + stderr.text;
    expect(code, output).toBe(0);
    expect(output).not.toMatch(/crashed/);
    const stats = await emulator.stats();
    expect(stats.downloadsCut).toBeGreaterThan(0); // the fault really fired
    expect(stats.batchesCreated).toBe(3);
    expect(stats.requestsExecuted).toBe(36);
    expect(stats.duplicateExecutions).toBe(0);
    await expectMergedCorrectly({ rig, subjects: made.subjects } as unknown as E2e);
  }, 120_000);
});
