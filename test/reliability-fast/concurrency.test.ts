/** Concurrency on one root: two builds at once, watch beside a build, status during a build. */
import { readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { createBatchApi } from '../../src/providers/shared/openai-batches.ts';
import { startEmulator } from '../../src/emulator/index.ts';
import { createBatchServices } from '../../src/stages/batch/services.ts';
import { runCli } from '../helpers/rig.ts';
import { concurrencyTrial } from '../reliability/concurrency.ts';
import { executionLogDuplicates, makeJob, referenceRun, ROOT } from '../reliability/lib.ts';

it('two builds started together: one waits with a clear message; no duplicate, nothing lost', async () => {
  const spec = { subjects: 2, records: 6, seed: 31 };
  const reference = await referenceRun(spec);
  const o = await concurrencyTrial('two-builds', spec, reference);
  expect(o).toMatchObject({ duplicates: 0, rowsLost: 0, rowsWrong: 0, unclear: [] });
  const s = await concurrencyTrial('status-during-build', spec, reference);
  expect(s).toMatchObject({ duplicates: 0, rowsLost: 0, rowsWrong: 0, unclear: [] });
}, 120_000);

// Regression: `watch --offline` started its in-process emulator once, before taking the lock; a
// `pipeline build --offline` that held the lock meanwhile created batches that emulator never
// loaded, so every later watch build failed them as "unknown to the provider (HTTP 404)".
it('watch --offline picks up batches another build created while it waited for the lock', async () => {
  const job = await makeJob({ subjects: 2, records: 5, seed: 32 });
  const stateDir = job.rig.path(`${ROOT}/.pipeline`);
  await mkdir(stateDir, { recursive: true });
  const lock = path.join(stateDir, 'lock');
  // The test is "the other build": it holds the lock while it creates the batches.
  await writeFile(
    lock,
    JSON.stringify({ pid: process.pid, host: os.hostname(), command: 'build', startedAt: Date.now() }),
  );
  const watch = runCli(['watch', '--offline', '--poll-interval', '1'], {
    cwd: job.rig.dir,
    env: { OPENAI_API_KEY: 'unused', PIPELINE_EMULATOR_SPEED: '50' },
  });
  let out = '';
  watch.child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  watch.child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const until = async (re: RegExp, what: string) => {
    for (let i = 0; i < 600 && !re.test(out); i++) await new Promise((r) => setTimeout(r, 50));
    if (!re.test(out)) throw new Error(`timed out waiting for ${what}:\n${out}`);
  };
  try {
    await until(/watch: a build is running/, 'watch to find the lock held');
    const emu = await startEmulator({ stateDir: path.join(stateDir, 'emulator'), speed: 50 });
    try {
      const run = await job.rig.build([], {
        services: { batch: createBatchServices(createBatchApi({ apiKey: 'unused', baseURL: emu.url })) },
      });
      expect([...run.summary.results.values()].filter((r) => r.state === 'pending')).toHaveLength(2);
    } finally {
      await emu.close();
    }
    await rm(lock);
    await until(/(\d+) built, \d+ up to date\n|failed/, 'watch to build');
    await until(
      /paraphrased\/[a-z_]+\.jsonl \(5 records merged[\s\S]*paraphrased\/[a-z_]+\.jsonl \(5 records merged|failed/,
      'both subjects merged',
    );
    expect(out).not.toMatch(/unknown to the provider|failed/);
    for (const s of job.subjects)
      expect(
        (await readFile(job.rig.path(`${ROOT}/paraphrased/${s}.jsonl`), 'utf8')).split('\n').filter(Boolean),
      ).toHaveLength(5);
    expect((await executionLogDuplicates(path.join(stateDir, 'emulator'))).duplicates).toBe(0);
  } finally {
    process.kill(-watch.child.pid!, 'SIGINT');
    await watch;
    await job.dispose();
  }
}, 90_000);
