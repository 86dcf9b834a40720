/** Transform stages: TypeScript functions in the config, fingerprinted by their source text. */
import { existsSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { records, REPO, Rig } from '../helpers/rig.ts';

const DEFINE = `${REPO}/src/config/define.ts`;

/** Two transforms side by side, so a test can edit one and see that only its targets rebuild. */
function config(opts: { keep?: string; explode?: string; version?: number } = {}): string {
  return `import { definePipeline, transform } from ${JSON.stringify(DEFINE)};
export default definePipeline({
  root: 'data',
  rules: [
    { name: 'keep', inputs: ['original/{subject}.jsonl'], output: 'kept/{subject}.jsonl',
      stage: transform({ version: ${opts.version ?? 1}, run: ${opts.keep ?? '(r) => (r.question_number % 2 === 1 ? { ...r, kept: true } : null)'} }) },
    { name: 'explode', inputs: ['original/{subject}.jsonl'], output: 'exploded/{subject}.jsonl',
      stage: transform({ run: ${opts.explode ?? 'async (r, at) => [{ id: r.question_number, part: 1, line: at.line }, { id: r.question_number, part: 2, subject: at.bindings.subject }]'} }) },
    { name: 'count', inputs: ['kept/{subject}.jsonl'], output: 'counts/{subject}.txt',
      stage: { kind: 'shell', command: 'wc -l < {input} > {output}' } },
    { name: 'summary', inputs: ['kept/{subject}.jsonl'], output: 'summary.json',
      stage: transform({ runFile: async (files) => {
        const out: Record<string, number> = {};
        for (const input of files.inputs) {
          let n = 0;
          for await (const _ of files.records(input)) n += 1;
          out[input] = n;
        }
        return out;
      } }) },
  ],
});
`;
}

let rig: Rig;
beforeEach(async () => {
  rig = await Rig.create();
  await rig.write({
    'pipeline.config.ts': config(),
    'data/original/anatomy.jsonl': records('anatomy', 3),
    'data/original/virology.jsonl': records('virology', 2),
  });
});
afterEach(() => rig.dispose());

describe('transform (per record)', () => {
  it('maps each record to zero, one or several records, sync or async', async () => {
    const run = await rig.build();
    expect(run.events.filter((e) => e.type === 'failed')).toEqual([]);
    expect(await rig.lines('data/kept/anatomy.jsonl')).toEqual([
      { ...records('anatomy', 3)[0], kept: true },
      { ...records('anatomy', 3)[2], kept: true },
    ]);
    expect(await rig.lines('data/exploded/virology.jsonl')).toEqual([
      { id: 1, part: 1, line: 1 },
      { id: 1, part: 2, subject: 'virology' },
      { id: 2, part: 1, line: 2 },
      { id: 2, part: 2, subject: 'virology' },
    ]);
  });

  it('an edit of the function rebuilds its targets and their dependents, nothing else', async () => {
    await rig.build();
    expect((await rig.build()).ran).toEqual([]);

    await rig.write({ 'pipeline.config.ts': config({ explode: '(r) => [{ id: r.question_number, edited: true }]' }) });
    const edited = await rig.build();
    expect(edited.ran).toEqual(['exploded/anatomy.jsonl', 'exploded/virology.jsonl']);
    expect(await rig.lines('data/exploded/virology.jsonl')).toEqual([
      { id: 1, edited: true },
      { id: 2, edited: true },
    ]);

    // A new version with the same text: its targets run again; identical output stops the rebuild there.
    await rig.write({
      'pipeline.config.ts': config({ explode: '(r) => [{ id: r.question_number, edited: true }]', version: 2 }),
    });
    expect((await rig.build()).ran).toEqual(['kept/anatomy.jsonl', 'kept/virology.jsonl']);
  });

  it('a throw names the file, the line, the record and the error, and writes nothing', async () => {
    await rig.write({
      'pipeline.config.ts': config({
        keep: '(r) => { if (r.question_number === 2) throw new Error("no second question"); return r; }',
      }),
    });
    const run = await rig.build();
    const failed = run.events.filter((e) => e.type === 'failed');
    const anatomy = failed.find((e) => e.target === 'kept/anatomy.jsonl');
    expect(anatomy && 'failure' in anatomy ? anatomy.failure : undefined).toMatchObject({
      reason: 'transform-threw',
      message: 'the transform threw on the record at line 2: no second question',
      file: 'original/anatomy.jsonl',
      line: 2,
    });
    const details = anatomy && 'failure' in anatomy ? (anatomy.failure.details ?? []) : [];
    expect(details[0]).toContain('"question_number":2');
    expect(existsSync(rig.path('data/kept/anatomy.jsonl'))).toBe(false);
    // The other transform is independent and still built.
    expect(existsSync(rig.path('data/exploded/anatomy.jsonl'))).toBe(true);
  });

  it('a line that is not a JSON object fails as bad input with its line', async () => {
    await rig.write({ 'data/original/anatomy.jsonl': '{"question_number":1}\nnot json\n' });
    const run = await rig.build(['exploded/anatomy.jsonl']);
    const failed = run.events.find((e) => e.type === 'failed');
    expect(failed && 'failure' in failed ? failed.failure : undefined).toMatchObject({
      reason: 'bad-input',
      file: 'original/anatomy.jsonl',
      line: 2,
    });
  });
});

describe('transform (whole file)', () => {
  it('a fan-in rule gathers every input into one JSON output', async () => {
    const run = await rig.build(['summary.json']);
    expect(run.ran).toEqual(['kept/anatomy.jsonl', 'kept/virology.jsonl', 'summary.json']);
    expect(JSON.parse(await rig.read('data/summary.json'))).toEqual({
      'kept/anatomy.jsonl': 2,
      'kept/virology.jsonl': 1,
    });
    // One more source: the fan-in target gains an input and runs again.
    await rig.write({ 'data/original/botany.jsonl': records('botany', 1) });
    expect((await rig.build(['summary.json'])).ran).toEqual(['kept/botany.jsonl', 'summary.json']);
    expect(JSON.parse(await rig.read('data/summary.json'))).toMatchObject({ 'kept/botany.jsonl': 1 });
  });

  it('returns records (written as JSONL), and a throw fails the target', async () => {
    await rig.write({
      'pipeline.config.ts': `import { definePipeline, transform } from ${JSON.stringify(DEFINE)};
export default definePipeline({ root: 'data', rules: [
  { name: 'dedupe', inputs: ['original/{subject}.jsonl'], output: 'deduped/{subject}.jsonl',
    stage: transform({ runFile: async function* (files) {
      const seen = new Set();
      for await (const r of files.records()) { if (!seen.has(r.analysis)) { seen.add(r.analysis); yield { analysis: r.analysis }; } }
      if (files.bindings.subject === 'virology') throw new Error('virology is not allowed');
    } }) },
]});
`,
      'data/original/anatomy.jsonl': [{ analysis: 'a' }, { analysis: 'b' }, { analysis: 'a' }],
    });
    const run = await rig.build();
    expect(await rig.lines('data/deduped/anatomy.jsonl')).toEqual([{ analysis: 'a' }, { analysis: 'b' }]);
    const failed = run.events.find((e) => e.type === 'failed');
    expect(failed && 'failure' in failed ? failed.failure : undefined).toMatchObject({
      reason: 'transform-threw',
      message: 'the transform threw: virology is not allowed',
    });
    expect(existsSync(rig.path('data/deduped/virology.jsonl'))).toBe(false);
  });

  it('run and runFile together is a config error naming the key', async () => {
    await rig.write({
      'pipeline.config.ts': `import { definePipeline, transform } from ${JSON.stringify(DEFINE)};
export default definePipeline({ root: 'data', rules: [
  { name: 't', inputs: ['original/{subject}.jsonl'], output: 'out/{subject}.jsonl',
    stage: transform({ run: (r) => r, runFile: () => [] }) },
]});
`,
    });
    const result = await rig.run(['build']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('rules[0].stage.run');
    expect(result.stderr).toContain('exactly one of run (per record) or runFile (whole file)');
  });
});
