/**
 * Invalid structured replies re-asked, through the real CLI against the emulator (its invalid-
 * replies fault): every kind (not JSON, a missing field, truncated, refused) on OpenAI and
 * Anthropic ends with every row valid and no body executed twice; a row still invalid after
 * `maxInvalidAttempts` re-asks is named by the merge, which writes the others; status counts
 * valid / invalid / re-asked; the dry run prices the re-asks it expects; and a SIGKILL during a
 * re-ask round loses nothing and duplicates no batch.
 */
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.ts';
import type { FaultOptions } from '../../src/emulator/types.ts';
import { generateMmluDataset } from '../../src/data/generate-mmlu.ts';
import { REPO, Rig } from '../helpers/rig.ts';
import { structuredConfig } from '../helpers/structured-config.ts';

const KEY = 'sk-test-reask';
const RECORDS = 6;

interface Job {
  rig: Rig;
  emulator: RunningEmulator;
  build(args?: string[], env?: NodeJS.ProcessEnv): ReturnType<Rig['run']>;
}
let job: Job | undefined;
afterEach(async () => {
  await job?.emulator.close();
  await job?.rig.dispose();
  job = undefined;
});

async function start(provider: 'openai' | 'anthropic', faults: FaultOptions, batchOptions = ''): Promise<Job> {
  const rig = await Rig.create('pipeline-reask-');
  await rig.write({ 'pipeline.config.ts': structuredConfig(provider, batchOptions) });
  await generateMmluDataset({ outDir: rig.path('results/mmlu/original'), subjects: 1, recordsPerSubject: RECORDS });
  const emulator = await startEmulator({ stateDir: rig.path('emulator-state'), speed: 200, faults });
  const env =
    provider === 'anthropic'
      ? { ANTHROPIC_API_KEY: KEY, ANTHROPIC_BASE_URL: new URL(emulator.url).origin }
      : { OPENAI_API_KEY: KEY, OPENAI_BASE_URL: emulator.url };
  return {
    rig,
    emulator,
    build: (args = [], extra = {}) =>
      rig.run(['build', ...(args.includes('--wait') ? ['--poll-interval', '0.5'] : []), ...args], {
        env: { ...env, ...extra },
      }),
  };
}

async function mergedRows(j: Job): Promise<Record<string, unknown>[]> {
  return (await j.rig.lines('results/mmlu/out/abstract_algebra.jsonl')) as Record<string, unknown>[];
}

function expectLabelled(rows: Record<string, unknown>[]): void {
  for (const row of rows) {
    expect(['easy', 'medium', 'hard']).toContain(row.difficulty);
    expect(typeof row.rationale).toBe('string');
  }
}

/** Runs plain builds until the emulator has finished `n` batches (no --wait: each round is seen). */
async function untilBatchesDone(j: Job, n: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const stats = await j.emulator.stats();
    const done = Object.entries({ ...stats.batchesByStatus, ...stats.messageBatchesByStatus })
      .filter(([s]) => s === 'completed' || s === 'ended')
      .reduce((sum, [, v]) => sum + v, 0);
    if (done >= n) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the emulator never finished ${n} batches`);
}

describe.each(['not-json', 'missing-field', 'truncated', 'refusal'] as const)('OpenAI, every reply %s once', (kind) => {
  it('is re-asked in a second batch and every row ends valid', async () => {
    job = await start('openai', { invalidReplies: { rate: 1, kinds: [kind] } });
    const run = await job.build(['--wait']);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const rows = await mergedRows(job);
    expect(rows).toHaveLength(RECORDS);
    expectLabelled(rows);
    const stats = await job.emulator.stats();
    expect(stats.invalidReplies).toBe(RECORDS);
    expect(stats.batchesCreated).toBe(2);
    // The re-ask is the same body (no repairPrompt) asked again on purpose: no duplicate execution.
    expect(stats.duplicateExecutions).toBe(0);
    const status = await job.rig.run(['status'], {});
    expect(status.stdout).toMatch(new RegExp(`replies: ${RECORDS} valid, 0 invalid, ${RECORDS} re-asked`));
  }, 120_000);
});

it('Anthropic: refusals, truncations (max_tokens), text instead of the tool and missing fields are re-asked', async () => {
  job = await start('anthropic', { invalidReplies: { rate: 1 } });
  const run = await job.build(['--wait']);
  expect(run.code, run.stdout + run.stderr).toBe(0);
  const rows = await mergedRows(job);
  expect(rows).toHaveLength(RECORDS);
  expectLabelled(rows);
  const stats = await job.emulator.stats();
  expect(stats.invalidReplies).toBeGreaterThanOrEqual(RECORDS);
  expect(stats.duplicateExecutions).toBe(0);
}, 120_000);

it('a row still invalid after maxInvalidAttempts re-asks is named; the others are merged; the dry run prices re-asks', async () => {
  job = await start(
    'openai',
    { invalidReplies: { customIds: ['abstract_algebra-2'], attempts: 99, kinds: ['missing-field'] } },
    'maxInvalidAttempts: 2, repairPrompt: true',
  );
  const fresh = await job.build(['-n']);
  expect(fresh.stdout).not.toMatch(/re-asks/);
  const run = await job.build(['--wait']);
  expect(run.code, run.stdout + run.stderr).toBe(1);
  expect(run.stdout + run.stderr).toMatch(
    /original\/abstract_algebra\.jsonl:2 question_number 2 \(abstract_algebra-2\): schema: difficulty: /,
  );
  const rows = await mergedRows(job);
  expect(rows.map((r) => r.question_number)).toEqual([1, 3, 4, 5, 6]);
  const stats = await job.emulator.stats();
  expect(stats.invalidReplies).toBe(3); // asked, then re-asked twice
  expect(stats.batchesCreated).toBe(3);
  expect(stats.duplicateExecutions).toBe(0);
  const status = await job.rig.run(['status'], {});
  expect(status.stdout).toMatch(/replies: 5 valid, 1 invalid, 1 re-asked/);
  // Edit the requests: a fresh job at the seen invalid rate (3 of 8 replies) prices its re-asks.
  await job.rig.write({
    'pipeline.config.ts': (await job.rig.read('pipeline.config.ts')).replace('Label: {question}', 'Label {question}'),
  });
  const dry = await job.build(['-n']);
  expect(dry.stdout, dry.stdout).toMatch(/incl\. ~\d+ re-asks of invalid replies/);
}, 180_000);

describe.each(['after-create', 'during-download'])('killed %s in a re-ask round', (point) => {
  it('recovers with no duplicate batch and every row valid', async () => {
    job = await start('openai', { invalidReplies: { rate: 0.5 } });
    // Round 1 is sent, then collected (its invalid replies recorded) and the re-asks sent.
    expect((await job.build()).code).toBe(75);
    await untilBatchesDone(job, 1);
    if (point === 'during-download') {
      expect((await job.build()).code).toBe(75);
      await untilBatchesDone(job, 2);
    }
    const killed = await job.build([], { PIPELINE_FAILPOINT: point });
    expect(killed.signal).toBe('SIGKILL');
    const rest = await job.build(['--wait']);
    expect(rest.code, rest.stdout + rest.stderr).toBe(0);
    const rows = await mergedRows(job);
    expect(rows).toHaveLength(RECORDS);
    expectLabelled(rows);
    const stats = await job.emulator.stats();
    expect(stats.batchesCreated).toBe(2);
    expect(stats.duplicateExecutions).toBe(0);
    expect(stats.requestsExecuted).toBe(RECORDS + stats.invalidReplies);
  }, 180_000);
});

it('online: invalid replies are re-asked in the same build, and a re-run sends nothing', async () => {
  const rig = await Rig.create('pipeline-reask-online-');
  await rig.write({ 'pipeline.config.ts': structuredConfig('openai', 'repairPrompt: true', 'online') });
  await generateMmluDataset({ outDir: rig.path('results/mmlu/original'), subjects: 1, recordsPerSubject: RECORDS });
  const emulator = await startEmulator({
    stateDir: rig.path('emulator-state'),
    speed: 200,
    faults: { invalidReplies: { rate: 0.5 } },
  });
  job = { rig, emulator, build: () => rig.run(['build'], {}) };
  const env = { OPENAI_API_KEY: KEY, OPENAI_BASE_URL: emulator.url };
  const run = await rig.run(['build'], { env });
  expect(run.code, run.stdout + run.stderr).toBe(0);
  const rows = await mergedRows(job);
  expect(rows).toHaveLength(RECORDS);
  expectLabelled(rows);
  const stats = await emulator.stats();
  expect(stats.invalidReplies).toBeGreaterThan(0);
  expect(stats.duplicateExecutions).toBe(0);
  const status = await rig.run(['status'], { env });
  expect(status.stdout).toMatch(new RegExp(`replies: ${RECORDS} valid, 0 invalid, [1-9]\\d* re-asked`));
  const again = await rig.run(['build'], { env });
  expect(again.code).toBe(0);
  expect((await emulator.stats()).requestsExecuted).toBe(stats.requestsExecuted);
}, 120_000);

it('the schema declared once, on the requests rule, reaches the batch (re-asks) and the merge (parsing)', async () => {
  job = await start('openai', { invalidReplies: { rate: 1, kinds: ['missing-field'] } });
  const config = await job.rig.read('pipeline.config.ts');
  const once = config
    .replace("batch({ provider: 'openai', schema: Label, ", "batch({ provider: 'openai', ")
    .replace('merge({ schema: Label, spread: true })', 'merge({ spread: true })');
  expect(once.match(/schema: Label/g)).toHaveLength(1);
  await job.rig.write({ 'pipeline.config.ts': once });
  const run = await job.build(['--wait']);
  expect(run.code, run.stdout + run.stderr).toBe(0);
  const rows = await mergedRows(job);
  expect(rows).toHaveLength(RECORDS);
  expectLabelled(rows); // parsed and spread by the merge
  const stats = await job.emulator.stats();
  expect(stats.invalidReplies).toBe(RECORDS);
  expect(stats.batchesCreated).toBe(2); // every invalid reply re-asked
}, 120_000);

it("a user's custom id that looks like a re-ask (`q__reask1`) is just an id: no collision, nothing sent twice", async () => {
  const rig = await Rig.create('pipeline-reask-ids-');
  const define = JSON.stringify(path.join(REPO, 'src/config/define.ts'));
  await rig.write({
    'pipeline.config.ts': `import { batch, definePipeline, merge, requests, z } from ${define};
const Label = z.object({ difficulty: z.enum(['easy', 'medium', 'hard']), topics: z.array(z.string()).min(1).max(3), rationale: z.string() });
export default definePipeline({ root: 'data', rules: [
  { name: 'requests', inputs: ['src/{set}.jsonl'], output: 'b/{set}.jsonl',
    stage: requests({ model: 'gpt-4.1-mini', prompt: 'Label: {question}', params: { max_tokens: 400 }, schema: Label, idField: 'key', customId: '{key}' }) },
  { name: 'batch', inputs: ['b/{set}.jsonl'], output: 'b/results/{set}.jsonl', marker: 'b/{set}.batch.json', stage: batch({}) },
  { name: 'merge', inputs: ['src/{set}.jsonl', 'b/results/{set}.jsonl'], output: 'out/{set}.jsonl',
    stage: merge({ spread: true, idField: 'key', customId: '{key}' }) },
]});
`,
    'data/src/s.jsonl': [
      { key: 'q', question: 'What is a group?' },
      { key: 'q__reask1', question: 'What is a ring?' },
      { key: 'r', question: 'What is a field?' },
    ],
  });
  const emulator = await startEmulator({
    stateDir: rig.path('emulator-state'),
    speed: 200,
    faults: { invalidReplies: { customIds: ['q'], kinds: ['not-json'] } },
  });
  job = { rig, emulator, build: () => rig.run(['build'], {}) };
  const env = { OPENAI_API_KEY: KEY, OPENAI_BASE_URL: emulator.url };
  const run = await rig.run(['build', '--wait', '--poll-interval', '0.5'], { env });
  expect(run.code, run.stdout + run.stderr).toBe(0);
  const rows = (await rig.lines('data/out/s.jsonl')) as Record<string, unknown>[];
  expect(rows.map((r) => r.key)).toEqual(['q', 'q__reask1', 'r']);
  expectLabelled(rows);
  const stats = await emulator.stats();
  // The emulator's fault takes `q__reask1` for a re-ask of `q` by its name: both rows get one invalid reply.
  expect(stats.invalidReplies).toBe(2);
  expect(stats.requestsExecuted).toBe(5); // three rows, and two of them asked again once
  expect(stats.batchesCreated).toBe(2);
  expect(stats.duplicateExecutions).toBe(0);
}, 120_000);

it('a marker of older state (parts without their re-ask record) is read by the ids of the time', async () => {
  job = await start('openai', { invalidReplies: { rate: 1, kinds: ['refusal'] } });
  expect((await job.build()).code).toBe(75);
  await untilBatchesDone(job, 1);
  expect((await job.build()).code).toBe(75); // collected: every reply invalid, the re-asks sent
  const marker = 'results/mmlu/b/abstract_algebra.batch.json';
  const ledger = JSON.parse(await job.rig.read(marker)) as { parts: Record<string, unknown>[] };
  const inFlight = ledger.parts.filter((p) => p.state === 'submitted');
  expect(inFlight).toHaveLength(1);
  expect(Object.keys(inFlight[0]!.reasks as object)).toHaveLength(RECORDS);
  // As llmake 0.1.0 left it: no record of the part's re-asks; their ids end in `__reask<k>`.
  for (const p of ledger.parts) delete p.reasks;
  await job.rig.write({ [marker]: JSON.stringify(ledger, null, 2) });
  const rest = await job.build(['--wait']);
  expect(rest.code, rest.stdout + rest.stderr).toBe(0);
  const rows = await mergedRows(job);
  expect(rows).toHaveLength(RECORDS);
  expectLabelled(rows);
  const stats = await job.emulator.stats();
  expect(stats.batchesCreated).toBe(2); // the re-asks were collected as re-asks, not sent again
  expect(stats.requestsExecuted).toBe(2 * RECORDS);
  expect(stats.duplicateExecutions).toBe(0);
}, 180_000);
