/** Structured outputs: the request shapes, the strict-subset check at load, and the merge's validation. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { records, REPO, Rig } from '../helpers/rig.ts';

const DEFINE = `${REPO}/src/config/define.ts`;
const LABEL = `z.object({ difficulty: z.enum(['easy', 'medium', 'hard']), topics: z.array(z.string()).min(1).max(3), ok: z.boolean() })`;

function config(opts: { schema?: string; provider?: string; endpoint?: string; spread?: boolean } = {}): string {
  const provider = opts.provider ?? 'openai';
  return `import { definePipeline, requests, merge, z } from ${JSON.stringify(DEFINE)};
const Label = ${opts.schema ?? LABEL};
export default definePipeline({
  root: 'data',
  rules: [
    { name: 'requests', inputs: ['original/{subject}.jsonl'], output: 'requests/{subject}.jsonl',
      stage: requests({ provider: '${provider}', prompt: 'Label: {analysis}', params: { max_tokens: 100 }, schema: Label, schemaName: 'label'${opts.endpoint ? `, endpoint: '${opts.endpoint}'` : ''} }) },
    { name: 'merge', inputs: ['original/{subject}.jsonl', 'results/{subject}.jsonl'], output: 'merged/{subject}.jsonl',
      stage: merge({ schema: Label, outputField: 'label', tokensField: 'tokens'${opts.spread ? ', spread: true' : ''} }) },
  ],
});
`;
}

const usage = { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 };
const chat = (id: string, content: string | null, extra: { finish?: string; refusal?: string } = {}) => ({
  id: `batch_req_${id}`,
  custom_id: id,
  response: {
    status_code: 200,
    body: {
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content, refusal: extra.refusal ?? null },
          finish_reason: extra.finish ?? 'stop',
        },
      ],
      usage,
    },
  },
  error: null,
});
const anthropic = (id: string, input: unknown, stop = 'tool_use') => ({
  custom_id: id,
  result: {
    type: 'succeeded',
    message: {
      content: [{ type: 'tool_use', id: 'toolu_1', name: 'label', input }],
      stop_reason: stop,
      usage: { input_tokens: 10, output_tokens: 5 },
    },
  },
});

const good = { difficulty: 'easy', topics: ['sets'], ok: true };

let rig: Rig;
beforeEach(async () => {
  rig = await Rig.create();
  await rig.write({ 'pipeline.config.ts': config(), 'data/original/anatomy.jsonl': records('anatomy', 5) });
});
afterEach(() => rig.dispose());

describe('structured requests', () => {
  it('OpenAI chat lines carry response_format json_schema, strict, from z.toJSONSchema', async () => {
    await rig.build(['requests/anatomy.jsonl']);
    const [line] = (await rig.lines('data/requests/anatomy.jsonl')) as { body: Record<string, unknown> }[];
    expect(line!.body.response_format).toEqual({
      type: 'json_schema',
      json_schema: {
        name: 'label',
        strict: true,
        schema: {
          type: 'object',
          properties: {
            difficulty: { type: 'string', enum: ['easy', 'medium', 'hard'] },
            topics: { type: 'array', items: { type: 'string' }, minItems: 1, maxItems: 3 },
            ok: { type: 'boolean' },
          },
          required: ['difficulty', 'topics', 'ok'],
          additionalProperties: false,
        },
      },
    });
  });

  it('/v1/responses lines carry text.format; Anthropic lines force one tool', async () => {
    await rig.write({ 'pipeline.config.ts': config({ endpoint: '/v1/responses' }) });
    await rig.build(['requests/anatomy.jsonl']);
    const [responses] = (await rig.lines('data/requests/anatomy.jsonl')) as { body: Record<string, unknown> }[];
    expect(responses!.body.input).toEqual([{ role: 'user', content: expect.stringContaining('Label:') as string }]);
    expect(responses!.body.text).toMatchObject({ format: { type: 'json_schema', name: 'label', strict: true } });

    await rig.write({ 'pipeline.config.ts': config({ provider: 'anthropic' }) });
    await rig.build(['requests/anatomy.jsonl']);
    const [line] = (await rig.lines('data/requests/anatomy.jsonl')) as { params: Record<string, unknown> }[];
    expect(line!.params.tool_choice).toEqual({ type: 'tool', name: 'label' });
    expect(line!.params.tools).toEqual([
      expect.objectContaining({ name: 'label', input_schema: expect.objectContaining({ type: 'object' }) as object }),
    ]);
  });

  it('editing the schema rebuilds the request file', async () => {
    await rig.build(['requests/anatomy.jsonl']);
    await rig.write({ 'pipeline.config.ts': config({ schema: `z.object({ difficulty: z.enum(['easy', 'hard']) })` }) });
    expect((await rig.build(['requests/anatomy.jsonl'])).ran).toEqual(['requests/anatomy.jsonl']);
  });

  it('a schema outside OpenAI strict mode is a config error naming the field (exit 2)', async () => {
    await rig.write({
      'pipeline.config.ts': config({
        schema: `z.object({ a: z.string().optional(), b: z.object({ c: z.string().min(3) }), d: z.record(z.string(), z.number()) })`,
      }),
    });
    const result = await rig.run(['build']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('rules[0].stage.schema');
    expect(result.stderr).toContain('a: is optional; strict mode requires every property');
    expect(result.stderr).toContain('b.c: "minLength" is not supported in strict mode');
    expect(result.stderr).toContain('d: must not allow other keys');
  });
});

describe('merge with a schema', () => {
  it('writes valid replies, names every invalid kind with file, line, custom id and reason', async () => {
    await rig.write({
      'data/results/anatomy.jsonl': [
        chat('anatomy-1', JSON.stringify(good)),
        chat('anatomy-2', 'Sure! Here is the label'),
        chat('anatomy-3', JSON.stringify({ difficulty: 'trivial', topics: ['x'], ok: true })),
        chat('anatomy-4', '{"difficulty": "ea', { finish: 'length' }),
        chat('anatomy-5', null, { refusal: 'I cannot help with that.' }),
      ],
    });
    const run = await rig.build(['merged/anatomy.jsonl']);
    const failed = run.events.find((e) => e.type === 'failed');
    const failure = failed && 'failure' in failed ? failed.failure : undefined;
    expect(failure?.reason).toBe('invalid-replies');
    expect(failure?.message).toBe('4 rows have an invalid reply; the other 1 merged');
    expect(failure?.details).toEqual([
      'original/anatomy.jsonl:2 question_number 2 (anatomy-2): not-json: not JSON: "Sure! Here is the label"',
      expect.stringMatching(/^original\/anatomy\.jsonl:3 question_number 3 \(anatomy-3\): schema: difficulty: /),
      'original/anatomy.jsonl:4 question_number 4 (anatomy-4): truncated: cut at the token limit (raise max_tokens)',
      'original/anatomy.jsonl:5 question_number 5 (anatomy-5): refusal: refused: I cannot help with that.',
    ]);
    // The valid row is written; the target stays failed (run again next build).
    expect(await rig.lines('data/merged/anatomy.jsonl')).toEqual([
      { ...records('anatomy', 5)[0], label: good, tokens: { input: 10, output: 5, total: 15 } },
    ]);
    expect((await rig.build(['merged/anatomy.jsonl'])).ran).toEqual(['merged/anatomy.jsonl']);
  });

  it('spreads a valid Anthropic tool input into the record, with zod output types', async () => {
    await rig.write({
      'pipeline.config.ts': config({
        provider: 'anthropic',
        spread: true,
        schema: `z.object({ difficulty: z.enum(['easy', 'medium', 'hard']), topics: z.array(z.string()).transform((t) => t.join('|')) })`,
      }),
      'data/original/anatomy.jsonl': records('anatomy', 2),
      'data/results/anatomy.jsonl': [
        anthropic('anatomy-1', { difficulty: 'hard', topics: ['a', 'b'] }),
        anthropic('anatomy-2', { difficulty: 'hard' }, 'max_tokens'),
      ],
    });
    const run = await rig.build(['merged/anatomy.jsonl']);
    const failed = run.events.find((e) => e.type === 'failed');
    expect(failed && 'failure' in failed ? failed.failure.details : undefined).toEqual([
      'original/anatomy.jsonl:2 question_number 2 (anatomy-2): truncated: cut at the token limit (raise max_tokens)',
    ]);
    expect(await rig.lines('data/merged/anatomy.jsonl')).toEqual([
      { ...records('anatomy', 2)[0], difficulty: 'hard', topics: 'a|b', tokens: { input: 10, output: 5, total: 15 } },
    ]);
  });

  it('all valid: done, every row merged', async () => {
    await rig.write({
      'data/original/anatomy.jsonl': records('anatomy', 2),
      'data/results/anatomy.jsonl': [chat('anatomy-2', JSON.stringify(good)), chat('anatomy-1', JSON.stringify(good))],
    });
    const run = await rig.build(['merged/anatomy.jsonl']);
    expect(run.events.filter((e) => e.type === 'failed')).toEqual([]);
    expect((await rig.lines('data/merged/anatomy.jsonl')).length).toBe(2);
  });
});
