/**
 * API efficiency: HTTP calls and bytes one `pipeline build` cycle costs with N batches in flight
 * (bulk polling: one list call per 100 in flight), and the end-to-end time of the 57-subject
 * job (14,042 requests) on the emulator, re-running `pipeline build` until it exits 0.
 * The emulator runs in this process; the CLI reaches it through OPENAI_BASE_URL.
 * Run: `npx tsx bench/api.ts [--inflight 57,500,5000] [--subjects 57] [--records N] [--speed 1]`.
 */
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { generateMmluDataset, loadMmluCounts } from '../src/data/generate-mmlu.ts';
import { FINALIZING_MS, REQUESTS_PER_SECOND, VALIDATING_MS } from '../src/emulator/context.ts';
import { startEmulator, type EmulatorStats, type RunningEmulator } from '../src/emulator/index.ts';
import { systemClock } from '../src/util/clock.ts';
import {
  buildUntilDone,
  emulatorEnv,
  int,
  isMain,
  markdownTable,
  mmluConfig,
  numbers,
  runPipeline,
  secs,
} from './lib.ts';

export type BenchProvider = 'openai' | 'anthropic' | 'azure';

export interface PollRow {
  provider: BenchProvider;
  inFlight: number;
  submit: { ms: number; calls: number };
  cycle: { ms: number; calls: number; byRoute: Record<string, number>; bytesIn: number; bytesOut: number };
  /** What one GET /v1/batches/{id} per batch would cost instead. */
  naive: { calls: number; bytes: number };
}

export interface CompletionResult {
  subjects: number;
  records: number;
  speed: number;
  ms: number;
  runs: number;
  lowerBoundMs: number;
  stats: EmulatorStats;
}

const totalCalls = (s: EmulatorStats) => Object.values(s.routeCalls).reduce((a, b) => a + b, 0);

function diffRoutes(after: EmulatorStats, before: EmulatorStats): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(after.routeCalls))
    if (v - (before.routeCalls[k] ?? 0) > 0) out[k] = v - (before.routeCalls[k] ?? 0);
  return out;
}

/** A project of `n` one-record subjects. */
async function smallProject(n: number, provider: BenchProvider): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'pipeline-bench-api-'));
  const made = await generateMmluDataset({
    outDir: path.join(dir, 'original'),
    scale: Math.ceil(n / 57),
    recordsPerSubject: 1,
  });
  await Promise.all(made.subjects.slice(n).map((s) => rm(path.join(dir, 'original', `${s}.jsonl`))));
  await writeFile(path.join(dir, 'pipeline.config.ts'), mmluConfig(undefined, provider));
  return dir;
}

/** With the emulator's clock frozen, every batch stays `validating`: in flight for as long as we like. */
export async function benchPolling(n: number, provider: BenchProvider = 'openai'): Promise<PollRow> {
  const dir = await smallProject(n, provider);
  const frozen = systemClock.now();
  const emulator = await startEmulator({
    stateDir: path.join(dir, 'emulator-state'),
    clock: { now: () => frozen, sleep: (ms, signal) => systemClock.sleep(ms, signal) },
  });
  try {
    const env = emulatorEnv(emulator.url);
    const submit = await runPipeline(dir, ['build'], { env });
    if (submit.code !== 75) throw new Error(`submit build exited ${submit.code}: ${submit.stderr.slice(-1000)}`);
    const before = await emulator.stats();
    if (before.batchesCreated !== n)
      throw new Error(`expected ${n} batches, emulator created ${before.batchesCreated}`);
    const cycle = await runPipeline(dir, ['build'], { env });
    if (cycle.code !== 75) throw new Error(`poll build exited ${cycle.code}: ${cycle.stderr.slice(-1000)}`);
    const after = await emulator.stats();
    const naive = await naiveCost(emulator, n, provider);
    return {
      provider,
      inFlight: n,
      submit: { ms: submit.ms, calls: totalCalls(before) },
      cycle: {
        ms: cycle.ms,
        calls: totalCalls(after) - totalCalls(before),
        byRoute: diffRoutes(after, before),
        bytesIn: after.bytesIn - before.bytesIn,
        bytesOut: after.bytesOut - before.bytesOut,
      },
      naive,
    };
  } finally {
    await emulator.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Bytes of one retrieve of one batch (request + response as counted by the emulator) × n. */
async function naiveCost(
  emulator: RunningEmulator,
  n: number,
  provider: BenchProvider,
): Promise<{ calls: number; bytes: number }> {
  const origin = new URL(emulator.url).origin;
  const [base, headers] =
    provider === 'anthropic'
      ? [`${origin}/v1/messages/batches`, { 'x-api-key': 'bench-key', 'anthropic-version': '2023-06-01' }]
      : provider === 'azure'
        ? [`${origin}/openai/v1/batches`, { 'api-key': 'bench-key' }]
        : [`${emulator.url}/batches`, { authorization: 'Bearer bench-key' }];
  const list = (await (await fetch(`${base}?limit=1`, { headers })).json()) as { data: { id: string }[] };
  const before = await emulator.stats();
  await (await fetch(`${base}/${list.data[0]!.id}`, { headers })).text();
  const after = await emulator.stats();
  return { calls: n, bytes: n * (after.bytesIn - before.bytesIn + after.bytesOut - before.bytesOut) };
}

/** The 57-subject job on an emulator at `speed`, re-running `pipeline build` back to back until exit 0. */
export async function benchCompletion(opts: {
  subjects?: number;
  records?: number;
  speed?: number;
}): Promise<CompletionResult> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'pipeline-bench-e2e-'));
  const speed = opts.speed ?? 1;
  const emulator = await startEmulator({ stateDir: path.join(dir, 'emulator-state'), speed });
  try {
    const made = await generateMmluDataset({
      outDir: path.join(dir, 'original'),
      subjects: opts.subjects ?? 57,
      ...(opts.records ? { recordsPerSubject: opts.records } : {}),
    });
    await writeFile(path.join(dir, 'pipeline.config.ts'), mmluConfig());
    const counts = await loadMmluCounts();
    const largest = opts.records ?? Math.max(...counts.slice(0, made.subjects.length).map((c) => c.count));
    const lowerBoundMs = VALIDATING_MS + (largest / (REQUESTS_PER_SECOND * speed)) * 1000 + FINALIZING_MS;
    const done = await buildUntilDone(dir, emulatorEnv(emulator.url));
    const merged = await readdir(path.join(dir, 'paraphrased'));
    if (merged.length !== made.subjects.length)
      throw new Error(`${merged.length} merged files, expected ${made.subjects.length}`);
    return {
      subjects: made.subjects.length,
      records: made.records,
      speed,
      ms: done.ms,
      runs: done.runs,
      lowerBoundMs,
      stats: await emulator.stats(),
    };
  } finally {
    await emulator.close();
    await rm(dir, { recursive: true, force: true });
  }
}

export function apiMarkdown(rows: PollRow[], e2e: CompletionResult): string {
  const kb = (b: number) => `${(b / 1024).toFixed(1)} KB`;
  const routes = (r: Record<string, number>) =>
    Object.entries(r)
      .map(([k, v]) => `${v} × \`${k}\``)
      .join(', ');
  const s = e2e.stats;
  return [
    'One `pipeline build` cycle (the second build, which only polls) with N batches in flight, per provider (the same job; Anthropic and Azure served by the same emulator). The emulator\'s clock is frozen so every batch stays in flight; calls and bytes are the emulator\'s own counters (request bytes in, response bytes out) before and after the cycle. "Per-batch retrieve" is what one retrieve per batch would cost, measured on one call × N.',
    '',
    markdownTable(
      [
        'provider',
        'in flight',
        'HTTP calls / cycle',
        'routes',
        'bytes in / out',
        'cycle time',
        'per-batch retrieve instead',
        'submit build (calls, time)',
      ],
      rows.map((r) => [
        r.provider,
        int(r.inFlight),
        int(r.cycle.calls),
        routes(r.cycle.byRoute),
        `${kb(r.cycle.bytesIn)} / ${kb(r.cycle.bytesOut)}`,
        secs(r.cycle.ms),
        `${int(r.naive.calls)} calls, ${kb(r.naive.bytes)}`,
        `${int(r.submit.calls)} calls, ${secs(r.submit.ms)}`,
      ]),
    ),
    '',
    `End to end: ${e2e.subjects} subjects, ${int(e2e.records)} records, emulator at speed ${e2e.speed} (each batch runs ${REQUESTS_PER_SECOND * e2e.speed} requests/s after ${VALIDATING_MS} ms validating; batches run in parallel), \`pipeline build\` re-run back to back until exit 0:`,
    '',
    markdownTable(
      [
        'time to exit 0',
        'builds run',
        'lower bound (largest batch: validate + run + finalize)',
        'overhead',
        'batches created',
        'requests executed',
        'duplicates',
        'HTTP calls',
        'bytes in / out',
      ],
      [
        [
          secs(e2e.ms),
          String(e2e.runs),
          secs(e2e.lowerBoundMs),
          secs(e2e.ms - e2e.lowerBoundMs),
          int(s.batchesCreated),
          int(s.requestsExecuted),
          int(s.duplicateExecutions),
          int(totalCalls(s)),
          `${(s.bytesIn / 2 ** 20).toFixed(1)} MB / ${(s.bytesOut / 2 ** 20).toFixed(1)} MB`,
        ],
      ],
    ),
  ].join('\n');
}

export async function benchApi(opts: {
  inflight: number[];
  /** Other providers are measured at the in-flight sizes up to 500 (their walk is the same shape). */
  providers?: BenchProvider[];
  subjects?: number;
  records?: number;
  speed?: number;
}): Promise<{ rows: PollRow[]; e2e: CompletionResult }> {
  const rows: PollRow[] = [];
  for (const provider of opts.providers ?? ['openai', 'anthropic', 'azure']) {
    for (const n of opts.inflight.filter((size) => provider === 'openai' || size <= 500)) {
      rows.push(await benchPolling(n, provider));
      process.stderr.write(`api: ${provider}, ${n} in flight: ${rows.at(-1)!.cycle.calls} calls per cycle\n`);
    }
  }
  const e2e = await benchCompletion(opts);
  process.stderr.write(`api: ${e2e.records} records done in ${secs(e2e.ms)} (${e2e.runs} builds)\n`);
  return { rows, e2e };
}

if (isMain(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      inflight: { type: 'string', default: '57,500,5000' },
      subjects: { type: 'string', default: '57' },
      records: { type: 'string' },
      speed: { type: 'string', default: '1' },
      providers: { type: 'string', default: 'openai,anthropic,azure' },
    },
  });
  const result = await benchApi({
    inflight: numbers(values.inflight),
    providers: values.providers.split(',').filter(Boolean) as BenchProvider[],
    subjects: Number(values.subjects),
    ...(values.records ? { records: Number(values.records) } : {}),
    speed: Number(values.speed),
  });
  process.stdout.write(`${apiMarkdown(result.rows, result.e2e)}\n`);
}
