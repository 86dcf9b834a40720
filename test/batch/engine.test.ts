/**
 * The batch stage inside the real engine (requests → batch → merge), registered here by hand so
 * the test does not depend on the CLI's registry: prepare/run/commit, merge reading the results.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createBatchApi } from '../../src/providers/shared/openai-batches.ts';
import { pipelineSchema } from '../../src/config/schema.ts';
import { runBuild } from '../../src/engine/build.ts';
import { collectStatus } from '../../src/engine/status.ts';
import type { BuildEvent } from '../../src/engine/events.ts';
import { resolveStages } from '../../src/engine/resolve-stages.ts';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.ts';
import { buildGraph } from '../../src/graph/build-graph.ts';
import { createBatchServices } from '../../src/stages/batch/services.ts';
import { batchStage } from '../../src/stages/batch/stage.ts';
import { mergeStage } from '../../src/stages/merge.ts';
import { requestsStage } from '../../src/stages/requests.ts';
import type { AnyStage } from '../../src/stages/types.ts';
import { ManualClock } from '../../src/util/clock.ts';
import { API_KEY } from './harness.ts';

let emulator: RunningEmulator | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await emulator?.close();
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

const config = pipelineSchema.parse({
  root: '.',
  rules: [
    {
      name: 'requests',
      inputs: ['original/{subject}.jsonl'],
      output: 'paraphrase_batch/{subject}.jsonl',
      stage: { kind: 'requests', model: 'gpt-4.1', prompt: 'Paraphrase: {analysis}', params: { max_tokens: 200 } },
    },
    {
      name: 'batch',
      inputs: ['paraphrase_batch/{subject}.jsonl'],
      output: 'paraphrase_batch/results/{subject}.jsonl',
      marker: 'paraphrase_batch/{subject}.batch.json',
      stage: { kind: 'batch', maxRequestsPerBatch: 4 },
    },
    {
      name: 'merge',
      inputs: ['original/{subject}.jsonl', 'paraphrase_batch/results/{subject}.jsonl'],
      output: 'paraphrased/{subject}.jsonl',
      stage: { kind: 'merge' },
    },
  ],
});

async function setup(faults = {}, batch: AnyStage = batchStage) {
  const root = await mkdtemp(path.join(os.tmpdir(), 'batch-engine-'));
  const emuDir = await mkdtemp(path.join(os.tmpdir(), 'batch-engine-emu-'));
  dirs.push(root, emuDir);
  const clock = new ManualClock();
  emulator = await startEmulator({ stateDir: emuDir, port: 0, clock, faults });
  const services = {
    batch: createBatchServices(createBatchApi({ apiKey: API_KEY, baseURL: emulator.url, maxRetries: 0 })),
  };
  const registry = new Map<string, AnyStage>([requestsStage, batch, mergeStage].map((s) => [s.kind, s]));
  const rules = await resolveStages(config.rules, registry);
  if (!rules.ok) throw new Error(JSON.stringify(rules.error));
  await mkdir(path.join(root, 'original'), { recursive: true });
  for (const subject of ['anatomy', 'virology']) {
    const records = Array.from({ length: 6 }, (_, i) => ({
      question_number: i + 1,
      analysis: `${subject} analysis number ${i + 1}.`,
      answer: 'B',
    }));
    await writeFile(
      path.join(root, 'original', `${subject}.jsonl`),
      records.map((r) => `${JSON.stringify(r)}\n`).join(''),
    );
  }
  const build = async (force = false) => {
    const graph = buildGraph(root, config.rules, config.stateDir);
    if (!graph.ok) throw new Error(graph.error.message);
    const events: BuildEvent[] = [];
    const summary = await runBuild({
      root,
      stateDir: '.pipeline',
      graph: graph.value,
      rules: rules.value,
      requested: [...graph.value.targets.keys()],
      services,
      clock,
      signal: new AbortController().signal,
      force,
      onEvent: (e) => events.push(e),
    });
    return { summary, events, states: Object.fromEntries([...summary.results].map(([t, r]) => [t, r.state])) };
  };
  const status = async () => {
    const graph = buildGraph(root, config.rules, config.stateDir);
    if (!graph.ok) throw new Error(graph.error.message);
    const signal = new AbortController().signal;
    const requested = [...graph.value.targets.keys()];
    return collectStatus({
      root,
      stateDir: '.pipeline',
      graph: graph.value,
      rules: rules.value,
      requested,
      services,
      clock,
      signal,
    });
  };
  return { root, clock, build, status };
}

describe('batch stage in the engine', () => {
  it('builds requests → batches → merged records over a few builds, then is up to date and pays nothing more', async () => {
    const { root, clock, build } = await setup();
    const first = await build();
    expect(first.states['paraphrase_batch/results/anatomy.jsonl']).toBe('pending');
    expect(first.states['paraphrased/anatomy.jsonl']).toBe('blocked');
    let last = first;
    for (
      let i = 0;
      i < 10 && [...last.summary.results.values()].some((r) => r.state === 'pending' || r.state === 'blocked');
      i++
    ) {
      clock.advance(60_000);
      last = await build();
    }
    expect(last.states['paraphrased/anatomy.jsonl']).toBe('built');
    expect(last.states['paraphrased/virology.jsonl']).toBe('built');
    const merged = (await readFile(path.join(root, 'paraphrased/anatomy.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(merged.map((r) => r.question_number)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(merged.every((r) => typeof r.paraphrased_analysis === 'string' && r.answer === 'B')).toBe(true);
    const stats = await emulator!.stats();
    expect(stats.batchesCreated).toBe(4); // 2 subjects × 2 parts of ≤ 4
    const again = await build();
    expect(Object.values(again.states).every((s) => s === 'fresh')).toBe(true);
    await build(true);
    expect((await emulator!.stats()).requestsExecuted).toBe(12);
  });

  it('prepares the batch stage (ledgers read, batches polled) only in builds where a batch target runs', async () => {
    let prepared = 0;
    const counting: AnyStage = {
      ...batchStage,
      prepare: (items, every) => {
        prepared += 1;
        return batchStage.prepare!(items, every);
      },
    };
    const { clock, build, status } = await setup({}, counting);
    let last = await build();
    expect(prepared).toBe(1);
    await status(); // batches in flight: status polls them (one prepare)
    expect(prepared).toBe(2);
    for (
      let i = 0;
      i < 10 && [...last.summary.results.values()].some((r) => r.state !== 'built' && r.state !== 'fresh');
      i++
    ) {
      clock.advance(60_000);
      last = await build();
    }
    const whileWorking = prepared;
    const noop = await build();
    expect(Object.values(noop.states).every((s) => s === 'fresh')).toBe(true);
    expect(prepared).toBe(whileWorking); // a no-op reads no ledger and polls nothing
    const fresh = await status();
    expect(fresh.every((t) => t.state === 'up-to-date')).toBe(true);
    expect(prepared).toBe(whileWorking); // nor does a status with everything up to date
    await build(true);
    expect(prepared).toBe(whileWorking + 1); // once per build, however many batch targets run
  });

  it('a permanent per-request failure reaches merge as a clear "rows missing and why" failure', async () => {
    const { clock, build } = await setup({ requestErrors: { customIds4xx: ['anatomy-3'] } });
    let last = await build();
    for (
      let i = 0;
      i < 10 && [...last.summary.results.values()].some((r) => r.state === 'pending' || r.state === 'blocked');
      i++
    ) {
      clock.advance(60_000);
      last = await build();
    }
    expect(last.states['paraphrase_batch/results/anatomy.jsonl']).toBe('built');
    const failed = last.summary.results.get('paraphrased/anatomy.jsonl');
    expect(failed).toMatchObject({ state: 'failed', failure: { reason: 'incomplete' } });
    expect(failed?.failure?.details?.join('\n')).toMatch(/question_number 3 \(anatomy-3\): HTTP 400/);
    expect(last.states['paraphrased/virology.jsonl']).toBe('built');
  });
});
