/**
 * The user's Anthropic example, as a user runs it: `build -C examples/anthropic.config.ts
 * --offline --wait` in a subprocess, from a copy of the repository's examples (their imports of
 * src/ pointed back at the repository), writing merged records in the seed's format to
 * paraphrased-anthropic/; and without a key, the error naming ANTHROPIC_API_KEY and --offline.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { generateMmluDataset } from '../../src/data/generate-mmlu.ts';
import { standInParaphrase } from '../../src/emulator/index.ts';
import { REPO, Rig } from '../helpers/rig.ts';

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.dispose();
  rig = undefined;
});

const CONFIG = 'examples/anthropic.config.ts';

/** The example and the job it declares, copied as they are but for where they find src/. */
async function exampleRig(subjects: number, recordsPerSubject: number): Promise<{ rig: Rig; subjects: string[] }> {
  const r = await Rig.create('pipeline-anthropic-example-');
  const src = JSON.stringify(path.join(REPO, 'src')).slice(1, -1);
  for (const file of [CONFIG, 'examples/mmlu-paraphrase.ts']) {
    const text = await readFile(path.join(REPO, file), 'utf8');
    await r.write({ [file]: text.replaceAll("'../src/", `'${src}/`) });
  }
  const made = await generateMmluDataset({ outDir: r.path('results/mmlu/original'), subjects, recordsPerSubject });
  return { rig: r, subjects: made.subjects };
}

it('build -C examples/anthropic.config.ts --offline --wait: every subject merged, in the seed format', async () => {
  const made = await exampleRig(2, 5);
  rig = made.rig;
  const run = await rig.run(['build', '-C', CONFIG, '--offline', '--wait'], {
    env: { PIPELINE_EMULATOR_SPEED: '200' },
  });
  expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
  expect(run.stderr).toContain('offline');
  for (const subject of made.subjects) {
    const source = (await rig.lines(`results/mmlu/original/${subject}.jsonl`)) as {
      question_number: number;
      analysis: string;
    }[];
    const merged = (await rig.lines(`results/mmlu/paraphrased-anthropic/${subject}.jsonl`)) as {
      question_number: number;
      analysis: string;
      paraphrased_analysis: string;
      paraphrase_tokens: { input: number; output: number; total: number };
    }[];
    expect(merged.map((m) => m.question_number)).toEqual(source.map((s) => s.question_number));
    merged.forEach((m, i) => {
      expect(m.analysis).toBe(source[i]!.analysis);
      expect(m.paraphrased_analysis).toBe(standInParaphrase(source[i]!.analysis));
      expect(m.paraphrase_tokens.input).toBeGreaterThan(0);
      expect(m.paraphrase_tokens.total).toBe(m.paraphrase_tokens.input + m.paraphrase_tokens.output);
    });
    // The raw results are Anthropic's lines, one per request, in request order.
    const raw = (await rig.lines(`results/mmlu/paraphrase_batch_anthropic/results/${subject}.jsonl`)) as {
      custom_id: string;
      result: { type: string };
    }[];
    expect(raw.map((r) => r.custom_id)).toEqual(source.map((s) => `${subject}-${s.question_number}`));
    expect(raw.every((r) => r.result.type === 'succeeded')).toBe(true);
  }
  const again = await rig.run(['build', '-C', CONFIG, '--offline'], { env: { PIPELINE_EMULATOR_SPEED: '200' } });
  expect(again.code).toBe(0);
  expect(again.stdout).toMatch(/up to date/);
  expect(again.stdout).not.toMatch(/built/);
}, 180_000);

it('no ANTHROPIC_API_KEY and no --offline: exit 2 naming the variable and the --offline hint, nothing done', async () => {
  const made = await exampleRig(1, 2);
  rig = made.rig;
  // An OpenAI key is no substitute: the rule's provider reads its own variable.
  const run = await rig.run(['build', '-C', CONFIG], { env: { OPENAI_API_KEY: 'sk-test-not-this-one' } });
  expect(run.code).toBe(2);
  expect(run.stderr).toContain('Error: ANTHROPIC_API_KEY environment variable is not set');
  expect(run.stderr).toContain('--offline');
  expect(run.stderr).not.toContain('OPENAI_API_KEY');
  expect(run.stdout).toBe('');
  await expect(
    readFile(rig.path('results/mmlu/paraphrase_batch_anthropic/' + made.subjects[0] + '.jsonl')),
  ).rejects.toThrow();
});
