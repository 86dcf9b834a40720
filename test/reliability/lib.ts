/**
 * Reliability harness shared by the fast tests (test/reliability-fast) and the long campaign
 * (test/reliability/run.ts): a job in a temp dir (the repo's own pipeline.config.ts, generated
 * MMLU sources), a test-owned emulator on 127.0.0.1, the real CLI in a subprocess that can be
 * SIGKILLed as a whole process group at any moment (runs that nobody kills are in-process), and
 * the figures:
 *
 * - duplicates: batches the provider holds that no marker records (orphans: paid, not used),
 *   extra batches for one submission intent, and request bodies executed twice after a success
 *   (the emulator's `duplicateExecutions`);
 * - rows lost / rows wrong: merged files against an uninterrupted reference run of the same
 *   sources (the stand-in model is deterministic, so they must be byte-identical).
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { generateMmluDataset } from '../../src/data/generate-mmlu.ts';
import { startEmulator, type EmulatorOptions, type RunningEmulator } from '../../src/emulator/index.ts';
import { providerSpec } from '../../src/providers/registry.ts';
import { mmluConfig, type ConfigProvider } from '../helpers/mmlu-config.ts';
import { ALL_FAILPOINTS, testProfile } from '../helpers/test-providers.ts';
import { createBatchServices } from '../../src/stages/batch/services.ts';
import { REPO, Rig, runCli, runCliAuto, type CliResult } from '../helpers/rig.ts';
import { mulberry32 } from '../../src/util/prng.ts';

/** Distinctive, so a search of everything written finds it if it ever leaks. */
export const FAKE_KEY = 'sk-reliability-NEVER-WRITE-ME-7d3f9b21c4e8';
export const ROOT = 'results/mmlu';

export interface JobSpec {
  subjects: number;
  /** Records per subject; omitted: each subject's real MMLU test-split size. */
  records?: number;
  seed?: number;
  /** Who runs the batches (default OpenAI): the same MMLU job on Anthropic writes the same paths. */
  provider?: ConfigProvider;
}

export interface Job {
  rig: Rig;
  subjects: string[];
  records: number;
  dispose(): Promise<void>;
}

/** The repo's pipeline.config.ts (import made absolute) and generated sources in a temp dir. */
export async function makeJob(spec: JobSpec, prefix = 'pipeline-rel-'): Promise<Job> {
  const rig = await Rig.create(prefix);
  await rig.write({ 'pipeline.config.ts': await mmluConfig(spec.provider ?? 'openai') });
  const made = await generateMmluDataset({
    outDir: rig.path(`${ROOT}/original`),
    subjects: spec.subjects,
    ...(spec.records === undefined ? {} : { recordsPerSubject: spec.records }),
    seed: spec.seed ?? 7,
  });
  return { rig, subjects: made.subjects, records: made.records, dispose: () => rig.dispose() };
}

export async function repoConfig(): Promise<string> {
  const text = await readFile(path.join(REPO, 'pipeline.config.ts'), 'utf8');
  return text.replace("'./src/config/define.ts'", JSON.stringify(path.join(REPO, 'src/config/define.ts')));
}

/** The job's emulator, with what its provider's account needs (Bedrock: a lowered minimum, its bucket). */
export async function emulatorFor(
  job: Job,
  opts: Partial<EmulatorOptions> = {},
  provider: ConfigProvider = 'openai',
): Promise<RunningEmulator> {
  const profile = testProfile(provider);
  const emu = await startEmulator({
    stateDir: job.rig.path('.emulator-state'),
    speed: 50,
    ...profile.emulator,
    ...opts,
  });
  await profile.setUp(new URL(emu.url).origin, FAKE_KEY);
  return emu;
}

/** The environment that points the CLI at the emulator, through the provider's own variables. */
export function envFor(
  emu: RunningEmulator,
  extra: NodeJS.ProcessEnv = {},
  provider: ConfigProvider = 'openai',
): NodeJS.ProcessEnv {
  return { ...testProfile(provider).env(new URL(emu.url).origin, FAKE_KEY), ...extra };
}

export interface Attempt extends CliResult {
  killed: boolean;
  ms: number;
}

/** Runs the CLI where nothing will kill it: in this process unless `env` asks for a process-level hook. */
export async function runCliUnkilled(args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<Attempt> {
  const started = Date.now();
  const result = await runCliAuto(args, { cwd, env });
  return { ...result, killed: false, ms: Date.now() - started };
}

/** Runs the CLI in a subprocess; with `killAfterMs`, SIGKILLs its whole process group then (if still running). */
export async function runCliKillable(
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
  killAfterMs?: number,
): Promise<Attempt> {
  const started = Date.now();
  const run = runCli(args, { cwd, env });
  let timer: NodeJS.Timeout | undefined;
  if (killAfterMs !== undefined) {
    timer = setTimeout(() => {
      try {
        process.kill(-run.child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }, killAfterMs);
  }
  const result = await run;
  clearTimeout(timer);
  return { ...result, killed: result.signal === 'SIGKILL', ms: Date.now() - started };
}

/**
 * Builds until exit 0 (every run must exit 0 or 75), within `maxSeconds`; returns the runs and the
 * last result. Nothing is killed here, so the runs are in this process (a subprocess when `env`
 * asks for a process-level hook such as a failpoint), a short pause between them while batches run.
 */
export async function buildUntilDone(
  cwd: string,
  env: NodeJS.ProcessEnv,
  args: string[] = [],
  maxSeconds = 180,
): Promise<{ runs: number; last: Attempt; codes: number[] }> {
  const codes: number[] = [];
  const deadline = Date.now() + maxSeconds * 1000;
  for (let run = 1; ; run++) {
    const r = await runCliUnkilled(['build', ...args], cwd, env);
    codes.push(r.code ?? -1);
    if (r.code === 0) return { runs: run, last: r, codes };
    if (r.code !== 75)
      throw new Error(`build run ${run} exited ${String(r.code)} (${String(r.signal)}):\n${r.stdout}\n${r.stderr}`);
    if (Date.now() > deadline)
      throw new Error(`not done after ${run} runs in ${maxSeconds} s (codes ${codes.join(',')})`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Merged output of each subject, as bytes-as-text. */
export async function mergedFiles(job: Job): Promise<Map<string, string | undefined>> {
  const out = new Map<string, string | undefined>();
  for (const s of job.subjects)
    out.set(s, await readFile(job.rig.path(`${ROOT}/paraphrased/${s}.jsonl`), 'utf8').catch(() => undefined));
  return out;
}

export interface RowFigures {
  expected: number;
  lost: number;
  wrong: number;
  identical: boolean;
}

/** Compares merged files with a reference run's, row by row (by question_number) and byte by byte. */
export function compareRows(
  reference: Map<string, string | undefined>,
  actual: Map<string, string | undefined>,
): RowFigures {
  let expected = 0;
  let lost = 0;
  let wrong = 0;
  let identical = true;
  for (const [subject, ref] of reference) {
    const refRows = rowsById(ref ?? '');
    const got = actual.get(subject);
    const gotRows = rowsById(got ?? '');
    expected += refRows.size;
    if (got !== ref) identical = false;
    for (const [id, line] of refRows) {
      const mine = gotRows.get(id);
      if (mine === undefined) lost += 1;
      else if (mine !== line) wrong += 1;
    }
    // Rows that should not be there at all are wrong too.
    for (const id of gotRows.keys()) if (!refRows.has(id)) wrong += 1;
  }
  return { expected, lost, wrong, identical };
}

function rowsById(text: string): Map<string, string> {
  const rows = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (!line) continue;
    try {
      const id = String((JSON.parse(line) as { question_number: unknown }).question_number);
      rows.set(rows.has(id) ? `${id}#dup${rows.size}` : id, line);
    } catch {
      rows.set(`garbage#${rows.size}`, line);
    }
  }
  return rows;
}

/** What the provider holds, read over HTTP (all pages of the batch list). */
export interface RemoteBatchRow {
  id: string;
  status: string;
  metadata: Record<string, string> | null;
  request_counts?: { total: number; completed: number; failed: number };
}

/** OpenAI's batch list as the emulator serves it, every field (the hole campaigns read its file ids). */
export async function listOpenAiBatches(url: string, key = FAKE_KEY): Promise<RemoteBatchRow[]> {
  const all: RemoteBatchRow[] = [];
  let after: string | undefined;
  for (;;) {
    const res = await fetch(`${url}/batches?limit=100${after ? `&after=${after}` : ''}`, {
      headers: { authorization: `Bearer ${key}` },
    });
    if (!res.ok) throw new Error(`list batches: HTTP ${res.status}`);
    const page = (await res.json()) as { data: RemoteBatchRow[]; has_more: boolean };
    all.push(...page.data);
    if (!page.has_more || page.data.length === 0) return all;
    after = page.data.at(-1)!.id;
  }
}

/** Every batch the provider holds, through its own batch transport (the SDK its spec loads), all pages. */
export async function listAllBatches(
  url: string,
  key = FAKE_KEY,
  provider: ConfigProvider = 'openai',
): Promise<RemoteBatchRow[]> {
  const spec = providerSpec(provider);
  const api = await spec.batch({ ...spec.offline(new URL(url).origin), apiKey: key, maxRetries: 2 });
  const all: RemoteBatchRow[] = [];
  let after: string | undefined;
  for (let page = 0; page < 1000; page++) {
    const got = await api.listBatches({ limit: 100, ...(after ? { after } : {}) });
    if (!got.ok) throw new Error(`list batches: ${got.error.message}`);
    for (const b of got.value.data)
      all.push({ id: b.id, status: b.status, metadata: b.metadata, request_counts: b.requestCounts });
    after = got.value.next;
    if (!after || got.value.data.length === 0) return all;
  }
  return all;
}

interface MarkerPart {
  n: number;
  state: string;
  batchId?: string;
  intent: string;
  createAttemptAt?: string;
  /** The part's create request never left the process (see ledger.ts). */
  createNotSent?: true;
  adopted?: boolean;
}

/** Every batch id recorded in the job's markers (the ledger of what the tool knows it paid for). */
export async function recordedBatches(
  job: Job,
): Promise<{ ids: Set<string>; parts: MarkerPart[]; unreadable: string[] }> {
  const dir = job.rig.path(`${ROOT}/paraphrase_batch`);
  const ids = new Set<string>();
  const parts: MarkerPart[] = [];
  const unreadable: string[] = [];
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    if (!name.endsWith('.batch.json')) continue;
    try {
      const ledger = JSON.parse(await readFile(path.join(dir, name), 'utf8')) as { parts: MarkerPart[] };
      for (const p of ledger.parts) {
        parts.push(p);
        if (p.batchId) ids.add(p.batchId);
      }
    } catch {
      unreadable.push(name);
    }
  }
  return { ids, parts, unreadable };
}

/** What the crash and fault campaigns both report: the provider's books and the merged rows (all must be 0 but the counts of batches and rows). */
export interface OutcomeFigures {
  duplicates: number;
  orphanBatches: number;
  duplicateExecutions: number;
  batchesCreated: number;
  batchesRecorded: number;
  rowsExpected: number;
  rowsLost: number;
  rowsWrong: number;
}

export interface Books {
  /** Batches the provider created (emulator's books). */
  batchesCreated: number;
  /** Batches recorded in some marker: the ones the tool needed and knows about. */
  batchesRecorded: number;
  /** Created but recorded nowhere: paid for and never used. */
  orphanBatches: number;
  /** Extra batches made for one submission intent (a create repeated after a crash). */
  intentDuplicates: number;
  requestsExecuted: number;
  /** Request bodies executed again after they had already succeeded. */
  duplicateExecutions: number;
  /** orphans + intent duplicates + duplicate executions: what the tables call "duplicates". */
  duplicates: number;
}

export async function booksOf(emu: RunningEmulator, job: Job, provider: ConfigProvider = 'openai'): Promise<Books> {
  const stats = testProfile(provider).books(await emu.stats());
  const remote = await listAllBatches(emu.url, FAKE_KEY, provider);
  const { ids } = await recordedBatches(job);
  const orphans = remote.filter((b) => !ids.has(b.id)).length;
  const byIntent = new Map<string, number>();
  for (const b of remote) {
    const intent = b.metadata?.pipeline_intent;
    if (intent) byIntent.set(intent, (byIntent.get(intent) ?? 0) + 1);
  }
  const intentDuplicates = [...byIntent.values()].reduce((sum, n) => sum + n - 1, 0);
  return {
    // The list is authoritative; stats of an in-process (offline) emulator lose what a kill cut off.
    batchesCreated: Math.max(stats.batchesCreated, remote.length),
    batchesRecorded: ids.size,
    orphanBatches: orphans,
    intentDuplicates,
    requestsExecuted: stats.requestsExecuted,
    duplicateExecutions: stats.duplicateExecutions,
    duplicates: orphans + intentDuplicates + stats.duplicateExecutions,
  };
}

/**
 * Runs a job to completion without interference and keeps its merged files as the reference.
 * In-process (the engine and the real SDK client against a fast emulator): no CLI start-up cost.
 */
export async function referenceRun(spec: JobSpec): Promise<Map<string, string | undefined>> {
  const job = await makeJob(spec, 'pipeline-rel-ref-');
  const emu = await emulatorFor(job, { speed: 1000 }, spec.provider);
  try {
    const provider = providerSpec(spec.provider ?? 'openai');
    const api = await provider.batch({ ...provider.offline(new URL(emu.url).origin), apiKey: FAKE_KEY });
    const services = { batch: createBatchServices(api) };
    for (let i = 0; ; i++) {
      const run = await job.rig.build([], { services });
      const states = [...run.summary.results.values()].map((r) => r.state);
      if (states.some((s) => s === 'failed')) throw new Error('reference run failed');
      if (states.every((s) => s === 'fresh' || s === 'built')) break;
      if (i > 50) throw new Error('reference run did not finish');
      await new Promise((r) => setTimeout(r, 20)); // the emulator's clock is real time
    }
    const files = await mergedFiles(job);
    for (const [s, text] of files)
      if (text === undefined) throw new Error(`reference run left no merged file for ${s}`);
    return files;
  } finally {
    await emu.close();
    await job.dispose();
  }
}

/** Deterministic PRNG for campaign choices. */
export const prng = mulberry32;

export const FAILPOINTS = ALL_FAILPOINTS;

/** The failpoints a provider's protocol has: a provider taking the job's parts inline has no upload steps. */
export function failpointsOf(provider: ConfigProvider = 'openai'): readonly string[] {
  return testProfile(provider).failpoints;
}

/** Request bodies that succeeded more than once, from an emulator state dir's execution log. */
export async function executionLogDuplicates(stateDir: string): Promise<{ executed: number; duplicates: number }> {
  const text = await readFile(path.join(stateDir, 'executions.log'), 'utf8').catch(() => '');
  const seen = new Set<string>();
  let executed = 0;
  let duplicates = 0;
  for (const line of text.split('\n')) {
    const [kind, hash] = line.split(' ');
    if (kind !== 's' || !hash) continue;
    executed += 1;
    if (seen.has(hash)) duplicates += 1;
    seen.add(hash);
  }
  return { executed, duplicates };
}
