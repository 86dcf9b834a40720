/**
 * Concurrency on one pipeline root: two builds started together, `watch` and `build` side by
 * side, `status` while a build runs. Whoever waits must say so clearly; the books must show no
 * duplicate, the state must stay readable and the merged files must match the reference.
 */
import path from 'node:path';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.ts';
import { runCli } from '../helpers/rig.ts';
import {
  booksOf,
  buildUntilDone,
  compareRows,
  emulatorFor,
  envFor,
  makeJob,
  mergedFiles,
  recordedBatches,
  ROOT,
  runCliKillable,
  type Attempt,
  type JobSpec,
} from './lib.ts';

export type ConcurrencyCase = 'two-builds' | 'watch+build' | 'status-during-build';

export interface ConcurrencyOutcome {
  case: ConcurrencyCase;
  offline: boolean;
  duplicates: number;
  rowsExpected: number;
  rowsLost: number;
  rowsWrong: number;
  /** Messages that should have been clear and were not (or exits that should not happen). */
  unclear: string[];
}

const LOCK_MESSAGE =
  /another build is running in .*: pid \d+ on .*\(`pipeline build.*`, started \d+s ago\)\n {2}nothing was changed; run the command again when it has finished/;

export async function concurrencyTrial(
  kind: ConcurrencyCase,
  spec: JobSpec,
  reference: Map<string, string | undefined>,
  offline = false,
): Promise<ConcurrencyOutcome> {
  const job = await makeJob(spec, 'pipeline-rel-conc-');
  let emu: RunningEmulator | undefined = offline ? undefined : await emulatorFor(job, { speed: 20 });
  const env = offline ? { OPENAI_API_KEY: 'unused-offline', PIPELINE_EMULATOR_SPEED: '20' } : envFor(emu!);
  const extra = offline ? ['--offline'] : [];
  const unclear: string[] = [];
  const cwd = job.rig.dir;
  try {
    if (kind === 'two-builds') {
      const [a, b] = await Promise.all([
        runCliKillable(['build', ...extra], cwd, env),
        runCliKillable(['build', ...extra], cwd, env),
      ]);
      for (const r of [a, b]) checkExit(r, unclear);
      const waited = [a, b].filter((r) => r.code === 75 && /another build is running/.test(r.stderr));
      for (const r of waited) if (!LOCK_MESSAGE.test(r.stderr)) unclear.push(`unclear lock message: ${r.stderr}`);
    } else if (kind === 'status-during-build') {
      const build = runCliKillable(['build', ...extra], cwd, env);
      let finished = false;
      void build.then(() => (finished = true));
      let looks = 0;
      while (!finished || looks === 0) {
        const s = await runCliKillable(['status', '--json', ...extra], cwd, env);
        looks += 1;
        if (s.code !== 0) unclear.push(`status exited ${String(s.code)} during a build: ${s.stderr}`);
        else {
          try {
            JSON.parse(s.stdout);
          } catch {
            unclear.push(`status --json printed invalid JSON during a build: ${s.stdout.slice(0, 300)}`);
          }
        }
        if (looks > 20) break;
      }
      checkExit(await build, unclear);
    } else {
      const watch = runCli(['watch', '--poll-interval', '1', ...extra], { cwd, env });
      let out = '';
      watch.child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      // Builds while watch is working: each must exit 0/75; a lock refusal must be the clear message.
      for (let i = 0; i < 30; i++) {
        const r = await runCliKillable(['build', ...extra], cwd, env);
        checkExit(r, unclear);
        if (
          r.code === 75 &&
          /another build is running/.test(r.stderr) &&
          !/another build is running in .*: pid \d+ on .*\(`pipeline watch`, started \d+s ago\)/.test(r.stderr)
        )
          unclear.push(`unclear lock message: ${r.stderr}`);
        if (r.code === 0) break;
      }
      process.kill(-watch.child.pid!, 'SIGINT');
      const w = await watch;
      if (w.code !== 0) unclear.push(`watch exited ${String(w.code)}: ${w.stderr.slice(0, 500)}`);
      if (/build crashed|failed/.test(w.stdout + w.stderr))
        unclear.push(`watch reported: ${(w.stdout + w.stderr).slice(0, 1500)}`);
      void out;
    }
    await buildUntilDone(cwd, env, extra);
    const markers = await recordedBatches(job);
    if (markers.unreadable.length > 0) unclear.push(`unreadable markers: ${markers.unreadable.join(', ')}`);
    if (offline)
      emu = await startEmulator({ stateDir: path.join(job.rig.path(ROOT), '.pipeline', 'emulator'), speed: 20 });
    const books = await booksOf(emu!, job);
    const rows = compareRows(reference, await mergedFiles(job));
    return {
      case: kind,
      offline,
      duplicates: books.duplicates,
      rowsExpected: rows.expected,
      rowsLost: rows.lost,
      rowsWrong: rows.wrong,
      unclear,
    };
  } finally {
    await emu?.close();
    await job.dispose();
  }
}

function checkExit(r: Attempt, unclear: string[]): void {
  if (r.code !== 0 && r.code !== 75)
    unclear.push(`exit ${String(r.code)} ${String(r.signal)}:\n${r.stdout}\n${r.stderr}`);
}
