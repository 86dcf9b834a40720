/**
 * Every provider example runs offline end to end, as a user runs it (`build -C examples/X.config.ts
 * --offline --wait`), from a copy of the repository's examples whose imports point back at the
 * repository, and a second build is a no-op. (The Anthropic and Bedrock examples have their own
 * tests, anthropic-example.test.ts and bedrock-example.test.ts, with more checks.)
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { generateMmluDataset } from '../../src/data/generate-mmlu.ts';
import { standInParaphrase } from '../../src/emulator/index.ts';
import { REPO, Rig } from '../helpers/rig.ts';

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.dispose();
  rig = undefined;
});

/** The example, what it imports from the repository's top level, and a small MMLU sample. */
async function exampleRig(files: readonly string[]): Promise<{ rig: Rig; subjects: string[] }> {
  const r = await Rig.create('pipeline-example-');
  const to = (dir: string) => JSON.stringify(path.join(REPO, dir)).slice(1, -1);
  for (const file of files) {
    const text = await readFile(path.join(REPO, file), 'utf8');
    await r.write({
      [file]: text
        .replaceAll("'../src/", `'${to('src')}/`)
        .replaceAll("'../pipeline.config.ts'", `'${to('pipeline.config.ts')}'`),
    });
  }
  const made = await generateMmluDataset({
    outDir: r.path('results/mmlu/original'),
    subjects: 2,
    recordsPerSubject: 4,
  });
  return { rig: r, subjects: made.subjects };
}

const EXAMPLES = [
  { config: 'examples/azure.config.ts', uses: ['examples/mmlu-paraphrase.ts'], merged: 'paraphrased-azure' },
  { config: 'examples/online.config.ts', uses: [], merged: 'paraphrased-online' },
  { config: 'examples/gemini.config.ts', uses: ['examples/mmlu-paraphrase.ts'], merged: 'paraphrased-gemini' },
  { config: 'examples/mistral.config.ts', uses: ['examples/mmlu-paraphrase.ts'], merged: 'paraphrased-mistral' },
];

describe.each(EXAMPLES)('$config', ({ config, uses, merged }) => {
  it('runs offline to merged records in the seed format; a re-run is a no-op', { timeout: 240_000 }, async () => {
    const made = await exampleRig([config, ...uses]);
    rig = made.rig;
    const run = await rig.run(['build', '-C', config, '--offline', '--wait'], {
      env: { PIPELINE_EMULATOR_SPEED: '200' },
    });
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    for (const subject of made.subjects) {
      const source = (await rig.lines(`results/mmlu/original/${subject}.jsonl`)) as { analysis: string }[];
      const out = (await rig.lines(`results/mmlu/${merged}/${subject}.jsonl`)) as {
        analysis: string;
        paraphrased_analysis: string;
      }[];
      expect(out).toHaveLength(source.length);
      out.forEach((m, i) => expect(m.paraphrased_analysis).toBe(standInParaphrase(source[i]!.analysis)));
    }
    const again = await rig.run(['build', '-C', config, '--offline'], { env: { PIPELINE_EMULATOR_SPEED: '200' } });
    expect(again.code, `${again.stdout}\n${again.stderr}`).toBe(0);
    expect(again.stdout).toMatch(/up to date/);
    expect(again.stdout).not.toMatch(/built|submitted/);
  });
});

describe('examples/labels.config.ts', () => {
  it('runs offline to labelled records, every one valid, and their summary', { timeout: 240_000 }, async () => {
    const made = await exampleRig(['examples/labels.config.ts']);
    rig = made.rig;
    const run = await rig.run(['build', '-C', 'examples/labels.config.ts', '--offline', '--wait'], {
      env: { PIPELINE_EMULATOR_SPEED: '200' },
    });
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    const { Label } = await import('../../examples/labels.config.ts');
    const summary = JSON.parse(await rig.read('results/mmlu/labels/summary.json')) as Record<string, unknown>;
    expect(Object.keys(summary).sort()).toEqual([...made.subjects].sort());
    for (const subject of made.subjects) {
      const rows = await rig.lines(`results/mmlu/labels/${subject}.jsonl`);
      expect(rows).toHaveLength(4);
      for (const row of rows) expect(Label.safeParse(row).success).toBe(true);
    }
  });
});
