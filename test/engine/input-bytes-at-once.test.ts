/**
 * A stage that declares `inputBytesAtOnce` (the batch stage) runs its targets side by side only
 * while their inputs together fit that many bytes; a larger one runs alone, and other stages'
 * targets run beside them. Four batch targets submitting 100 MB request files at once held their
 * bookkeeping and tokenizer garbage together: 730 MB at 1M requests, where one at a time stays
 * near one file's figure (bench/RESULTS.md, "Scale"); small files still submit side by side.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { pipelineSchema } from '../../src/config/schema.ts';
import { runBuild } from '../../src/engine/build.ts';
import type { ResolvedRule } from '../../src/engine/resolve-stages.ts';
import { buildGraph } from '../../src/graph/build-graph.ts';
import type { AnyStage } from '../../src/stages/types.ts';
import { systemClock } from '../../src/util/clock.ts';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

/** A local stage that copies its input, counting how many of its runs overlap. */
function copyingStage(kind: string, inputBytesAtOnce?: number) {
  const seen = { active: 0, most: 0, runs: 0 };
  const stage: AnyStage = {
    kind,
    version: 1,
    remote: false,
    pure: false,
    ...(inputBytesAtOnce !== undefined ? { inputBytesAtOnce } : {}),
    validation: () => ({ schema: { parse: (v: unknown) => v } as never }),
    async run(ctx) {
      seen.active += 1;
      seen.runs += 1;
      seen.most = Math.max(seen.most, seen.active);
      // Several turns of the event loop, as a run that reads, uploads and writes takes.
      for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
      await writeFile(ctx.tempOutput, ctx.inputs[0]!);
      seen.active -= 1;
      return { kind: 'done' };
    },
  };
  return { stage, seen };
}

/** Six 4-byte inputs through a `heavy` stage bounded at `budget` bytes and an unbounded `light` one. */
async function buildSix(budget: number) {
  const root = await mkdtemp(path.join(os.tmpdir(), 'one-at-a-time-'));
  dirs.push(root);
  await mkdir(path.join(root, 'in'));
  const names = ['a', 'b', 'c', 'd', 'e', 'f'];
  for (const n of names) await writeFile(path.join(root, 'in', `${n}.txt`), n.repeat(4));
  const config = pipelineSchema.parse({
    root: '.',
    rules: [
      { name: 'heavy', inputs: ['in/{n}.txt'], output: 'heavy/{n}.txt', stage: { kind: 'heavy' } },
      { name: 'light', inputs: ['in/{n}.txt'], output: 'light/{n}.txt', stage: { kind: 'light' } },
    ],
  });
  const heavy = copyingStage('heavy', budget);
  const light = copyingStage('light');
  const stages = new Map([
    ['heavy', heavy.stage],
    ['light', light.stage],
  ]);
  const rules = new Map<string, ResolvedRule>(
    config.rules.map((rule) => [
      rule.name,
      { rule, stage: stages.get(rule.stage.kind)!, config: rule.stage, identity: rule.stage },
    ]),
  );
  const graph = buildGraph(root, config.rules, config.stateDir);
  if (!graph.ok) throw new Error(graph.error.message);
  const summary = await runBuild({
    root,
    stateDir: '.pipeline',
    graph: graph.value,
    rules,
    requested: [...graph.value.targets.keys()],
    services: {},
    clock: systemClock,
    signal: new AbortController().signal,
    concurrency: 4,
    onEvent: () => undefined,
  });
  expect([...summary.results.values()].every((r) => r.state === 'built')).toBe(true);
  expect(heavy.seen.runs).toBe(names.length);
  return { heavy: heavy.seen, light: light.seen };
}

it('runs a target whose inputs pass the budget alone, and other stages beside it', async () => {
  const { heavy, light } = await buildSix(3); // every input (4 bytes) is larger than the budget
  expect(heavy.most).toBe(1); // before: 2 and more
  expect(light.most).toBeGreaterThan(1);
});

it('runs small inputs side by side, as many as the budget holds', async () => {
  const { heavy } = await buildSix(8); // two 4-byte inputs at a time
  expect(heavy.most).toBe(2); // one at a time would be 1; unbounded, up to the build's -j (4)
});
