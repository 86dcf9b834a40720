/**
 * Invalid replies get a fresh round per build, as transient failures do: a row whose re-asks ran
 * out (`maxInvalidAttempts`) in one build is asked again, up to as many more, by the next plain
 * build; the dry run prices that round and `status` counts it. A row that repeats the same reply
 * over two rounds is named with its replies and asked no more. The emulator's invalid-replies fault
 * decides the replies; what was submitted is counted from its stats.
 */
import { afterEach, expect, it } from 'vitest';
import { generateMmluDataset } from '../../src/data/generate-mmlu.ts';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.ts';
import type { FaultOptions } from '../../src/emulator/types.ts';
import { Rig } from '../helpers/rig.ts';
import { structuredConfig } from '../helpers/structured-config.ts';

const RECORDS = 4;
let rig: Rig | undefined;
let emulator: RunningEmulator | undefined;
afterEach(async () => {
  await emulator?.close();
  await rig?.dispose();
});

async function start(faults: FaultOptions, runner: 'batch' | 'online' = 'batch') {
  rig = await Rig.create('pipeline-reask-rounds-');
  await rig.write({ 'pipeline.config.ts': structuredConfig('openai', 'maxInvalidAttempts: 2', runner) });
  await generateMmluDataset({ outDir: rig.path('results/mmlu/original'), subjects: 1, recordsPerSubject: RECORDS });
  emulator = await startEmulator({ stateDir: rig.path('emulator-state'), speed: 200, faults });
  const env = { OPENAI_API_KEY: 'sk-rounds', OPENAI_BASE_URL: emulator.url };
  return (args: string[]) =>
    rig!.run(args[0] === 'build' && args.includes('--wait') ? [...args, '--poll-interval', '0.5'] : args, { env });
}

it('batch: a row out of re-asks gets a fresh round from the next build, priced by -n, counted by status', async () => {
  // Row 2's body is answered invalidly 4 times, then validly: one round (ask + 2 re-asks) is not enough, two are.
  const cli = await start({
    invalidReplies: { customIds: ['abstract_algebra-2'], attempts: 4, kinds: ['missing-field'] },
  });
  const first = await cli(['build', '--wait']);
  expect(first.code, first.stdout + first.stderr).toBe(1);
  expect(first.stdout).toMatch(/abstract_algebra-2\): schema: difficulty: /);
  let stats = await emulator!.stats();
  expect(stats.invalidReplies).toBe(3);
  expect(stats.batchesCreated).toBe(3);
  const dry = await cli(['build', '-n']);
  expect(dry.stdout, dry.stdout).toMatch(
    /\(1 row still invalid after 2 re-asks; sent again by this build\) — [12] requests \(\+3 cached\)/,
  );
  const second = await cli(['build', '--wait']);
  expect(second.code, second.stdout + second.stderr).toBe(0);
  stats = await emulator!.stats();
  expect(stats.invalidReplies).toBe(4); // the fresh round: a 4th invalid reply, then a valid one
  expect(stats.requestsExecuted).toBe(RECORDS + 4); // every other request once, row 2 five times in all
  expect(stats.batchesCreated).toBe(5);
  expect(stats.duplicateExecutions).toBe(0);
  const rows = await rig!.lines('results/mmlu/out/abstract_algebra.jsonl');
  expect(rows).toHaveLength(RECORDS);
  const status = await cli(['status']);
  expect(status.stdout).toMatch(/replies: 4 valid, 0 invalid, 1 re-asked, 1 in a fresh round/);
}, 180_000);

it('batch: a row refused the same way over two rounds is named with its replies and asked no more', async () => {
  const cli = await start({ invalidReplies: { customIds: ['abstract_algebra-2'], attempts: 99, kinds: ['refusal'] } });
  expect((await cli(['build', '--wait'])).code).toBe(1);
  const second = await cli(['build', '--wait']);
  expect(second.code).toBe(1);
  expect(second.stdout).toMatch(/never valid by asking again: abstract_algebra-2: 5 replies, every one refused: /);
  const asked = (await emulator!.stats()).invalidReplies;
  expect(asked).toBe(5); // 3 in the first round, 2 in the second
  const third = await cli(['build']);
  expect(third.code).toBe(1);
  expect((await emulator!.stats()).invalidReplies).toBe(asked); // nothing sent again
  const status = await cli(['status']);
  expect(status.stdout).toMatch(/1 never valid by asking again/);
}, 180_000);

it('online: a row out of re-asks gets a fresh round from the next build', async () => {
  // Online requests carry no custom id: every body is answered invalidly 4 times, then validly.
  const cli = await start({ invalidReplies: { rate: 1, attempts: 4, kinds: ['not-json'] } }, 'online');
  const first = await cli(['build']);
  expect(first.code, first.stdout + first.stderr).toBe(1);
  expect((await emulator!.stats()).invalidReplies).toBe(3 * RECORDS);
  const second = await cli(['build']);
  expect(second.code, second.stdout + second.stderr).toBe(0);
  const stats = await emulator!.stats();
  expect(stats.invalidReplies).toBe(4 * RECORDS);
  expect(stats.requestsExecuted).toBe(5 * RECORDS);
  expect(await rig!.lines('results/mmlu/out/abstract_algebra.jsonl')).toHaveLength(RECORDS);
}, 180_000);
