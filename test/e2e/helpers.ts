/**
 * End-to-end rig: the repo's own pipeline.config.ts in a temp dir, sources from the generator, a
 * test-owned emulator on loopback, and the real CLI in a subprocess pointed at it.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'vitest';
import { generateMmluDataset } from '../../src/data/generate-mmlu.ts';
import {
  standInParaphrase,
  startEmulator,
  type EmulatorOptions,
  type RunningEmulator,
} from '../../src/emulator/index.ts';
import { REPO, Rig, type CliResult } from '../helpers/rig.ts';

export const FAKE_KEY = 'sk-test-DO-NOT-LEAK-5f1c2e9a';

export interface E2e {
  rig: Rig;
  emulator: RunningEmulator;
  subjects: string[];
  records: number;
  build(args?: string[], env?: NodeJS.ProcessEnv): Promise<CliResult>;
  /** Re-runs `build` until it exits 0; every run must exit 0 or 75. Returns the number of runs. */
  buildUntilDone(args?: string[], maxRuns?: number): Promise<number>;
  dispose(): Promise<void>;
}

export async function startE2e(
  data: { subjects?: number; recordsPerSubject?: number },
  emulatorOptions: Partial<EmulatorOptions> = {},
  batchOptions = '',
): Promise<E2e> {
  const rig = await Rig.create('pipeline-e2e-');
  const config = (await readFile(path.join(REPO, 'pipeline.config.ts'), 'utf8')).replace(
    "'./src/config/define.ts'",
    JSON.stringify(path.join(REPO, 'src/config/define.ts')),
  );
  // Options given here come after the config's own, so they win.
  const withOptions = config.replace(
    /stage: batch\(\{ ?(.*?) ?\}\)/,
    (_, own: string) => `stage: batch({ ${[own, batchOptions].filter(Boolean).join(', ')} })`,
  );
  await rig.write({ 'pipeline.config.ts': withOptions });
  const made = await generateMmluDataset({ outDir: rig.path('results/mmlu/original'), ...data });
  const emulator = await startEmulator({ stateDir: rig.path('emulator-state'), speed: 200, ...emulatorOptions });
  const env = { OPENAI_API_KEY: FAKE_KEY, OPENAI_BASE_URL: emulator.url };
  const build = (args: string[] = [], extra: NodeJS.ProcessEnv = {}) =>
    rig.cli(['build', ...args], { env: { ...env, ...extra } });
  return {
    rig,
    emulator,
    subjects: made.subjects,
    records: made.records,
    build,
    async buildUntilDone(args = [], maxRuns = 30) {
      for (let run = 1; run <= maxRuns; run++) {
        const result = await build(args);
        expect([0, 75], `run ${run} exited ${result.code}:\n${result.stdout}\n${result.stderr}`).toContain(result.code);
        if (result.code === 0) return run;
        await new Promise((r) => setTimeout(r, 200));
      }
      throw new Error(`not done after ${maxRuns} runs`);
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
