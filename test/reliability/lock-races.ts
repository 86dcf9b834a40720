/**
 * Lock races (issue #11.2), through the real CLI: several `build`s of one fresh job started at the
 * same moment, their attempts to create the lock lined up to the millisecond by a preloaded
 * barrier (fixtures/lock-barrier.ts). Exactly one may proceed; every other one must exit 75 naming
 * that one's pid, having changed nothing. Then plain `build` until done: no duplicate batch, no
 * row lost.
 *
 * Besides races on a free lock, the creation window: the lock file as an older version left it
 * while creating it (created empty, written after — the window in which a second build once took
 * it for a dead holder's and removed it). Young, it must count as held by its writer (every racer
 * waits and leaves it alone); older than the grace period (its writer died mid-write), or naming a
 * dead pid, it is taken over by exactly one racer.
 */
import type { Stats } from 'node:fs';
import { appendFile, mkdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { UNREADABLE_LOCK_GRACE_MS } from '../../src/engine/lock.ts';
import type { RunningEmulator } from '../../src/emulator/index.ts';
import { REPO, runCli } from '../helpers/rig.ts';
import { addOutcome, blank, noteRun, type HoleFigures } from './campaign-figures.ts';
import { buildUntilDone, emulatorFor, envFor, makeJob, ROOT, type Attempt, type JobSpec } from './lib.ts';

/** What the lock file is before the racers start. */
export type LockRaceKind = 'free' | 'being-written' | 'torn-and-old' | 'dead-holder';

export interface LockRaceOptions {
  spec: JobSpec;
  reference: Map<string, string | undefined>;
  /** One trial per entry: the racers' count and the lock they find. */
  trials: readonly { racers: number; kind: LockRaceKind }[];
  /** How long after spawning the racers their lock attempts are let go at first (covers their start-up; grows with it). */
  startAllowanceMs?: number;
  log?: (line: string) => void;
}

export interface LockRaceFigures extends HoleFigures {
  trials: number;
  racers: number;
  /** Trials where one racer proceeded and every other one waited, naming it. */
  oneWinner: number;
  /** Trials on a young unreadable lock where every racer waited and left the file alone. */
  allWaited: number;
  /** Trials where more than one racer created the lock file or proceeded: the lock failed. */
  doubleHolds: number;
  /** Racers whose lock attempt came after the barrier (their start-up took longer than the allowance). */
  lateRacers: number;
  /** Widest gap between the racers' lock attempts in one trial (ms; 0–1 when lined up). */
  widestSpreadMs: number;
  kinds: Record<LockRaceKind, number>;
}

const BARRIER_URL = pathToFileURL(path.join(REPO, 'test/reliability/fixtures/lock-barrier.ts')).href;
const REFUSED =
  /another build is running in .*: (.*)\n {2}nothing was changed; run the command again when it has finished/;
const DEAD_PID = 2 ** 22 + 4321;

export async function lockRaceCampaign(opts: LockRaceOptions): Promise<LockRaceFigures> {
  const started = Date.now();
  const f: LockRaceFigures = {
    ...blank(),
    trials: 0,
    racers: 0,
    oneWinner: 0,
    allWaited: 0,
    doubleHolds: 0,
    lateRacers: 0,
    widestSpreadMs: 0,
    kinds: { free: 0, 'being-written': 0, 'torn-and-old': 0, 'dead-holder': 0 },
  };
  f.finished = true;
  // Start-up takes seconds on a busy machine: the allowance grows to 1.5× the slowest racer seen.
  let allowance = opts.startAllowanceMs ?? 6000;
  for (const trial of opts.trials) {
    f.trials += 1;
    f.racers += trial.racers;
    f.kinds[trial.kind] += 1;
    const label = `trial ${f.trials} (${trial.racers} racers, ${trial.kind} lock)`;
    const job = await makeJob(opts.spec, 'pipeline-rel-lock-');
    let emu: RunningEmulator | undefined;
    try {
      emu = await emulatorFor(job, { speed: 20 });
      const env = envFor(emu);
      const stateDir = job.rig.path(`${ROOT}/.pipeline`);
      const lockFile = path.join(stateDir, 'lock');
      const lockLog = job.rig.path('lock-attempts.log');
      await appendFile(lockLog, '');
      const spawnedAt = Date.now();
      const at = spawnedAt + allowance;
      // A lock being written is young when the racers reach it: it appears a second before they are let go.
      const placed = placeLock(lockFile, trial.kind, trial.kind === 'being-written' ? at - 1000 : Date.now());
      const raceEnv = {
        ...env,
        PIPELINE_TEST_LOCK_AT: String(at),
        PIPELINE_TEST_LOCK_LOG: lockLog,
      };
      const runs = Array.from({ length: trial.racers }, () =>
        runCli(['build'], { cwd: job.rig.dir, env: raceEnv, preload: [BARRIER_URL] }),
      );
      const pids = runs.map((r) => r.child.pid!);
      const before = await placed;
      const results: Attempt[] = (await Promise.all(runs)).map((r) => ({ ...r, killed: false, ms: 0 }));
      results.forEach((r, i) => noteRun(f, r, [0, 75], `${label} racer ${i + 1}`));
      const attempts = await lockAttempts(lockLog);
      const firsts = attempts.filter((a) => a.arrived !== 'again');
      const slowest = Math.max(0, ...firsts.map((a) => a.arrivedAt - spawnedAt));
      allowance = Math.min(30_000, Math.max(allowance, Math.round(1.5 * slowest)));
      f.lateRacers += firsts.filter((a) => a.arrived === 'late').length;
      if (firsts.length > 1)
        f.widestSpreadMs = Math.max(
          f.widestSpreadMs,
          Math.max(...firsts.map((a) => a.at)) - Math.min(...firsts.map((a) => a.at)),
        );
      const creators = new Set(attempts.filter((a) => a.outcome === 'created').map((a) => a.pid));
      const refused = results.map((r) => REFUSED.exec(r.stderr)?.[1]);
      const proceeded = pids.filter((_, i) => refused[i] === undefined);
      if (trial.kind === 'being-written') {
        // Its writer may still be writing it: every racer waits, names it so, and leaves it alone.
        const after = await stat(lockFile).catch(() => undefined);
        const untouched = after !== undefined && after.ino === before!.ino && (await readFile(lockFile, 'utf8')) === '';
        const named = refused.every((who) => who !== undefined && /lock file is still being written/.test(who));
        if (creators.size > 0 || proceeded.length > 0) f.doubleHolds += 1;
        if (untouched && named && creators.size === 0 && proceeded.length === 0) f.allWaited += 1;
        else
          f.unclear.push(
            `${label}: expected every racer to wait on the lock being written (file untouched: ${untouched}, all named it: ${named}, lock created by ${creators.size}, proceeded ${proceeded.length})\n${results.map((r) => r.stderr).join('\n')}`,
          );
        await rm(lockFile); // its writer finished and let go
      } else {
        const winner = proceeded[0];
        const namedWinner = refused.every((who) => who === undefined || who.startsWith(`pid ${winner} `));
        if (creators.size > 1 || proceeded.length > 1) f.doubleHolds += 1;
        if (proceeded.length === 1 && creators.size === 1 && creators.has(winner!) && namedWinner) f.oneWinner += 1;
        else
          f.unclear.push(
            `${label}: expected one racer to proceed and the others to name it (proceeded: ${proceeded.join(', ') || 'none'}; lock created by: ${[...creators].join(', ') || 'none'}; refusals: ${JSON.stringify(refused)})`,
          );
      }
      const rest = await buildUntilDone(job.rig.dir, env, [], 60).catch((e: Error) => e);
      if (rest instanceof Error) {
        f.finished = false;
        f.unclear.push(`${label}: ${rest.message.slice(0, 800)}`);
      } else for (const code of rest.codes) f.exits[String(code)] = (f.exits[String(code)] ?? 0) + 1;
      await addOutcome(f, emu, job, opts.reference);
      opts.log?.(
        `${label}: proceeded ${proceeded.length}, lock created by ${creators.size}, spread ${firsts.length > 1 ? Math.max(...firsts.map((a) => a.at)) - Math.min(...firsts.map((a) => a.at)) : 0} ms; dup ${f.duplicates}, lost ${f.rowsLost}`,
      );
    } finally {
      await emu?.close();
      await job.dispose();
    }
  }
  f.ms = Date.now() - started;
  return f;
}

/** Puts the lock the racers will find in place at `when` (none for a free race); answers its stat. */
async function placeLock(lockFile: string, kind: LockRaceKind, when: number): Promise<Stats | undefined> {
  if (kind === 'free') return undefined;
  await mkdir(path.dirname(lockFile), { recursive: true });
  await new Promise((r) => setTimeout(r, Math.max(0, when - Date.now())));
  if (kind === 'being-written') await writeFile(lockFile, '');
  if (kind === 'torn-and-old') {
    await writeFile(lockFile, '{"pid": 12');
    const old = new Date(Date.now() - UNREADABLE_LOCK_GRACE_MS - 60_000);
    await utimes(lockFile, old, old);
  }
  if (kind === 'dead-holder')
    await writeFile(lockFile, JSON.stringify({ pid: DEAD_PID, host: os.hostname(), command: 'build', startedAt: 1 }));
  return stat(lockFile);
}

interface LockAttempt {
  pid: number;
  arrived: 'early' | 'late' | 'again';
  at: number;
  outcome: string;
  arrivedAt: number;
}

async function lockAttempts(file: string): Promise<LockAttempt[]> {
  return (await readFile(file, 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [pid, arrived, at, outcome, arrivedAt] = line.split(' ');
      return {
        pid: Number(pid),
        arrived: arrived as LockAttempt['arrived'],
        at: Number(at),
        outcome: outcome!,
        arrivedAt: Number(arrivedAt),
      };
    });
}
