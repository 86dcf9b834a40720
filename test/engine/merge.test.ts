/** The merge stage: joins results on custom_id in any order, in source order, never drops a row silently. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { records, Rig } from '../helpers/rig.ts';

const CONFIG = `export default {
  root: 'data',
  rules: [
    { name: 'merge', inputs: ['original/{subject}.jsonl', 'results/{subject}.jsonl'], output: 'merged/{subject}.jsonl', stage: { kind: 'merge' } },
  ],
};
`;

const ok = (id: string, text: string, p = 10, c = 5) => ({
  id: `batch_req_${id}`,
  custom_id: id,
  response: {
    status_code: 200,
    request_id: 'req',
    body: {
      choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
      usage: { prompt_tokens: p, completion_tokens: c, total_tokens: p + c },
    },
  },
  error: null,
});

let rig: Rig;
beforeEach(async () => {
  rig = await Rig.create();
  await rig.write({
    'pipeline.config.ts': CONFIG,
    'data/original/anatomy.jsonl': records('anatomy', 3, (i) => ({ extra: `keep-${i}` })),
  });
});
afterEach(() => rig.dispose());

describe('merge', () => {
  it('joins shuffled results into source order, keeping other fields', async () => {
    await rig.write({
      'data/results/anatomy.jsonl': [
        ok('anatomy-3', 'P3', 30, 3),
        ok('anatomy-1', 'P1', 10, 1),
        ok('anatomy-2', 'P2', 20, 2),
      ],
    });
    const run = await rig.build();
    expect(run.ran).toEqual(['merged/anatomy.jsonl']);
    const merged = await rig.lines('data/merged/anatomy.jsonl');
    expect(merged).toEqual(
      [1, 2, 3].map((i) => ({
        ...records('anatomy', 3, (j) => ({ extra: `keep-${j}` }))[i - 1],
        paraphrased_analysis: `P${i}`,
        paraphrase_tokens: { input: i * 10, output: i, total: i * 11 },
      })),
    );
  });

  it('fails naming every missing or failed row, and writes no merged file', async () => {
    const failedLine = {
      id: 'x',
      custom_id: 'anatomy-2',
      response: {
        status_code: 400,
        request_id: 'r',
        body: { error: { message: 'bad max_tokens', type: 'invalid_request_error' } },
      },
      error: null,
    };
    await rig.write({ 'data/results/anatomy.jsonl': [ok('anatomy-1', 'P1'), failedLine] });
    const run = await rig.build();
    const failed = run.events.find((e) => e.type === 'failed');
    expect(failed).toMatchObject({
      failure: {
        reason: 'incomplete',
        message: '2 rows have no usable result; nothing merged',
        details: [
          'question_number 2 (anatomy-2): HTTP 400: bad max_tokens — needs a change to the request',
          'question_number 3 (anatomy-3): no result in results/anatomy.jsonl',
        ],
      },
    });
    await expect(rig.read('data/merged/anatomy.jsonl')).rejects.toThrow(/ENOENT/);
  });

  it('rejects garbage lines in the results with their line numbers', async () => {
    await rig.write({
      'data/results/anatomy.jsonl': `${JSON.stringify(ok('anatomy-1', 'P1'))}\ngarbage\n{"no":"id"}\n`,
    });
    const run = await rig.build();
    expect(run.events.find((e) => e.type === 'failed')).toMatchObject({
      failure: { reason: 'bad-input', file: 'results/anatomy.jsonl', line: 2 },
    });
  });
});
