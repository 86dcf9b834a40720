/**
 * Gemini Batch Mode through the real CLI against the emulator, reached as Google's server is
 * (GEMINI_API_KEY, GEMINI_BASE_URL), and through @google/genai where a user would act on a batch:
 * - an inline batch's results are read from the batch itself: the list, where the poller finds its
 *   batches, carries no inline responses (providers.md C.5), so taking the list's word for "no
 *   results" would send every request again;
 * - a batch cancelled part-way keeps the rows it finished: an ended operation carries either its
 *   error or its response (C.1), so a cancelled one's rows are in `metadata.output`; only the rest
 *   is sent again;
 * - a row failing with a transient canonical code (rows are google.rpc.Status: a numeric `code`,
 *   14 UNAVAILABLE, 13 INTERNAL) is sent again and succeeds; a 3 INVALID_ARGUMENT is reported by
 *   its name and not resent.
 */
import path from 'node:path';
import { GoogleGenAI } from '@google/genai';
import { afterEach, expect, it } from 'vitest';
import { generateMmluDataset } from '../../src/data/generate-mmlu.ts';
import {
  standInParaphrase,
  startEmulator,
  type EmulatorOptions,
  type RunningEmulator,
} from '../../src/emulator/index.ts';
import { REPO, Rig, runCliAuto, type CliResult } from '../helpers/rig.ts';

const KEY = 'gemini-test-key-DO-NOT-LEAK';

let rig: Rig | undefined;
let emulator: RunningEmulator | undefined;
afterEach(async () => {
  await emulator?.close();
  await rig?.dispose();
  rig = emulator = undefined;
});

function config(): string {
  const from = (rel: string) => JSON.stringify(path.join(REPO, rel));
  return `import { batch, definePipeline, merge, requests, rule } from ${from('src/config/define.ts')};
export default definePipeline({
  root: 'results/mmlu',
  rules: [
    rule({ name: 'requests', inputs: ['original/{subject}.jsonl'], output: 'requests/{subject}.jsonl',
      stage: requests({ provider: 'gemini', model: 'gemini-2.5-flash', system: 'Rewrite it.',
        prompt: 'Paraphrase:\\n<text>\\n{analysis}\\n</text>',
        params: { generationConfig: { temperature: 0.7, maxOutputTokens: 1024 } },
        customId: '{subject}-{question_number}' }) }),
    rule({ name: 'batch', inputs: ['requests/{subject}.jsonl'], output: 'requests/results/{subject}.jsonl',
      marker: 'requests/{subject}.batch.json', stage: batch({ provider: 'gemini', maxAttempts: 3 }) }),
    rule({ name: 'merge', inputs: ['original/{subject}.jsonl', 'requests/results/{subject}.jsonl'],
      output: 'paraphrased/{subject}.jsonl',
      stage: merge({ customId: '{subject}-{question_number}', outputField: 'paraphrased_analysis' }) }),
  ],
});
`;
}

interface Job {
  subjects: string[];
  build(): Promise<CliResult>;
  /** Moves the emulator's clock (its batches' progress) by hand. */
  advance(ms: number): Promise<void>;
  stats(): Promise<{ batchesCreated: number; requestsExecuted: number; duplicateExecutions: number }>;
}

async function start(recordsPerSubject: number, options: Partial<EmulatorOptions>): Promise<Job> {
  rig = await Rig.create('pipeline-gemini-');
  await rig.write({ 'pipeline.config.ts': config() });
  const made = await generateMmluDataset({ outDir: rig.path('results/mmlu/original'), subjects: 2, recordsPerSubject });
  const emu = (emulator = await startEmulator({ stateDir: rig.path('emulator-state'), ...options }));
  const env = { GEMINI_API_KEY: KEY, GEMINI_BASE_URL: emu.geminiUrl };
  const dir = rig.dir;
  return {
    subjects: made.subjects,
    build: () => runCliAuto(['build'], { cwd: dir, env }),
    advance: async (ms) => {
      await fetch(`${emu.geminiUrl}/_emulator/clock`, { method: 'POST', body: JSON.stringify({ advanceMs: ms }) });
    },
    stats: async () => {
      const s = (await emu.stats()) as unknown as { flavours: { gemini: Awaited<ReturnType<Job['stats']>> } };
      return s.flavours.gemini;
    },
  };
}

/** Builds while the emulator's clock moves on, until the build is done (0) or a target failed (1). */
async function buildUntilEnded(job: Job, stepMs = 60_000): Promise<CliResult> {
  for (let i = 0; i < 30; i++) {
    const run = await job.build();
    expect([0, 1, 75], `${run.stdout}\n${run.stderr}`).toContain(run.code);
    if (run.code !== 75) return run;
    await job.advance(stepMs);
  }
  throw new Error('the build did not end in 30 runs');
}

async function expectMerged(subjects: readonly string[]): Promise<void> {
  for (const subject of subjects) {
    const source = (await rig!.lines(`results/mmlu/original/${subject}.jsonl`)) as { analysis: string }[];
    const merged = (await rig!.lines(`results/mmlu/paraphrased/${subject}.jsonl`)) as {
      paraphrased_analysis: string;
    }[];
    expect(merged.map((m) => m.paraphrased_analysis)).toEqual(source.map((s) => standInParaphrase(s.analysis)));
  }
}

it('inline batches: results read from the batch itself, one batch per subject, no request sent twice', async () => {
  const job = await start(5, { speed: 200 });
  const done = await buildUntilEnded(job, 1_000);
  expect(done.code, `${done.stdout}\n${done.stderr}`).toBe(0);
  await expectMerged(job.subjects);
  expect(await job.stats()).toMatchObject({ batchesCreated: 2, requestsExecuted: 10, duplicateExecutions: 0 });
  // They went inline: the results are in the batches, there is no responses file.
  const ai = new GoogleGenAI({ apiKey: KEY, httpOptions: { baseUrl: emulator!.geminiUrl } });
  for await (const b of await ai.batches.list({ config: { pageSize: 10 } })) {
    const full = await ai.batches.get({ name: b.name! });
    expect(full.dest?.fileName).toBeUndefined();
    expect(full.dest?.inlinedResponses).toHaveLength(5);
  }
  expect((await job.build()).code).toBe(0);
}, 120_000);

it('a batch cancelled part-way (through @google/genai) keeps its finished rows; only the rest is sent again', async () => {
  // Slow batches (1 request/s of emulator time after 50 s pending), moved on by hand.
  const job = await start(30, { speed: 0.02 });
  expect((await job.build()).code).toBe(75);
  await job.advance(60_000); // a few rows done in each
  const ai = new GoogleGenAI({ apiKey: KEY, httpOptions: { baseUrl: emulator!.geminiUrl } });
  const names: string[] = [];
  for await (const b of await ai.batches.list({ config: { pageSize: 10 } })) names.push(b.name!);
  expect(names).toHaveLength(2);
  for (const name of names) await ai.batches.cancel({ name });
  await job.advance(60_000);
  for (const name of names) expect((await ai.batches.get({ name })).state).toBe('JOB_STATE_CANCELLED');
  const before = await job.stats();
  expect(before.requestsExecuted).toBeGreaterThan(0);
  expect(before.requestsExecuted).toBeLessThan(60);
  const done = await buildUntilEnded(job, 3_600_000);
  expect(done.code, `${done.stdout}\n${done.stderr}`).toBe(0);
  await expectMerged(job.subjects);
  expect(await job.stats()).toMatchObject({ batchesCreated: 4, requestsExecuted: 60, duplicateExecutions: 0 });
}, 180_000);

it('rows failing with a transient canonical code (14 UNAVAILABLE, 13 INTERNAL) are sent again; 3 INVALID_ARGUMENT is named and final', async () => {
  const job = await start(6, { speed: 200 });
  const [a, b] = job.subjects as [string, string];
  emulator!.setFaults({
    requestErrors: { customIds5xx: [`${a}-2`, `${a}-5`, `${b}-3`], customIds4xx: [`${b}-4`], transientAttempts: 1 },
  });
  const ended = await buildUntilEnded(job, 1_000);
  expect(ended.code).toBe(1);
  expect(ended.stdout).toMatch(new RegExp(`${b}-4\\): INVALID_ARGUMENT`));
  expect(ended.stdout).toContain(`✓ built       paraphrased/${a}.jsonl`);
  const stats = await job.stats();
  // Each subject's batch, then one more for the transient rows of each; the 400 is not resent.
  expect(stats).toMatchObject({ batchesCreated: 4, duplicateExecutions: 0 });
  expect(stats.requestsExecuted).toBe(12 + 3);
  expect((await job.build()).code).toBe(1);
  expect((await job.stats()).batchesCreated).toBe(4);
}, 120_000);
