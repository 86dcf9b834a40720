/**
 * The README's re-run loop, run as a user runs it: `sh` runs the loop line taken from the README,
 * each `pipeline build` is the real CLI in its own process, and the loop's `sleep 60` moves the
 * emulator's clock 60 s instead (its control route), so nothing waits in real time.
 *
 * One subject is broken (a record that is not JSON) beside three good ones whose batches are slow
 * to validate. The loop must keep going while their batches are in flight (exit 75, the failure
 * listed each time) and end once nothing is left to wait for: the three good subjects merged, and
 * exit 1 naming the broken one.
 */
import { spawn } from 'node:child_process';
import { appendFile, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { generateMmluDataset } from '../../src/data/generate-mmlu.ts';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.ts';
import { mmluConfig } from '../helpers/mmlu-config.ts';
import { REPO, Rig } from '../helpers/rig.ts';

let rig: Rig | undefined;
let emulator: RunningEmulator | undefined;
afterEach(async () => {
  await emulator?.close();
  await rig?.dispose();
});

/** The loop as the README shows it (one line in a sh block). */
async function readmeLoop(): Promise<string> {
  const readme = await readFile(path.join(REPO, 'README.md'), 'utf8');
  const line = readme.split('\n').find((l) => /^until npx pipeline build; do .*\$\? = 75.*sleep 60; done/.test(l));
  if (!line) throw new Error('README.md has no `until npx pipeline build; do … sleep 60; done` loop');
  return line.replace(/\s+#.*$/, '');
}

function runShell(script: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  const child = spawn('sh', ['-c', script], { cwd: rig!.dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, output })));
}

it("the README's loop ends with the good subjects merged and exit 1 naming the broken one", async () => {
  rig = await Rig.create('pipeline-rerun-loop-');
  await rig.write({ 'pipeline.config.ts': await mmluConfig('openai') });
  const made = await generateMmluDataset({
    outDir: rig.path('results/mmlu/original'),
    subjects: 4,
    recordsPerSubject: 3,
  });
  const [broken, ...good] = made.subjects as [string, ...string[]];
  await appendFile(rig.path(`results/mmlu/original/${broken}.jsonl`), '{"question_number": 4, "subject": \n');
  // Speed 0.01: 100 s validating, 50 s finalizing — each batch outlives more than one run of the loop.
  emulator = await startEmulator({ stateDir: rig.path('emulator'), speed: 0.01 });
  const clockUrl = new URL('/_emulator/clock', emulator.url).href;

  const loop = (await readmeLoop()).replace('npx pipeline build', 'pipeline build').replace('sleep 60', 'advance 60');
  const script = [
    // Each run's exit code, as the loop sees it, for the test to read.
    `pipeline() { "$NODE" "$BIN" "$@"; code=$?; echo "[exit $code]"; return $code; }`,
    `advance() { "$NODE" -e "fetch(process.argv[1], { method: 'POST', body: JSON.stringify({ advanceMs: $1 * 1000 }) }).then((r) => process.exit(r.ok ? 0 : 1))" "$CLOCK"; }`,
    loop,
  ].join('\n');
  const run = await runShell(script, {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NO_COLOR: '1',
    NODE: process.execPath,
    BIN: path.join(REPO, 'bin', 'pipeline.js'),
    CLOCK: clockUrl,
    OPENAI_API_KEY: 'sk-loop',
    OPENAI_BASE_URL: emulator.url,
  });
  expect(run.code, run.output).toBe(0);
  const codes = [...run.output.matchAll(/\[exit (\d+)\]/g)].map((m) => Number(m[1]));
  // Waited while batches were in flight, then stopped on the failure once nothing was left to wait for.
  expect(codes.length, run.output).toBeGreaterThan(2);
  expect(
    codes.slice(0, -1).every((c) => c === 75),
    run.output,
  ).toBe(true);
  expect(codes.at(-1), run.output).toBe(1);
  // The broken subject is named by every run, the last one included.
  const runs = run.output.split(/\[exit \d+\]\n/).filter(Boolean);
  for (const text of runs) expect(text).toContain(`original/${broken}.jsonl:4`);
  for (const subject of good) {
    const merged = await rig.lines(`results/mmlu/paraphrased/${subject}.jsonl`);
    expect(merged, subject).toHaveLength(3);
  }
  const stats = await emulator.stats();
  expect(stats.batchesCreated).toBe(3);
  expect(stats.duplicateExecutions).toBe(0);
}, 120_000);
