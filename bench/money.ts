/**
 * Money: the dollars the emulator's token counts would cost (gpt-4.1 at batch price, from
 * src/tokens/prices.ts) in four scenarios, beside what the seed's whole-subject resubmission
 * (`--retry`: send the subject's whole file again) would pay; and the `build --dry-run`
 * estimate against the tokens actually billed. Emulated time is moved with POST /_emulator/clock,
 * so nothing waits for batches to run.
 * Run: `npx tsx bench/money.ts [--subjects 57] [--records N]`.
 */
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { generateMmluDataset } from '../src/data/generate-mmlu.ts';
import { REQUESTS_PER_SECOND, VALIDATING_MS } from '../src/emulator/context.ts';
import { startEmulator, type RunningEmulator } from '../src/emulator/index.ts';
import { batchCost } from '../src/tokens/prices.ts';
import {
  buildUntilDone,
  control,
  emulatorEnv,
  int,
  isMain,
  markdownTable,
  mmluConfig,
  runPipeline,
  usd,
} from './lib.ts';

const MODEL = 'gpt-4.1';
const NEW_PROMPT =
  'Rewrite the analysis below of an MMLU {subject} question in your own words.\nKeep every fact, step and the final answer.\n\n<text>\n{analysis}\n</text>';

interface Tokens {
  requests: number;
  input: number;
  output: number;
}
const cost = (t: Pick<Tokens, 'input' | 'output'>) => batchCost(MODEL, t)!;

export interface Scenario {
  name: string;
  paid: Tokens;
  /** What resubmitting whole subject files would have paid in this scenario. */
  seed: Tokens;
  builds: number;
  note: string;
}

export interface MoneyResult {
  scenarios: Scenario[];
  estimate: { requests: number; inputTokens: number; outputTokens: number; costUsd: number };
  actualFull: Tokens;
  statusCostUsd: number;
}

async function tokensNow(e: RunningEmulator): Promise<Tokens> {
  const s = await e.stats();
  return { requests: s.requestsExecuted, input: s.inputTokens, output: s.outputTokens };
}
const minus = (a: Tokens, b: Tokens): Tokens => ({
  requests: a.requests - b.requests,
  input: a.input - b.input,
  output: a.output - b.output,
});
const plus = (a: Tokens, b: Tokens): Tokens => ({
  requests: a.requests + b.requests,
  input: a.input + b.input,
  output: a.output + b.output,
});

/** Usage summed over raw result files (what a whole-file resubmission of these subjects costs). */
async function resultTokens(dir: string, subjects: string[]): Promise<Tokens> {
  const t: Tokens = { requests: 0, input: 0, output: 0 };
  for (const s of subjects) {
    for (const line of (await readFile(path.join(dir, 'paraphrase_batch/results', `${s}.jsonl`), 'utf8')).split('\n')) {
      if (!line) continue;
      const u = (
        JSON.parse(line) as { response?: { body?: { usage?: { prompt_tokens: number; completion_tokens: number } } } }
      ).response?.body?.usage;
      t.requests += 1;
      t.input += u?.prompt_tokens ?? 0;
      t.output += u?.completion_tokens ?? 0;
    }
  }
  return t;
}

async function project(
  subjects: number,
  records: number | undefined,
): Promise<{
  dir: string;
  names: string[];
  emulator: RunningEmulator;
  env: NodeJS.ProcessEnv;
  cycle: () => Promise<{ paid: Tokens; builds: number }>;
}> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'pipeline-bench-money-'));
  const made = await generateMmluDataset({
    outDir: path.join(dir, 'original'),
    subjects,
    ...(records ? { recordsPerSubject: records } : {}),
  });
  await writeFile(path.join(dir, 'pipeline.config.ts'), mmluConfig());
  const emulator = await startEmulator({ stateDir: path.join(dir, 'emulator-state'), speed: 1 });
  const env = emulatorEnv(emulator.url);
  // 45 s of emulated time finishes any batch here (the largest, 1,534 requests, needs ~32 s).
  const advance = async () => void (await control(emulator.port, 'clock', { advanceMs: 45_000 }));
  const cycle = async () => {
    const before = await tokensNow(emulator);
    const { runs } = await buildUntilDone(dir, env, advance);
    return { paid: minus(await tokensNow(emulator), before), builds: runs };
  };
  return { dir, names: made.subjects, emulator, env, cycle };
}

export async function benchMoney(opts: { subjects?: number; records?: number } = {}): Promise<MoneyResult> {
  const subjects = opts.subjects ?? 57;
  const p = await project(subjects, opts.records);
  const scenarios: Scenario[] = [];
  let estimate: MoneyResult['estimate'];
  let full: Tokens;
  let statusCostUsd = 0;
  try {
    const dry = await runPipeline(p.dir, ['build', '--dry-run', '--json'], { env: p.env });
    if (dry.code !== 0) throw new Error(`dry run exited ${dry.code}: ${dry.stderr}`);
    estimate = (JSON.parse(dry.stdout.trim().split('\n').at(-1)!) as { estimate: MoneyResult['estimate'] }).estimate;

    const first = await p.cycle();
    full = first.paid;
    scenarios.push({ name: 'full run', paid: full, seed: full, builds: first.builds, note: 'every request once' });
    const status = JSON.parse((await runPipeline(p.dir, ['status', '--json'], { env: p.env })).stdout) as {
      rule: string;
      costUsd?: number;
    }[];
    statusCostUsd = status.filter((s) => s.rule === 'batch').reduce((sum, s) => sum + (s.costUsd ?? 0), 0);

    const edited = p.names[Math.floor(p.names.length / 2)]!;
    const file = path.join(p.dir, 'original', `${edited}.jsonl`);
    const lines = (await readFile(file, 'utf8')).split('\n');
    const rec = JSON.parse(lines[0]!) as { analysis: string };
    lines[0] = JSON.stringify({ ...rec, analysis: `${rec.analysis} This record was edited.` });
    await writeFile(file, lines.join('\n'));
    const one = await p.cycle();
    scenarios.push({
      name: 'one record edited',
      paid: one.paid,
      seed: await resultTokens(p.dir, [edited]),
      builds: one.builds,
      note: `record 1 of ${edited} (${int(lines.filter(Boolean).length)} records)`,
    });

    await writeFile(path.join(p.dir, 'pipeline.config.ts'), mmluConfig(NEW_PROMPT));
    const prompt = await p.cycle();
    scenarios.push({
      name: 'prompt changed',
      paid: prompt.paid,
      seed: await resultTokens(p.dir, p.names),
      builds: prompt.builds,
      note: 'every request is new',
    });
  } finally {
    await p.emulator.close();
    await rm(p.dir, { recursive: true, force: true });
  }
  scenarios.push(await expiredScenario(subjects, opts.records, full));
  return { scenarios, estimate, actualFull: full, statusCostUsd };
}

/** The largest subject's batch expires half-way; everything else completes. */
async function expiredScenario(subjects: number, records: number | undefined, full: Tokens): Promise<Scenario> {
  const p = await project(subjects, records);
  try {
    const before = await tokensNow(p.emulator);
    const submit = await runPipeline(p.dir, ['build'], { env: p.env });
    if (submit.code !== 75) throw new Error(`submit build exited ${submit.code}: ${submit.stderr}`);
    const sizes = await Promise.all(
      p.names.map(async (n) => ({
        n,
        lines: (await readFile(path.join(p.dir, 'original', `${n}.jsonl`), 'utf8')).split('\n').filter(Boolean).length,
      })),
    );
    const largest = sizes.reduce((a, b) => (b.lines > a.lines ? b : a));
    const ledger = JSON.parse(
      await readFile(path.join(p.dir, 'paraphrase_batch', `${largest.n}.batch.json`), 'utf8'),
    ) as { parts: { batchId?: string }[] };
    const id = ledger.parts[0]!.batchId!;
    const headers = { authorization: 'Bearer bench-key' };
    const get = async () =>
      (await (await fetch(`${p.emulator.url}/batches/${id}`, { headers })).json()) as {
        status: string;
        request_counts: { completed: number; total: number };
        usage: { input_tokens: number; output_tokens: number };
      };
    // Move emulated time to just short of half-way (real time has passed too), then step to it.
    await control(p.emulator.port, 'clock', {
      advanceMs: VALIDATING_MS + (0.45 * largest.lines * 1000) / REQUESTS_PER_SECOND,
    });
    while ((await get()).request_counts.completed < largest.lines / 2)
      await control(p.emulator.port, 'clock', { advanceMs: 200 });
    await control(p.emulator.port, 'batches/' + id + '/expire');
    const expired = await get();
    const done = expired.request_counts.completed;
    const builds =
      (
        await buildUntilDone(
          p.dir,
          p.env,
          async () => void (await control(p.emulator.port, 'clock', { advanceMs: 45_000 })),
        )
      ).runs + 1;
    const merged = await readdir(path.join(p.dir, 'paraphrased'));
    if (merged.length !== p.names.length)
      throw new Error(`expired scenario: ${merged.length} merged files of ${p.names.length}`);
    const paid = minus(await tokensNow(p.emulator), before);
    const halfPaid = { requests: done, input: expired.usage.input_tokens, output: expired.usage.output_tokens };
    return {
      name: 'one batch expired half-way',
      paid,
      seed: plus(full, halfPaid),
      builds,
      note: `${largest.n}: batch ${expired.status} after ${int(done)} of ${int(largest.lines)} requests`,
    };
  } finally {
    await p.emulator.close();
    await rm(p.dir, { recursive: true, force: true });
  }
}

export function moneyMarkdown(r: MoneyResult): string {
  const pct = (est: number, act: number) => `${(((est - act) / act) * 100).toFixed(1)}%`;
  const actualCost = cost(r.actualFull);
  return [
    `Dollars = emulator token counts × ${MODEL} batch price (src/tokens/prices.ts: $${batchCost(MODEL, { input: 1e6, output: 0 })} / $${batchCost(MODEL, { input: 0, output: 1e6 })} per 1M input / output tokens). "Whole-subject resubmission" is the seed's way: any change or failure in a subject sends its whole file again (for an expired batch: its finished half was billed, then the whole file again).`,
    '',
    markdownTable(
      [
        'scenario',
        'requests sent',
        'input tokens',
        'output tokens',
        'pipeline pays',
        'whole-subject resubmission pays',
        'builds',
        'note',
      ],
      r.scenarios.map((s) => [
        s.name,
        int(s.paid.requests),
        int(s.paid.input),
        int(s.paid.output),
        `**${usd(cost(s.paid))}**`,
        `${usd(cost(s.seed))} (${int(s.seed.requests)} requests)`,
        String(s.builds),
        s.note,
      ]),
    ),
    '',
    'Estimate before paying (`pipeline build --dry-run --json` on the fresh set) against what the full run was billed:',
    '',
    markdownTable(
      ['', 'dry-run estimate', 'billed (emulator)', 'error'],
      [
        [
          'requests',
          int(r.estimate.requests),
          int(r.actualFull.requests),
          pct(r.estimate.requests, r.actualFull.requests),
        ],
        [
          'input tokens',
          int(r.estimate.inputTokens),
          int(r.actualFull.input),
          pct(r.estimate.inputTokens, r.actualFull.input),
        ],
        [
          'output tokens',
          int(r.estimate.outputTokens),
          int(r.actualFull.output),
          pct(r.estimate.outputTokens, r.actualFull.output),
        ],
        ['dollars (batch price)', usd(r.estimate.costUsd), usd(actualCost), pct(r.estimate.costUsd, actualCost)],
      ],
    ),
    '',
    `After the full run, \`pipeline status --json\` reports ${usd(r.statusCostUsd)} over the batch targets (billed: ${usd(actualCost)}).`,
  ].join('\n');
}

if (isMain(import.meta.url)) {
  const { values } = parseArgs({
    options: { subjects: { type: 'string', default: '57' }, records: { type: 'string' } },
  });
  const result = await benchMoney({
    subjects: Number(values.subjects),
    ...(values.records ? { records: Number(values.records) } : {}),
  });
  process.stdout.write(`${moneyMarkdown(result)}\n`);
}
