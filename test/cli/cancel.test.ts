/**
 * `pipeline cancel` while the lock is held: it never starts an emulator on state another process
 * owns; a `build --wait` holder is asked and its answer printed; another holder is waited for
 * (bounded) and, once it is gone, cancel takes the lock and only then connects; a running
 * `watch` must be stopped first. In-process on a ManualClock, so the 30 s bound costs no time.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { generateMmluDataset } from '../../src/data/generate-mmlu.ts';
import { CancelMailbox } from '../../src/engine/cancel-mailbox.ts';
import { ManualClock } from '../../src/util/clock.ts';
import { REPO, Rig } from '../helpers/rig.ts';
import { capture } from '../helpers/capture.ts';

let rig: Rig;
const STATE = 'results/mmlu/.pipeline';
beforeEach(async () => {
  rig = await Rig.create('pipeline-cancel-');
  const config = (await readFile(path.join(REPO, 'pipeline.config.ts'), 'utf8')).replace(
    "'./src/config/define.ts'",
    JSON.stringify(path.join(REPO, 'src/config/define.ts')),
  );
  await rig.write({ 'pipeline.config.ts': config });
  await generateMmluDataset({ outDir: rig.path('results/mmlu/original'), subjects: 2, recordsPerSubject: 2 });
});
afterEach(() => rig.dispose());

/** Runs `pipeline cancel …` in-process, moving the clock on while it waits; `meanwhile` runs each turn. */
async function cancel(args: string[], meanwhile: (clock: ManualClock) => Promise<void> = async () => {}) {
  const clock = new ManualClock(Date.now());
  const stdout = capture();
  const stderr = capture();
  let finished = false;
  const run = main(['cancel', ...args], {
    stdout,
    stderr,
    cwd: rig.dir,
    env: {},
    signal: new AbortController().signal,
    clock,
  }).finally(() => (finished = true));
  while (!finished) {
    await new Promise((r) => setTimeout(r, 5));
    await meanwhile(clock);
    clock.advance(250);
  }
  return { code: await run, stdout: stdout.text, stderr: stderr.text, clock };
}

const holder = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    pid: process.pid,
    host: os.hostname(),
    command: 'build --offline',
    startedAt: Date.now(),
    ...extra,
  });

it('cancel --offline with the lock held by another live process starts no emulator, waits at most 30 s, and says what to do', async () => {
  await rig.write({ [`${STATE}/lock`]: holder() });
  const run = await cancel(['--offline']);
  expect(run.code).toBe(75);
  expect(run.stderr).toMatch(/holds the lock; waiting up to 30 s for it to finish/);
  expect(run.stderr).toMatch(/nothing was cancelled: pid \d+ on .* holds the lock and did not finish within 30 s/);
  expect(run.stderr).toContain('a `build --wait` answers cancel requests');
  expect(existsSync(rig.path(`${STATE}/emulator`))).toBe(false); // no emulator on state it does not own
  expect(existsSync(rig.path(`${STATE}/cancel-request.json`))).toBe(false);
});

it('a build --wait holder is asked; its answer is printed; no emulator is started here', async () => {
  await rig.write({ [`${STATE}/lock`]: holder({ command: 'build --wait --offline', answersCancel: true }) });
  const mailbox = new CancelMailbox(rig.path(STATE));
  let asked: string[] | undefined;
  const run = await cancel(['--offline', 'paraphrased/anatomy.jsonl'], async (clock) => {
    const request = await mailbox.claim(); // the test plays the waiting build
    if (!request) return;
    asked = request.targets;
    await mailbox.answer({
      id: request.id,
      answeredAt: clock.now(),
      pid: 4242,
      outcomes: [
        {
          target: request.targets[0]!,
          cancelled: 1,
          message: '1 batch cancelled; the next build keeps their finished results and sends the rest',
        },
      ],
      stopped: request.targets,
    });
  });
  expect(asked).toEqual(['paraphrase_batch/results/anatomy.jsonl']); // the batch feeding the named merge target
  expect(run.code).toBe(0);
  expect(run.stderr).toMatch(/asking the running build, pid \d+ .*, to cancel/);
  expect(run.stdout).toBe(
    'paraphrase_batch/results/anatomy.jsonl: 1 batch cancelled; the next build keeps their finished results and sends the rest\n1 batch cancelled\nthe running build (pid 4242) stopped waiting for 1 target; the next build sends what they had not finished\n',
  );
  expect(existsSync(rig.path(`${STATE}/emulator`))).toBe(false);
  expect(await readdir(rig.path(STATE))).toEqual(['lock']); // request and answer cleaned up
});

it('a build --wait holder that does not answer: the request is withdrawn, exit 75', async () => {
  await rig.write({ [`${STATE}/lock`]: holder({ command: 'build --wait', answersCancel: true }) });
  const run = await cancel([]);
  expect(run.code).toBe(75);
  expect(run.stderr).toMatch(/did not answer within 30 s/);
  expect(existsSync(rig.path(`${STATE}/cancel-request.json`))).toBe(false);
});

it('when the holder finishes, cancel takes the lock and only then starts the emulator', async () => {
  await rig.write({ [`${STATE}/lock`]: holder() });
  let emulatorWhileHeld = false;
  let turns = 0;
  const run = await cancel(['--offline'], async () => {
    turns += 1;
    if (existsSync(rig.path(`${STATE}/lock`)) && existsSync(rig.path(`${STATE}/emulator`))) {
      const lock = JSON.parse(await readFile(rig.path(`${STATE}/lock`), 'utf8').catch(() => '{}')) as {
        command?: string;
      };
      if (lock.command === 'build --offline') emulatorWhileHeld = true;
    }
    if (turns === 20) await rm(rig.path(`${STATE}/lock`)); // the other build is done
  });
  expect(run.code, run.stderr).toBe(0);
  expect(emulatorWhileHeld).toBe(false);
  expect(existsSync(rig.path(`${STATE}/emulator`))).toBe(true);
  expect(run.stdout).toMatch(/0 batches cancelled\n$/);
  expect(existsSync(rig.path(`${STATE}/lock`))).toBe(false);
});

it('refuses while watch runs: its next poll would send the remainder again', async () => {
  await rig.write({
    [`${STATE}/watch.json`]: holder({ command: 'watch' }).replace(String(process.pid), String(process.ppid)),
  });
  const run = await cancel([]);
  expect(run.code).toBe(75);
  expect(run.stderr).toMatch(
    /`pipeline watch` is running .*\n {2}stop it \(Ctrl-C\), then run `pipeline cancel` again/,
  );
});
