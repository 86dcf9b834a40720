/**
 * The fault campaign: the emulator at hostile settings (5xx and 429 bursts with retry-after on
 * API calls, dropped connections, replies slower than the client's timeout, "Cannot find file"
 * right after upload, per-request 5xx lines, forced expiries, an enqueued-token limit), and the
 * CLI re-run until the job is done. Then the same figures as the crash campaign, plus how many
 * runs and API calls it took (retries must stay bounded).
 */
import path from 'node:path';
import type { FaultOptions } from '../../src/emulator/index.ts';
import { testProfile } from '../helpers/test-providers.ts';
import {
  booksOf,
  compareRows,
  emulatorFor,
  envFor,
  listAllBatches,
  makeJob,
  mergedFiles,
  prng,
  recordedBatches,
  runCliUnkilled,
  type JobSpec,
  type OutcomeFigures,
} from './lib.ts';

export interface FaultRunOptions {
  spec: JobSpec;
  reference: Map<string, string | undefined>;
  faults: FaultOptions;
  seed: number;
  /** Client per-attempt timeout (PIPELINE_API_TIMEOUT_MS). */
  timeoutMs?: number;
  enqueuedTokenLimit?: number;
  /** Chance, after each run, of force-expiring one running batch. */
  expireChance?: number;
  /** Re-arm a burst of N 429s (retry-after 1 s) before each run. */
  burst429?: number;
  /** Give up (and report) after this long. */
  deadlineMs: number;
  emulatorSpeed?: number;
  log?: (line: string) => void;
}

export interface FaultFigures extends OutcomeFigures {
  runs: number;
  exits: Record<string, number>;
  apiCalls: number;
  expiriesForced: number;
  tokenLimitFailures: number;
  maxExecutionsPerRequest: number;
  /** Creates whose answer was lost, found again: parts adopted (by intent or custom ids), or creates answered again by their idempotency token. */
  lostCreatesFound: number;
  identical: boolean;
  finished: boolean;
  ms: number;
  /** Exits other than 0/75, with output. */
  unexpected: string[];
}

export async function faultCampaign(opts: FaultRunOptions): Promise<FaultFigures> {
  const started = Date.now();
  const random = prng(opts.seed);
  const job = await makeJob(opts.spec, 'pipeline-rel-faults-');
  const provider = opts.spec.provider ?? 'openai';
  const emu = await emulatorFor(
    job,
    {
      speed: opts.emulatorSpeed ?? 20,
      seed: opts.seed,
      faults: opts.faults,
      ...(opts.enqueuedTokenLimit ? { enqueuedTokenLimit: opts.enqueuedTokenLimit } : {}),
    },
    provider,
  );
  const f: FaultFigures = {
    runs: 0,
    exits: {},
    apiCalls: 0,
    expiriesForced: 0,
    tokenLimitFailures: 0,
    maxExecutionsPerRequest: 0,
    lostCreatesFound: 0,
    duplicates: 0,
    orphanBatches: 0,
    duplicateExecutions: 0,
    batchesCreated: 0,
    batchesRecorded: 0,
    rowsExpected: 0,
    rowsLost: 0,
    rowsWrong: 0,
    identical: false,
    finished: false,
    ms: 0,
    unexpected: [],
  };
  let last = '';
  const env = envFor(emu, opts.timeoutMs ? { PIPELINE_API_TIMEOUT_MS: String(opts.timeoutMs) } : {}, provider);
  try {
    while (Date.now() - started < opts.deadlineMs) {
      const faults = structuredClone(opts.faults);
      if (opts.burst429)
        faults.http = [{ status: 429, count: opts.burst429, retryAfterSeconds: 1 }, ...(faults.http ?? [])];
      emu.setFaults(faults);
      const r = await runCliUnkilled(['build'], job.rig.dir, env);
      last = r.stdout;
      f.runs += 1;
      f.exits[String(r.code)] = (f.exits[String(r.code)] ?? 0) + 1;
      if (r.code === 0) {
        f.finished = true;
        break;
      }
      if (r.code !== 75) {
        f.unexpected.push(`run ${f.runs}: exit ${String(r.code)}\n${r.stdout}\n${r.stderr}`);
        if (f.unexpected.length > 3) break;
      }
      if (opts.expireChance && random() < opts.expireChance) {
        emu.setFaults({});
        const running = (await listAllBatches(emu.url, undefined, provider)).filter(
          (b) => b.status === 'in_progress' || b.status === 'validating',
        );
        const victim = running[Math.floor(random() * running.length)];
        if (victim) {
          const at = `${new URL(emu.url).origin}/_emulator/batches/${encodeURIComponent(victim.id)}/expire`;
          if ((await fetch(at, { method: 'POST' })).ok) f.expiriesForced += 1;
        }
      }
      opts.log?.(`  run ${f.runs}: exit ${String(r.code)} (${r.ms} ms)`);
    }
    // What the last build said, for a job that did not finish in time (what it was waiting for).
    if (!f.finished) f.unexpected.push(`not finished; the last build said:\n${last.slice(-1500)}`);
    emu.setFaults({});
    const stats = await emu.stats();
    f.apiCalls = Object.values(stats.routeCalls).reduce((a, b) => a + b, 0);
    const remote = await listAllBatches(emu.url, undefined, provider);
    f.tokenLimitFailures = remote.filter((b) => b.status === 'failed').length;
    const ledger = testProfile(provider).ledgerDir(job.rig.path('.emulator-state'));
    f.maxExecutionsPerRequest = await maxExecutions(path.join(ledger, 'executions.log'));
    const books = await booksOf(emu, job, provider);
    const adopted = (await recordedBatches(job)).parts.filter((p) => p.adopted).length;
    f.lostCreatesFound = adopted + (stats.aws?.idempotentReplays ?? 0);
    const rows = compareRows(opts.reference, await mergedFiles(job));
    Object.assign(f, {
      duplicates: books.duplicates,
      orphanBatches: books.orphanBatches,
      duplicateExecutions: books.duplicateExecutions,
      batchesCreated: books.batchesCreated,
      batchesRecorded: books.batchesRecorded,
      rowsExpected: rows.expected,
      rowsLost: rows.lost,
      rowsWrong: rows.wrong,
      identical: rows.identical,
    });
  } finally {
    f.ms = Date.now() - started;
    await emu.close();
    await job.dispose();
  }
  return f;
}

/** Most times one request body was run (successes and injected 5xx), from the execution log. */
async function maxExecutions(file: string): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const counts = new Map<string, number>();
  for (const line of (await readFile(file, 'utf8').catch(() => '')).split('\n')) {
    const hash = line.split(' ')[1];
    if (hash) counts.set(hash, (counts.get(hash) ?? 0) + 1);
  }
  return Math.max(0, ...counts.values());
}
