/**
 * A failed target does not end `build --wait`: it keeps waiting for every batch that can still
 * finish, does not rebuild the failed target each cycle, then reports every failure and exits 1.
 * Without --wait, a build with failures and work in flight says both and exits 75 (a loop
 * re-running until done must not stop while batches are in flight). The CLI runs in-process
 * on a ManualClock shared with the emulator, so no real time is waited for batch progress.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { generateMmluDataset } from '../../src/data/generate-mmlu.ts';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.ts';
import { ManualClock } from '../../src/util/clock.ts';
import { REPO, Rig } from '../helpers/rig.ts';
import { capture } from '../helpers/capture.ts';

let rig: Rig | undefined;
let emulator: RunningEmulator | undefined;
afterEach(async () => {
  await emulator?.close();
  await rig?.dispose();
});

/** Two subjects: `small` (3 requests, one rejected with a permanent 400) finishes long before `big` (40). */
async function setUp(clock: ManualClock): Promise<{ small: string; big: string; env: NodeJS.ProcessEnv }> {
  rig = await Rig.create('pipeline-wait-fail-');
  const config = (await readFile(path.join(REPO, 'pipeline.config.ts'), 'utf8')).replace(
    "'./src/config/define.ts'",
    JSON.stringify(path.join(REPO, 'src/config/define.ts')),
  );
  await rig.write({ 'pipeline.config.ts': config });
  const made = await generateMmluDataset({
    outDir: rig.path('results/mmlu/original'),
    subjects: 2,
    recordsPerSubject: 40,
  });
  const [small, big] = made.subjects as [string, string];
  const source = rig.path(`results/mmlu/original/${small}.jsonl`);
  await writeFile(source, (await readFile(source, 'utf8')).split('\n').slice(0, 3).join('\n') + '\n');
  emulator = await startEmulator({
    stateDir: rig.path('emulator'),
    clock,
    speed: 0.1,
    faults: { requestErrors: { customIds4xx: [`${small}-2`] } },
  });
  return { small, big, env: { OPENAI_API_KEY: 'k', OPENAI_BASE_URL: emulator.url } };
}

async function runWithClock(clock: ManualClock, args: string[], env: NodeJS.ProcessEnv) {
  const stdout = capture();
  const stderr = capture();
  let finished = false;
  const run = main(args, { stdout, stderr, cwd: rig!.dir, env, signal: new AbortController().signal, clock }).finally(
    () => (finished = true),
  );
  while (!finished) {
    await new Promise((r) => setTimeout(r, 10));
    clock.advance(250);
  }
  return { code: await run, stdout: stdout.text, stderr: stderr.text };
}

it('build --wait: a failure on one subject waits for the other, does not retry it each cycle, then exits 1 with both', async () => {
  const clock = new ManualClock(Date.now());
  const { small, big, env } = await setUp(clock);
  const run = await runWithClock(clock, ['build', '--wait'], env);
  expect(run.code, run.stdout + run.stderr).toBe(1);
  expect(run.stdout).toContain(`✓ built       paraphrased/${big}.jsonl`); // waited for the other subject
  const failedLines = run.stdout.split('\n').filter((l) => l.startsWith(`✗ failed      paraphrased/${small}.jsonl`));
  expect(failedLines).toHaveLength(1); // not rebuilt (and re-reported) every cycle
  expect(run.stdout).toMatch(new RegExp(`question_number 2 \\(${small}-2\\): HTTP 400`));
  // The failures are listed together at the end, after the last progress line.
  const tail = run.stdout.slice(run.stdout.lastIndexOf('waiting: '));
  expect(tail).toMatch(new RegExp(`failed:\\n  paraphrased/${small}\\.jsonl: `));
  expect(tail).toMatch(/1 failed/);
  expect((await emulator!.stats()).batchesCreated).toBe(2); // nothing re-sent
});

it('build without --wait: failures and work in flight are both in the summary, and it exits 75', async () => {
  const clock = new ManualClock(Date.now());
  const { small, big, env } = await setUp(clock);
  const first = await main(['build'], {
    stdout: capture(),
    stderr: capture(),
    cwd: rig!.dir,
    env,
    signal: new AbortController().signal,
    clock,
  });
  expect(first).toBe(75);
  // Long enough for the 3-request batch, far too short for the 40-request one.
  clock.advance(20_000);
  const stdout = capture();
  const code = await main(['build'], {
    stdout,
    stderr: capture(),
    cwd: rig!.dir,
    env,
    signal: new AbortController().signal,
    clock,
  });
  expect(code, stdout.text).toBe(75);
  expect(stdout.text).toContain(`✗ failed      paraphrased/${small}.jsonl`);
  expect(stdout.text).toContain(`… pending     paraphrase_batch/results/${big}.jsonl`);
  expect(stdout.text).toMatch(
    /1 pending, 1 waiting, 1 failed — fix the errors above; batches are still running: run the same command again later to finish them/,
  );
});
