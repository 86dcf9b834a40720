/**
 * End-to-end rig: the repo's own pipeline.config.ts in a temp dir (or, for another provider, the
 * same MMLU job on that provider, writing the same paths: test/helpers/mmlu-config.ts), sources
 * from the generator, a test-owned emulator on loopback, and the real CLI in a subprocess pointed
 * at it through that provider's own environment variables.
 */
import { expect } from 'vitest';
import { generateMmluDataset } from '../../src/data/generate-mmlu.ts';
import {
  standInParaphrase,
  startEmulator,
  type EmulatorOptions,
  type RunningEmulator,
} from '../../src/emulator/index.ts';
import { mmluConfig } from '../helpers/mmlu-config.ts';
import { Rig, runCliAuto, type CliResult } from '../helpers/rig.ts';
import { testProfile, type BatchProvider } from '../helpers/test-providers.ts';
import { listAllBatches } from '../reliability/lib.ts';

export const FAKE_KEY = 'sk-test-DO-NOT-LEAK-5f1c2e9a';

/**
 * The providers the provider-independent e2e tests run on (`describe.each`). `startE2e` runs the
 * job on any of BATCH_PROVIDERS; the CLI-level checks of the others run in the batch harness
 * (test/batch, every provider) and test/reliability-fast/provider-crash.test.ts, to keep CI short.
 */
export const E2E_PROVIDERS = ['openai', 'anthropic'] as const satisfies readonly BatchProvider[];
export type E2eProvider = BatchProvider;

export interface E2e {
  provider: E2eProvider;
  /** The environment that points the CLI at the emulator (the provider's key and base URL variables). */
  env: NodeJS.ProcessEnv;
  /** The emulator's control routes (`/_emulator/...`). */
  control: string;
  /** The batch ids the emulator holds for this provider, newest first. */
  batchIds(): Promise<string[]>;
  /** Batches the emulator holds for this provider: with `batchesCreated`, proves where they went. */
  providerBatches(): Promise<number>;
  rig: Rig;
  emulator: RunningEmulator;
  subjects: string[];
  records: number;
  build(args?: string[], env?: NodeJS.ProcessEnv): Promise<CliResult>;
  /** Re-runs `build` until it exits 0 (within `maxSeconds`); every run must exit 0 or 75. Returns the number of runs. */
  buildUntilDone(args?: string[], maxSeconds?: number): Promise<number>;
  dispose(): Promise<void>;
}

export async function startE2e(
  data: { subjects?: number; recordsPerSubject?: number },
  emulatorOptions: Partial<EmulatorOptions> = {},
  batchOptions = '',
  provider: E2eProvider = 'openai',
): Promise<E2e> {
  const rig = await Rig.create('pipeline-e2e-');
  await rig.write({ 'pipeline.config.ts': await mmluConfig(provider, batchOptions) });
  const made = await generateMmluDataset({ outDir: rig.path('results/mmlu/original'), ...data });
  const emulator = await startEmulator({
    stateDir: rig.path('emulator-state'),
    speed: 200,
    ...testProfile(provider).emulator,
    ...emulatorOptions,
  });
  const origin = new URL(emulator.url).origin;
  const profile = testProfile(provider);
  await profile.setUp(origin, FAKE_KEY);
  const env = profile.env(origin, FAKE_KEY);
  // In the test's process unless a failpoint or another process-level hook is asked for.
  const build = (args: string[] = [], extra: NodeJS.ProcessEnv = {}) =>
    runCliAuto(['build', ...args], { cwd: rig.dir, env: { ...env, ...extra } });
  return {
    provider,
    env,
    control: `${origin}/_emulator`,
    async batchIds() {
      return (await listAllBatches(emulator.url, FAKE_KEY, provider)).map((b) => b.id);
    },
    async providerBatches() {
      return testProfile(provider).books(await emulator.stats()).batchesHeld;
    },
    rig,
    emulator,
    subjects: made.subjects,
    records: made.records,
    build,
    async buildUntilDone(args = [], maxSeconds = 120) {
      // Bounded by time, not by a count of runs: how many runs the batches' pace takes depends on
      // how fast each run is (in this process or a subprocess).
      const deadline = Date.now() + maxSeconds * 1000;
      for (let run = 1; ; run++) {
        const result = await build(args);
        expect([0, 75], `run ${run} exited ${result.code}:\n${result.stdout}\n${result.stderr}`).toContain(result.code);
        if (result.code === 0) return run;
        if (Date.now() > deadline) throw new Error(`not done after ${run} runs in ${maxSeconds} s`);
        await new Promise((r) => setTimeout(r, 200));
      }
    },
    async dispose() {
      await emulator.close();
      await rig.dispose();
    },
  };
}

/** Every merged row carries the paraphrase of its own source row, in source order. */
export async function expectMergedCorrectly(e: E2e): Promise<void> {
  for (const subject of e.subjects) {
    const source = (await e.rig.lines(`results/mmlu/original/${subject}.jsonl`)) as {
      question_number: number;
      analysis: string;
    }[];
    const merged = (await e.rig.lines(`results/mmlu/paraphrased/${subject}.jsonl`)) as {
      question_number: number;
      paraphrased_analysis: string;
      paraphrase_tokens: { input: number; output: number; total: number };
    }[];
    expect(merged.map((m) => m.question_number)).toEqual(source.map((s) => s.question_number));
    merged.forEach((m, i) => {
      expect(m.paraphrased_analysis).toBe(standInParaphrase(source[i]!.analysis));
      expect(m.paraphrase_tokens.total).toBe(m.paraphrase_tokens.input + m.paraphrase_tokens.output);
    });
  }
}
