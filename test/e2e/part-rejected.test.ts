/**
 * A target with one part rejected by the provider while another part of it is still running is
 * both failed and pending: a plain build exits 75 naming the failure (and `status --json` says
 * both), `build --wait` keeps waiting for the running part and collects it, and only then does
 * the target fail (exit 1) — the running part's answers are kept, never left uncollected. The CLI
 * runs in-process on a ManualClock shared with the emulator: no real time is waited for.
 */
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
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

const GOOD = 30;

/** One request file, two models: its parts are cut per model, and the unknown model's is rejected at validation. */
async function setUp(clock: ManualClock): Promise<NodeJS.ProcessEnv> {
  rig = await Rig.create('pipeline-part-rejected-');
  const line = (i: number, model: string) => ({
    custom_id: `job-${i}`,
    method: 'POST',
    url: '/v1/chat/completions',
    body: { model, messages: [{ role: 'user', content: `Say ${i}` }], max_tokens: 20 },
  });
  await rig.write({
    'pipeline.config.ts': `import { batch, definePipeline } from ${JSON.stringify(path.join(REPO, 'src/config/define.ts'))};
export default definePipeline({ root: 'data', rules: [
  { name: 'batch', inputs: ['requests/{name}.jsonl'], output: 'results/{name}.jsonl', marker: 'requests/{name}.batch.json',
    stage: batch({}) },
]});
`,
    'data/requests/job.jsonl': [
      ...Array.from({ length: GOOD }, (_, i) => line(i + 1, 'gpt-4.1-mini')),
      line(GOOD + 1, 'gpt-no-such-model'),
    ],
  });
  // Speed 0.1: 10 s validating, then 5 requests a second — the good part runs 6 s after both validate.
  emulator = await startEmulator({ stateDir: rig.path('emulator'), clock, speed: 0.1 });
  return { OPENAI_API_KEY: 'k', OPENAI_BASE_URL: emulator.url };
}

async function cli(clock: ManualClock, args: string[], env: NodeJS.ProcessEnv, tick = 0) {
  const stdout = capture();
  const stderr = capture();
  let finished = false;
  const run = main(args, { stdout, stderr, cwd: rig!.dir, env, signal: new AbortController().signal, clock }).finally(
    () => (finished = true),
  );
  while (tick > 0 && !finished) {
    await new Promise((r) => setTimeout(r, 10));
    clock.advance(tick);
  }
  return { code: await run, stdout: stdout.text, stderr: stderr.text };
}

it('a plain build exits 75 naming the rejected part while the other runs; status --json says both', async () => {
  const clock = new ManualClock(Date.now());
  const env = await setUp(clock);
  expect((await cli(clock, ['build'], env)).code).toBe(75);
  clock.advance(11_000); // both validated: one part rejected, the other running
  const run = await cli(clock, ['build'], env);
  expect(run.code, run.stdout).toBe(75);
  expect(run.stdout).toMatch(/… pending {5}results\/job\.jsonl .*\n {4}failed: .*the provider rejected batch/);
  expect(run.stdout).toMatch(/gpt-no-such-model/);
  const status = await cli(clock, ['status', '--json'], env);
  const row = (JSON.parse(status.stdout) as { target: string; state: string; failure?: { message: string } }[]).find(
    (r) => r.target === 'results/job.jsonl',
  );
  expect(row?.state).toBe('pending');
  expect(row?.failure?.message).toMatch(/the provider rejected batch/);
  clock.advance(60_000); // the good part is done: collected, and now the target fails
  const last = await cli(clock, ['build'], env);
  expect(last.code, last.stdout).toBe(1);
  expect(last.stdout).toContain('✗ failed      results/job.jsonl');
  const cache = await rig!.read(`data/.pipeline/cache/results/job.jsonl`).catch(() => '');
  expect(cache.split('\n').filter(Boolean).length).toBeGreaterThanOrEqual(GOOD);
});

it('build --wait waits for the running part of a target whose other part was rejected, then exits 1', async () => {
  const clock = new ManualClock(Date.now());
  const env = await setUp(clock);
  const run = await cli(clock, ['build', '--wait', '--poll-interval', '1'], env, 250);
  expect(run.code, run.stdout + run.stderr).toBe(1);
  expect(run.stdout).toMatch(/failed:\n {2}results\/job\.jsonl: requests\/job\.jsonl: the provider rejected batch/);
  const stats = await emulator!.stats();
  expect(stats.requestsExecuted).toBe(GOOD); // the running part was waited for, to its end
  const ledger = JSON.parse(await rig!.read('data/requests/job.batch.json')) as { parts: { state: string }[] };
  expect(ledger.parts.map((p) => p.state)).toEqual(['collected', 'collected']);
});
