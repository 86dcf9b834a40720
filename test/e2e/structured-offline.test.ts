/** Structured outputs end to end: the real CLI, offline, the emulator answering schema-valid objects. */
import { cp, mkdir, readFile } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Label } from '../../examples/labels.config.ts';
import { REPO, Rig } from '../helpers/rig.ts';

let rig: Rig;
beforeEach(async () => {
  rig = await Rig.create();
  await mkdir(rig.path('examples'), { recursive: true });
  await cp(`${REPO}/results/mmlu/original`, rig.path('results/mmlu/original'), { recursive: true });
});
afterEach(() => rig.dispose());

describe('structured outputs offline', () => {
  it('the labels example: every record labelled and valid, the summary counts them per subject', async () => {
    const text = readFile(`${REPO}/examples/labels.config.ts`, 'utf8');
    await rig.write({
      'examples/labels.config.ts': (await text).replace(
        "'../src/config/define.ts'",
        JSON.stringify(`${REPO}/src/config/define.ts`),
      ),
    });
    const result = await rig.run(['build', '-C', 'examples/labels.config.ts', '--offline', '--wait']);
    expect(result.code, result.stderr + result.stdout).toBe(0);
    const summary = JSON.parse(await rig.read('results/mmlu/labels/summary.json')) as Record<
      string,
      Record<string, number>
    >;
    for (const subject of Object.keys(summary)) {
      const rows = (await rig.lines(`results/mmlu/labels/${subject}.jsonl`)) as Record<string, unknown>[];
      const source = await rig.lines(`results/mmlu/original/${subject}.jsonl`);
      expect(rows.length).toBe(source.length);
      for (const row of rows) expect(Label.safeParse(row).success).toBe(true);
      const counts = { easy: 0, medium: 0, hard: 0 } as Record<string, number>;
      for (const row of rows) counts[String(row.difficulty)]! += 1;
      expect(summary[subject]).toEqual(counts);
    }
    expect(Object.keys(summary).length).toBe(4);
  });

  it('Anthropic forced tool use: the tool input is validated and spread into the record', async () => {
    await rig.write({
      'pipeline.config.ts': `import { batch, definePipeline, merge, requests, z } from ${JSON.stringify(`${REPO}/src/config/define.ts`)};
const Label = z.object({ difficulty: z.enum(['easy', 'medium', 'hard']), topics: z.array(z.string()).min(1).max(3) });
export default definePipeline({ root: 'results/mmlu', rules: [
  { name: 'requests', inputs: ['original/{subject}.jsonl'], output: 'b/{subject}.jsonl',
    stage: requests({ provider: 'anthropic', model: 'claude-sonnet-4-5', prompt: 'Label: {question}', params: { max_tokens: 400 }, schema: Label }) },
  { name: 'batch', inputs: ['b/{subject}.jsonl'], output: 'b/results/{subject}.jsonl', marker: 'b/{subject}.batch.json',
    stage: batch({ provider: 'anthropic' }) },
  { name: 'merge', inputs: ['original/{subject}.jsonl', 'b/results/{subject}.jsonl'], output: 'out/{subject}.jsonl',
    stage: merge({ schema: Label, spread: true }) },
]});
`,
    });
    const result = await rig.run(['build', 'out/anatomy.jsonl', '--offline', '--wait']);
    expect(result.code, result.stderr + result.stdout).toBe(0);
    const rows = (await rig.lines('results/mmlu/out/anatomy.jsonl')) as Record<string, unknown>[];
    expect(rows.length).toBe(5);
    for (const row of rows) {
      expect(['easy', 'medium', 'hard']).toContain(row.difficulty);
      expect((row.topics as string[]).length).toBeGreaterThanOrEqual(1);
    }
  });
});
