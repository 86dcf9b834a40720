/**
 * `status` with batches in flight costs a stat per file, not a hash of every request file: the
 * engine records a target's input stamps when its remote work goes in flight, and a target
 * waiting for a missing input (the merge, before its results exist) hashes none of its others.
 * At a million requests that was 4.5 GB hashed per `status` (~4.5 s of CPU). An edit of a file
 * whose batch is in flight is still seen: its stamp no longer matches, so it is hashed, and the
 * batch target runs with the new contents.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { pipelineSchema } from '../../src/config/schema.ts';
import { runBuild } from '../../src/engine/build.ts';
import type { BuildEvent } from '../../src/engine/events.ts';
import { FileStamps } from '../../src/engine/file-stamps.ts';
import { resolveStages } from '../../src/engine/resolve-stages.ts';
import { collectStatus } from '../../src/engine/status.ts';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.ts';
import { buildGraph } from '../../src/graph/build-graph.ts';
import { createBatchApi } from '../../src/providers/shared/openai-batches.ts';
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

const SUBJECTS = ['anatomy', 'virology'];
const REQUESTS = (s: string) => `paraphrase_batch/${s}.jsonl`;
const RESULTS = (s: string) => `paraphrase_batch/results/${s}.jsonl`;

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
      stage: { kind: 'batch' },
    },
    {
      name: 'merge',
      inputs: ['original/{subject}.jsonl', 'paraphrase_batch/results/{subject}.jsonl'],
      output: 'paraphrased/{subject}.jsonl',
      stage: { kind: 'merge' },
    },
  ],
});

const record = (subject: string, n: number, analysis = `${subject} analysis number ${n}.`) =>
  `${JSON.stringify({ question_number: n, analysis, answer: 'B' })}\n`;

async function setup() {
  const root = await mkdtemp(path.join(os.tmpdir(), 'in-flight-stamps-'));
  const emuDir = await mkdtemp(path.join(os.tmpdir(), 'in-flight-stamps-emu-'));
  dirs.push(root, emuDir);
  const clock = new ManualClock();
  emulator = await startEmulator({ stateDir: emuDir, port: 0, clock });
  const services = {
    batch: createBatchServices(createBatchApi({ apiKey: API_KEY, baseURL: emulator.url, maxRetries: 0 })),
  };
  const registry = new Map<string, AnyStage>([requestsStage, batchStage, mergeStage].map((s) => [s.kind, s]));
  const rules = await resolveStages(config.rules, registry);
  if (!rules.ok) throw new Error(JSON.stringify(rules.error));
  await mkdir(path.join(root, 'original'), { recursive: true });
  for (const s of SUBJECTS)
    await writeFile(path.join(root, 'original', `${s}.jsonl`), [1, 2, 3, 4].map((n) => record(s, n)).join(''));
  const graph = () => {
    const g = buildGraph(root, config.rules, config.stateDir);
    if (!g.ok) throw new Error(g.error.message);
    return g.value;
  };
  const common = () => ({ root, stateDir: '.pipeline', rules: rules.value, services, clock });
  const build = async () => {
    const g = graph();
    const events: BuildEvent[] = [];
    const stamps = new FileStamps();
    const summary = await runBuild({
      ...common(),
      graph: g,
      requested: [...g.targets.keys()],
      signal: new AbortController().signal,
      onEvent: (e) => events.push(e),
      stamps,
    });
    return {
      events,
      hashed: stamps.hashed,
      states: Object.fromEntries([...summary.results].map(([t, r]) => [t, r.state])),
    };
  };
  const status = async () => {
    const g = graph();
    const stamps = new FileStamps();
    const rows = await collectStatus({
      ...common(),
      graph: g,
      requested: [...g.targets.keys()],
      signal: new AbortController().signal,
      stamps,
    });
    return { hashed: stamps.hashed, byTarget: new Map(rows.map((r) => [r.target, r])) };
  };
  return { root, clock, build, status };
}

it('status with batches in flight hashes no file: the request files are stat-ed, the waiting merges read nothing', async () => {
  const { build, status } = await setup();
  const first = await build();
  for (const s of SUBJECTS) expect(first.states[RESULTS(s)]).toBe('pending');

  const shown = await status();
  // Before: each request file (the batch target had no record) and each source (its merge had no
  // record) hashed on every status: 4 here, 40 files and 4.5 GB for a 1M-request job of 20 files.
  expect(shown.hashed).toBe(0);
  for (const s of SUBJECTS) {
    expect(shown.byTarget.get(RESULTS(s))?.state).toBe('pending');
    expect(shown.byTarget.get(`paraphrased/${s}.jsonl`)?.state).toBe('waiting');
  }
  // The next build (another --wait cycle) checks the in-flight targets by stamps too.
  expect((await build()).hashed).toBe(0);
});

it('a request file edited while its batch is in flight is noticed by status, and the next build sends the edit', async () => {
  const { root, clock, build, status } = await setup();
  await build();
  const requestFile = path.join(root, REQUESTS('anatomy'));
  const before = await readFile(requestFile, 'utf8');

  // Edited by hand: status hashes that one file (its stamp changed) and says why.
  await writeFile(requestFile, before.replace('anatomy analysis number 4.', 'anatomy analysis, edited.'));
  const shown = await status();
  expect(shown.hashed).toBe(1);
  expect(shown.byTarget.get(RESULTS('anatomy'))?.reasons).toContain(`input ${REQUESTS('anatomy')} changed`);
  expect(shown.byTarget.get(RESULTS('virology'))?.reasons).not.toContain(`input ${REQUESTS('virology')} changed`);
  await writeFile(requestFile, before); // back as the requests rule wrote it

  // Edited through its source: the requests rule writes a new request file, and the batch target
  // runs on it — its changed line is sent, while the three unchanged ones stay in their batch.
  await writeFile(
    path.join(root, 'original/anatomy.jsonl'),
    [1, 2, 3].map((n) => record('anatomy', n)).join('') + record('anatomy', 4, 'A new analysis of question 4.'),
  );
  const rebuilt = await build();
  const started = rebuilt.events.find((e) => e.type === 'start' && e.target === RESULTS('anatomy'));
  expect(started?.type === 'start' && started.reasons).toContain(`input ${REQUESTS('anatomy')} changed`);
  let last = rebuilt;
  for (let i = 0; i < 10 && Object.values(last.states).some((s) => s !== 'built' && s !== 'fresh'); i++) {
    clock.advance(30 * 3600_000);
    last = await build();
  }
  expect(last.states['paraphrased/anatomy.jsonl']).toBe('built');
  // 8 requests of the first build, and the edited one.
  expect((await emulator!.stats()).requestsExecuted).toBe(9);
  expect((await build()).states).toEqual(Object.fromEntries(Object.keys(last.states).map((t) => [t, 'fresh'])));
});
