/** Each freshness rule of design §3.2, proven by counting what actually ran. */
import { utimes } from 'node:fs/promises';
import { rm } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { localConfig, records, Rig } from '../helpers/rig.ts';

let rig: Rig;

beforeEach(async () => {
  rig = await Rig.create();
  await rig.write({
    'pipeline.config.ts': localConfig(),
    'data/original/anatomy.jsonl': records('anatomy', 3),
    'data/original/astronomy.jsonl': records('astronomy', 4),
  });
});
afterEach(() => rig.dispose());

const ALL = ['counts/anatomy.txt', 'counts/astronomy.txt', 'requests/anatomy.jsonl', 'requests/astronomy.jsonl'];

describe('freshness', () => {
  it('builds everything once, and a second build runs and hashes nothing', async () => {
    expect((await rig.build()).ran).toEqual(ALL);
    const second = await rig.build();
    expect(second.ran).toEqual([]);
    expect(second.hashed).toBe(0);
    expect(second.events.filter((e) => e.type === 'fresh')).toHaveLength(4);
  });

  it('touching a source re-hashes it but runs nothing', async () => {
    await rig.build();
    const later = new Date(Date.now() + 60_000);
    await utimes(rig.path('data/original/anatomy.jsonl'), later, later);
    const run = await rig.build();
    expect(run.ran).toEqual([]);
    expect(run.hashed).toBe(1);
    expect((await rig.build()).hashed).toBe(0); // the record was refreshed: back on the fast path
  });

  it('editing one record rebuilds only that subject', async () => {
    await rig.build();
    await rig.write({
      'data/original/anatomy.jsonl': records('anatomy', 3, (i) =>
        i === 2 ? { analysis: 'A different analysis.' } : {},
      ),
    });
    const run = await rig.build();
    expect(run.ran).toEqual(['counts/anatomy.txt', 'requests/anatomy.jsonl']);
    const start = run.events.find((e) => e.type === 'start' && e.target === 'requests/anatomy.jsonl');
    expect(start).toMatchObject({ reasons: ['input original/anatomy.jsonl changed'] });
  });

  it('changing the prompt in the config rebuilds every request file', async () => {
    await rig.build();
    await rig.write({ 'pipeline.config.ts': localConfig({ prompt: 'Rewrite:\n<text>\n{analysis}\n</text>' }) });
    const run = await rig.build();
    expect(run.ran).toEqual(ALL);
    expect(run.events.find((e) => e.type === 'start')).toMatchObject({ reasons: ['stage configuration changed'] });
  });

  it('deleting an output rebuilds only it', async () => {
    await rig.build();
    await rm(rig.path('data/requests/astronomy.jsonl'));
    const run = await rig.build();
    // The request file comes back byte-identical, so its dependent stays fresh (early cutoff).
    expect(run.ran).toEqual(['requests/astronomy.jsonl']);
  });

  it('an upstream rebuild with identical output stops there (early cutoff)', async () => {
    await rig.build();
    // `question` is not in the prompt: the request file is rebuilt but comes out the same.
    await rig.write({
      'data/original/anatomy.jsonl': records('anatomy', 3, (i) => (i === 1 ? { question: 'Reworded?' } : {})),
    });
    const run = await rig.build();
    expect(run.ran).toEqual(['requests/anatomy.jsonl']);
    expect(run.events.find((e) => e.type === 'fresh' && e.target === 'counts/anatomy.txt')).toBeDefined();
  });

  it('an edited output is rebuilt', async () => {
    await rig.build();
    await rig.write({ 'data/counts/anatomy.txt': 'tampered\n' });
    const run = await rig.build();
    expect(run.ran).toEqual(['counts/anatomy.txt']);
    expect(run.events.find((e) => e.type === 'start')).toMatchObject({ reasons: ['output was modified'] });
  });

  it('--force rebuilds the named target only', async () => {
    await rig.build();
    const run = await rig.build(['requests/anatomy.jsonl'], { force: true });
    expect(run.ran).toEqual(['requests/anatomy.jsonl']);
  });

  it('selecting a target builds its dependencies and nothing else', async () => {
    const run = await rig.build(['counts/anatomy.txt']);
    expect(run.ran).toEqual(['counts/anatomy.txt', 'requests/anatomy.jsonl']);
  });

  it('a dry run changes nothing and says what would run', async () => {
    const run = await rig.build([], { dryRun: true });
    expect(run.ran).toEqual([]);
    expect(
      run.events
        .filter((e) => e.type === 'would-run')
        .map((e) => e.target)
        .sort(),
    ).toEqual(ALL);
    expect((await rig.build()).ran).toEqual(ALL);
  });
});
