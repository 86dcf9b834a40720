/**
 * `--offline` answers whatever model the config names: the emulator validates models like the real
 * API (unknown → model_not_found), so the project's own models are passed to it as known.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { generateMmluDataset } from '../../src/data/generate-mmlu.ts';
import { REPO, Rig } from '../helpers/rig.ts';

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.dispose();
  rig = undefined;
});

it('a fine-tuned model name the emulator has never heard of runs offline end to end', async () => {
  rig = await Rig.create('pipeline-offline-model-');
  const config = (await readFile(path.join(REPO, 'pipeline.config.ts'), 'utf8'))
    .replace("'./src/config/define.ts'", JSON.stringify(path.join(REPO, 'src/config/define.ts')))
    .replace("const MODEL = 'gpt-4.1';", "const MODEL = 'ft:gpt-4.1-mini-2025-04-14:acme::b7xq2';");
  await rig.write({ 'pipeline.config.ts': config });
  await generateMmluDataset({ outDir: rig.path('results/mmlu/original'), subjects: 1, recordsPerSubject: 3 });
  const run = await rig.run(['build', '--offline', '--wait'], { env: { PIPELINE_EMULATOR_SPEED: '50' } });
  expect(run.code, run.stdout + run.stderr).toBe(0);
  expect((await rig.lines('results/mmlu/paraphrased/abstract_algebra.jsonl')).length).toBe(3);
});
