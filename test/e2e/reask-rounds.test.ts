/**
 * Invalid replies get a fresh round per build, as transient failures do: a row whose re-asks ran
 * out (`maxInvalidAttempts`) in one build is asked again, up to as many more, by the next plain
 * build; the dry run prices that round and `status` counts it, online as for batches. A row that
 * repeats the same reply over two rounds is named with its replies and asked no more, and `status`
 * names it with its last reply and says what to do. The emulator's invalid-replies fault
 * decides the replies; what was submitted is counted from its stats.
 */
import { afterEach, expect, it } from 'vitest';
import { generateMmluDataset } from '../../src/data/generate-mmlu.ts';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.ts';
import { REFUSAL_TEXT } from '../../src/emulator/invalid-replies.ts';
import type { FaultOptions } from '../../src/emulator/types.ts';
import type { TargetStatus } from '../../src/engine/status.ts';
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
  // Counted in the table, named below it with the last reply, and what to do about it.
  expect(status.stdout).toMatch(
    /b\/results\/abstract_algebra\.jsonl +batch +up-to-date .*1 row never valid by asking again/,
  );
  expect(status.stdout).toMatch(
    /1 never valid by asking again\n +abstract_algebra-2: 5 replies, every one refused: I'm sorry/,
  );
  expect(status.stdout).toMatch(/change the prompt or the schema/);
  const json = await statusJson(cli);
  expect(json.replies).toMatchObject({ invalid: 1, hopeless: 1 });
  expect(json.replies?.whatToDo).toMatch(/change the prompt or the schema/);
  expect(json.replies?.hopelessRows).toEqual([
    { customId: 'abstract_algebra-2', replies: 5, kind: 'refusal', lastReply: `refused: ${REFUSAL_TEXT}` },
  ]);
  // A marker whose rows were named in words (before they were kept apart) still loads, still counted.
  const markerFile = 'results/mmlu/b/abstract_algebra.batch.json';
  const marker = JSON.parse(await rig!.read(markerFile)) as Record<string, unknown>;
  await rig!.write({ [markerFile]: JSON.stringify({ ...marker, hopeless: ['abstract_algebra-2: 5 replies, …'] }) });
  const old = await cli(['status']);
  expect(old.stderr).toBe('');
  expect(old.stdout).toMatch(
    /b\/results\/abstract_algebra\.jsonl +batch +up-to-date .*1 row never valid by asking again/,
  );
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
  // Counted as the batch stage counts them: every row valid now, in a fresh round.
  const status = await cli(['status']);
  expect(status.stdout).toMatch(/replies: 4 valid, 0 invalid, 4 re-asked, 4 in a fresh round/);
  expect((await statusJson(cli)).replies).toEqual({ valid: RECORDS, invalid: 0, reasked: RECORDS, rounds: RECORDS });
}, 180_000);

it('online: rows refused the same way over two rounds are named by status and asked no more', async () => {
  const cli = await start({ invalidReplies: { rate: 1, attempts: 99, kinds: ['refusal'] } }, 'online');
  expect((await cli(['build'])).code).toBe(1);
  const second = await cli(['build']);
  expect(second.code).toBe(1);
  expect(second.stdout).toMatch(/never valid by asking again: abstract_algebra-1: 5 replies, every one refused: /);
  const asked = (await emulator!.stats()).invalidReplies;
  expect(asked).toBe(5 * RECORDS);
  expect((await cli(['build'])).code).toBe(1);
  expect((await emulator!.stats()).invalidReplies).toBe(asked); // nothing sent again
  const status = await cli(['status']);
  expect(status.stdout).toMatch(/4 rows never valid by asking again \(below\)/);
  expect(status.stdout).toMatch(/abstract_algebra-4: 5 replies, every one refused: /);
  const json = await statusJson(cli);
  expect(json.replies).toMatchObject({ valid: 0, invalid: RECORDS, hopeless: RECORDS, rounds: RECORDS });
  expect(json.replies?.hopelessRows?.map((r) => r.customId)).toEqual([1, 2, 3, 4].map((n) => `abstract_algebra-${n}`));
  expect(json.replies?.whatToDo).toMatch(/change the prompt or the schema/);
}, 180_000);

/** The results target's row of `status --json`. */
async function statusJson(cli: (args: string[]) => Promise<{ stdout: string }>): Promise<TargetStatus> {
  const rows = JSON.parse((await cli(['status', '--json'])).stdout) as TargetStatus[];
  return rows.find((r) => r.target === 'b/results/abstract_algebra.jsonl')!;
}
