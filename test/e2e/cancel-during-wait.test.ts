/**
 * `pipeline cancel` while `pipeline build --wait` runs, both the real CLI in subprocesses with
 * --offline: the build holds the lock and the only emulator on the state dir, so cancel asks it.
 * The build cancels the batches, stops waiting for them and does not send them again while it
 * waits for the rest; once nothing else is in flight it exits 75. Cancel prints the build's answer.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { generateMmluDataset } from '../../src/data/generate-mmlu.ts';
import { startEmulator } from '../../src/emulator/index.ts';
import { REPO, Rig, type CliRun } from '../helpers/rig.ts';

let rig: Rig | undefined;
let build: CliRun | undefined;
afterEach(async () => {
  if (build?.child.exitCode === null) build.child.kill('SIGKILL');
  await build;
  await rig?.dispose();
});

it('cancel during build --wait: the build cancels, keeps waiting for the rest without resending, and cancel prints the result', async () => {
  rig = await Rig.create('pipeline-cancel-wait-');
  const config = (await readFile(path.join(REPO, 'pipeline.config.ts'), 'utf8')).replace(
    "'./src/config/define.ts'",
    JSON.stringify(path.join(REPO, 'src/config/define.ts')),
  );
  await rig.write({ 'pipeline.config.ts': config });
  const made = await generateMmluDataset({
    outDir: rig.path('results/mmlu/original'),
    subjects: 2,
    recordsPerSubject: 1500,
  });
  const [first, second] = made.subjects as [string, string];
  // Speed 0.25: a batch takes ~2 min, a cancellation ~4 s — so a build that re-ran a cancelled
  // target would collect it within the test and send its remainder again.
  const env = { PIPELINE_EMULATOR_SPEED: '0.25' };
  build = rig.cli(['build', '--wait', '--offline', '--poll-interval', '0.5'], { env });
  let buildOut = '';
  let buildErr = '';
  build.child.stdout!.on('data', (d: Buffer) => (buildOut += d.toString()));
  build.child.stderr!.on('data', (d: Buffer) => (buildErr += d.toString()));
  for (let i = 0; i < 3000 && !buildErr.includes('waiting for pending batches'); i++)
    await new Promise((r) => setTimeout(r, 20));
  expect(buildErr).toContain('waiting for pending batches');

  // 1. One subject, named by its merged output: the batch feeding it is cancelled.
  const one = await rig.cli(['cancel', '--offline', `paraphrased/${first}.jsonl`], { env });
  expect(one.code, one.stdout + one.stderr).toBe(0);
  expect(one.stderr).toMatch(/cancel: asking the running build, pid \d+ .*`pipeline build`.*, to cancel/);
  expect(one.stdout).toBe(
    `paraphrase_batch/results/${first}.jsonl: 1 batch cancelled; the next build keeps their finished results and sends the rest\n1 batch cancelled\n` +
      `the running build (pid ${build.child.pid}) stopped waiting for 1 target; the next build sends what they had not finished\n`,
  );
  expect(buildOut).toMatch(
    new RegExp(
      `cancel requested by \`pipeline cancel\` \\(pid \\d+\\):\\n {2}paraphrase_batch/results/${first}\\.jsonl: 1 batch cancelled.*\\n {2}no longer waiting for paraphrase_batch/results/${first}\\.jsonl\\n`,
    ),
  );

  // The build goes on waiting for the other subject, through several polls after the cancelled
  // batch has reached 'cancelled' (~4 s), and does not collect it and send the rest again.
  const polls = () => buildOut.split('\n').filter((l) => l.startsWith('waiting: ')).length;
  const before = polls();
  const cancelledAt = Date.now();
  const enough = () => polls() >= before + 3 && Date.now() - cancelledAt > 10_000;
  for (let i = 0; i < 3000 && !enough(); i++) await new Promise((r) => setTimeout(r, 20));
  expect(polls()).toBeGreaterThanOrEqual(before + 3);
  expect(
    buildOut
      .split('\n')
      .filter((l) => l.startsWith('waiting: '))
      .at(-1),
  ).toMatch(/^waiting: 1 pending, /);
  expect(build.child.exitCode).toBeNull();

  // 2. Everything: the other subject too; nothing is left in flight and the build ends.
  const all = await rig.cli(['cancel', '--offline'], { env });
  expect(all.code, all.stdout + all.stderr).toBe(0);
  expect(all.stdout).toContain(`paraphrase_batch/results/${second}.jsonl: 1 batch cancelled`);
  expect(all.stdout).toMatch(/the running build \(pid \d+\) stopped waiting for 1 target/);
  const done = await build;
  expect(done.code, done.stdout + done.stderr).toBe(75);
  expect(done.stdout).toMatch(
    /2 built, 2 cancelled, 2 waiting — their batches were cancelled; the next build keeps their finished results and sends the rest\n$/,
  );
  const state = rig.path('results/mmlu/.pipeline');
  expect(existsSync(path.join(state, 'lock'))).toBe(false);
  expect((await readdir(state)).filter((f) => f.startsWith('cancel-'))).toEqual([]);

  // The books of the build's emulator: its two batches, both cancelled, nothing sent again.
  const emulator = await startEmulator({ stateDir: path.join(state, 'emulator'), speed: 0.25 });
  try {
    expect((await emulator.stats()).batchesCreated).toBe(2);
    const list = (await (
      await fetch(`${emulator.url}/batches`, { headers: { authorization: 'Bearer x' } })
    ).json()) as { data: { status: string }[] };
    // The first was cancelled seconds ago; the second may still be cancelling (~4 s).
    expect(list.data.map((b) => b.status).sort()).toEqual(expect.arrayContaining(['cancelled']));
    for (const b of list.data) expect(['cancelling', 'cancelled']).toContain(b.status);
  } finally {
    await emulator.close();
  }
}, 180_000);
