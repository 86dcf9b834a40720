/**
 * Online runner: the share of a server's rate limits a client actually uses, its 429s, and its
 * memory, on the MMLU job's request lines (14,042 chat completions, max_tokens 1024) against the
 * emulator's online endpoint with limits of 600 requests/min and 200,000 tokens/min.
 *
 * Rows: `pipeline build` (the online stage, in-process) with the limits configured, the same with
 * the limits only learned from the `x-ratelimit-*` headers, and OpenAI's cookbook approach
 * (examples/api_request_parallel_processor.py) re-implemented in `cookbookRun` below.
 *
 * Time: an hour and a half of emulated time per run would be too long, so each run lives in a
 * child process holding the emulator and one client on one accelerated clock (`now()` advances
 * `factor` times faster than the system clock, `sleep(ms)` lasts ms / factor): both sides'
 * budgets refill on the same time line. The child's peak RSS is its memory figure.
 * Run: `npx tsx bench/online.ts [--sizes 12,50] [--factor 4] [--quick] [--render]`; sizes are records per
 * subject (0: the real test-split sizes, 14,042 requests); the run replaces its section of bench/RESULTS.md.
 */
import { cp, mkdir, mkdtemp, readFile, readdir, rm, writeFile, appendFile } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { main } from '../src/cli/main.ts';
import type { Output } from '../src/report/terminal.ts';
import { generateMmluDataset } from '../src/data/generate-mmlu.ts';
import { startEmulator, type OnlineStats } from '../src/emulator/index.ts';
import { systemClock, type Clock } from '../src/util/clock.ts';
import { int, isMain, machineLine, markdownTable, mb, numbers, REPO, run, secs } from './lib.ts';

export const LIMITS = { requestsPerMinute: 600, tokensPerMinute: 200_000 };
/** The emulator's answer time: 0.5 s plus 15 ms per output token (gpt-4.1-like speed), in emulated time. */
export const LATENCY = { baseLatencyMs: 500, latencyPerOutputTokenMs: 15 };
/** Requests in flight for the online stage: well above rate × latency (~2.6/s × ~5 s); the cookbook has no cap. */
export const MAX_CONCURRENCY = 64;
const MINUTE = 60_000;
/** Records per subject of the measured sizes (0: the real test-split sizes, 14,042 requests), and the clock's speed-up. */
export const DEFAULT_SIZES = [12, 50];
export const QUICK_SIZES = [5, 10];
export const DEFAULT_FACTOR = 4;

export type Scenario = 'configured' | 'learned' | 'cookbook';
const SCENARIO_NAMES: Record<Scenario, string> = {
  configured: 'pipeline, limits configured',
  learned: 'pipeline, limits learned from headers',
  cookbook: 'cookbook parallel processor (limits = the real ones)',
};

export interface WindowRow {
  /** Emulated minute since the emulator started. */
  minute: number;
  sent: number;
  ok: number;
  throttled: number;
  /** Requests and tokens the emulator let through in this minute (charged against the limits). */
  requests: number;
  tokens: number;
}

export interface OnlineRun {
  scenario: Scenario;
  requests: number;
  factor: number;
  /** Emulated ms from the client's start to its last answer. */
  makespanMs: number;
  realMs: number;
  /** Charged by the emulator (prompt + max_tokens of each request let through). */
  chargedTokens: number;
  charged: number;
  byStatus: Record<string, number>;
  answered: number;
  bodiesAnsweredTwice: number;
  peakConcurrency: number;
  /** Rows the client ended without an answer (the cookbook gives up after max_attempts). */
  failed: number;
  windows: WindowRow[];
  peakRss: number;
  peakHeap: number;
}

/** Time `factor` times faster than the system clock: now() runs fast, sleeps are short. */
export function acceleratedClock(factor: number): Clock {
  const t0 = Date.now();
  const p0 = performance.now();
  return {
    now: () => t0 + (performance.now() - p0) * factor,
    sleep: (ms, signal) => systemClock.sleep(ms / factor, signal),
  };
}

const SYSTEM =
  'You rewrite explanations of exam questions. Keep every fact, step and conclusion; change only the wording.';
const PROMPT =
  'Paraphrase the following analysis of an MMLU {subject} question.\nKeep its meaning, reasoning and final answer exactly; use different wording and sentence structure.\nReply with the paraphrased analysis only.\n\n<text>\n{analysis}\n</text>';

/** The MMLU job's requests rule (pipeline.config.ts's template), plus the online rule when given. */
export function projectConfig(online?: Record<string, unknown>): string {
  const requests = {
    name: 'requests',
    inputs: ['original/{subject}.jsonl'],
    output: 'requests/{subject}.jsonl',
    stage: {
      kind: 'requests',
      provider: 'openai',
      model: 'gpt-4.1',
      system: SYSTEM,
      prompt: PROMPT,
      params: { temperature: 0.7, max_tokens: 1024 },
      customId: '{subject}-{question_number}',
    },
  };
  const rules: unknown[] = [requests];
  if (online)
    rules.push({
      name: 'online',
      inputs: ['requests/{subject}.jsonl'],
      output: 'results/{subject}.jsonl',
      marker: 'journal/{subject}.jsonl',
      stage: { kind: 'online', ...online },
    });
  return `export default ${JSON.stringify({ root: '.', rules }, null, 1)};\n`;
}

const sink = (): Output & { text: string } => {
  const o = { text: '', isTTY: false, color: false, columns: 120, write: (t: string) => void (o.text += t) };
  return o;
};

async function build(dir: string, env: NodeJS.ProcessEnv, clock: Clock): Promise<{ code: number; out: string }> {
  const stdout = sink();
  const stderr = sink();
  const code = await main(['build'], {
    stdout,
    stderr,
    cwd: dir,
    env,
    signal: new AbortController().signal,
    clock,
  });
  return { code, out: stdout.text + stderr.text };
}

/** The project (sources + request lines) one size's runs copy; request lines made by the requests stage. */
export async function prepare(records: number | undefined): Promise<{ dir: string; requests: number }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'pipeline-bench-online-'));
  const made = await generateMmluDataset({
    outDir: path.join(dir, 'original'),
    ...(records ? { recordsPerSubject: records } : {}),
  });
  await writeFile(path.join(dir, 'pipeline.config.ts'), projectConfig());
  const r = await build(dir, {}, systemClock);
  if (r.code !== 0) throw new Error(`requests build exited ${r.code}: ${r.out.slice(-1500)}`);
  return { dir, requests: made.records };
}

// ---------------------------------------------------------------------------------------------
// OpenAI's cookbook client (examples/api_request_parallel_processor.py), line for line in spirit:
// request and token capacity start full at the per-minute limits and refill continuously; a
// request's token cost is its prompt (the cookbook's count: 4 per message + role + content, + 2)
// plus n × max_tokens; one main loop takes the next request (retries first), sends it when both
// capacities suffice, sleeps 1 ms, and pauses 15 s after the last rate-limit error; a failed
// request goes to the retry queue until max_attempts are used. Results are appended per answer.
// ---------------------------------------------------------------------------------------------

interface CookbookRequest {
  body: Record<string, unknown>;
  tokens: number;
  attemptsLeft: number;
}

export async function cookbookRun(opts: {
  files: string[];
  url: string;
  clock: Clock;
  maxRequestsPerMinute: number;
  maxTokensPerMinute: number;
  maxAttempts: number;
  savePath: string;
}): Promise<{ succeeded: number; failed: number; rateLimitErrors: number }> {
  const { clock } = opts;
  // gpt-4.1's encoding (the script's --token_encoding_name; its default cl100k_base is for older models).
  const enc = await import('gpt-tokenizer/encoding/o200k_base');
  const secondsToPauseAfterRateLimitError = 15;
  const secondsToSleepEachLoop = 0.001;
  const status = { started: 0, inProgress: 0, succeeded: 0, failed: 0, rateLimitErrors: 0, lastRateLimitError: 0 };
  const retries: CookbookRequest[] = [];
  let next: CookbookRequest | undefined;
  let requestCapacity = opts.maxRequestsPerMinute;
  let tokenCapacity = opts.maxTokensPerMinute;
  let lastUpdate = clock.now() / 1000;
  const tokensOf = (body: Record<string, unknown>): number => {
    const maxTokens = typeof body.max_tokens === 'number' ? body.max_tokens : 15;
    const n = typeof body.n === 'number' ? body.n : 1;
    let tokens = 0;
    for (const message of body.messages as Record<string, string>[]) {
      tokens += 4;
      for (const [key, value] of Object.entries(message)) {
        tokens += enc.countTokens(value);
        if (key === 'name') tokens -= 1;
      }
    }
    return tokens + 2 + n * maxTokens;
  };
  const lines = (async function* () {
    for (const file of opts.files)
      for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity }))
        if (line.trim()) yield JSON.parse(line) as { body: Record<string, unknown> };
  })();
  let fileNotFinished = true;
  const callApi = async (request: CookbookRequest) => {
    let error: unknown;
    let response: Record<string, unknown> | undefined;
    try {
      const res = await fetch(opts.url, {
        method: 'POST',
        headers: { authorization: 'Bearer bench-key', 'content-type': 'application/json' },
        body: JSON.stringify(request.body),
      });
      response = (await res.json()) as Record<string, unknown>;
      if ('error' in response) {
        error = response;
        const message = (response.error as { message?: string } | null)?.message ?? '';
        // The script's rate-limit test (the pre-2024 one: today's compares error.code with '429',
        // which OpenAI's 429s, code 'rate_limit_exceeded', never match, so it would never pause).
        if (message.includes('Rate limit')) {
          status.lastRateLimitError = clock.now() / 1000;
          status.rateLimitErrors += 1;
        }
      }
    } catch (e) {
      error = e;
    }
    if (error) {
      if (request.attemptsLeft) retries.push(request);
      else {
        await appendFile(
          opts.savePath,
          `${JSON.stringify([request.body, [error instanceof Error ? error.message : JSON.stringify(error)]])}\n`,
        );
        status.inProgress -= 1;
        status.failed += 1;
      }
    } else {
      await appendFile(opts.savePath, `${JSON.stringify([request.body, response])}\n`);
      status.inProgress -= 1;
      status.succeeded += 1;
    }
  };
  for (;;) {
    if (!next) {
      if (retries.length > 0) next = retries.shift();
      else if (fileNotFinished) {
        const line = await lines.next();
        if (line.done) fileNotFinished = false;
        else {
          next = { body: line.value.body, tokens: tokensOf(line.value.body), attemptsLeft: opts.maxAttempts };
          status.started += 1;
          status.inProgress += 1;
        }
      }
    }
    const now = clock.now() / 1000;
    const elapsed = now - lastUpdate;
    requestCapacity = Math.min(requestCapacity + (opts.maxRequestsPerMinute * elapsed) / 60, opts.maxRequestsPerMinute);
    tokenCapacity = Math.min(tokenCapacity + (opts.maxTokensPerMinute * elapsed) / 60, opts.maxTokensPerMinute);
    lastUpdate = now;
    if (next && requestCapacity >= 1 && tokenCapacity >= next.tokens) {
      requestCapacity -= 1;
      tokenCapacity -= next.tokens;
      next.attemptsLeft -= 1;
      void callApi(next);
      next = undefined;
    }
    if (status.inProgress === 0) break;
    await clock.sleep(secondsToSleepEachLoop * 1000);
    const sinceRateLimitError = clock.now() / 1000 - status.lastRateLimitError;
    if (sinceRateLimitError < secondsToPauseAfterRateLimitError)
      await clock.sleep((secondsToPauseAfterRateLimitError - sinceRateLimitError) * 1000);
  }
  return { succeeded: status.succeeded, failed: status.failed, rateLimitErrors: status.rateLimitErrors };
}

// ---------------------------------------------------------------------------------------------
// One run (the child process): emulator + one client on one accelerated clock.
// ---------------------------------------------------------------------------------------------

async function runChild(scenario: Scenario, dir: string, factor: number, out: string): Promise<void> {
  const clock = acceleratedClock(factor);
  const emulator = await startEmulator({
    stateDir: path.join(dir, 'emulator-state'),
    clock,
    speed: 1,
    online: { ...LIMITS, ...LATENCY },
  });
  const startMs = clock.now();
  // What each client sent and heard, per emulated minute (the emulator counts statuses only in total).
  const windows = new Map<number, { sent: number; ok: number; throttled: number }>();
  const realFetch = globalThis.fetch;
  globalThis.fetch = async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (!url.endsWith('/chat/completions')) return realFetch(input, init);
    const w = (at: number) => {
      const i = Math.floor((at - startMs) / MINUTE);
      let row = windows.get(i);
      if (!row) windows.set(i, (row = { sent: 0, ok: 0, throttled: 0 }));
      return row;
    };
    w(clock.now()).sent += 1;
    const res = await realFetch(input, init);
    const row = w(clock.now());
    if (res.status === 200) row.ok += 1;
    if (res.status === 429) row.throttled += 1;
    return res;
  };
  let peakHeap = 0;
  const sampler = setInterval(() => (peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed)), 100);
  const realStart = performance.now();
  const files = (await readdir(path.join(dir, 'requests'))).sort().map((f) => path.join(dir, 'requests', f));
  let failed = 0;
  if (scenario === 'cookbook') {
    const r = await cookbookRun({
      files,
      url: `${emulator.url}/chat/completions`,
      clock,
      maxRequestsPerMinute: LIMITS.requestsPerMinute,
      maxTokensPerMinute: LIMITS.tokensPerMinute,
      maxAttempts: 5,
      savePath: path.join(dir, 'cookbook-results.jsonl'),
    });
    failed = r.failed;
  } else {
    const stage = { maxConcurrency: MAX_CONCURRENCY, ...(scenario === 'configured' ? LIMITS : {}) };
    await writeFile(path.join(dir, 'pipeline.config.ts'), projectConfig(stage));
    const r = await build(dir, { OPENAI_API_KEY: 'bench-key', OPENAI_BASE_URL: emulator.url }, clock);
    if (r.code !== 0) throw new Error(`online build exited ${r.code}: ${r.out.slice(-1500)}`);
    const results = await readdir(path.join(dir, 'results'));
    if (results.length !== files.length) throw new Error(`${results.length} result files for ${files.length}`);
    for (const f of results)
      for (const line of (await readFile(path.join(dir, 'results', f), 'utf8')).split('\n'))
        if (line && (JSON.parse(line) as { response?: { status_code?: number } }).response?.status_code !== 200)
          failed += 1;
  }
  const makespanMs = clock.now() - startMs;
  const realMs = performance.now() - realStart;
  clearInterval(sampler);
  globalThis.fetch = realFetch;
  const stats: OnlineStats = (await emulator.stats()).online;
  await emulator.close();
  const byMinute = new Map(stats.windows.map((w) => [Math.round((w.startMs - startMs) / MINUTE), w]));
  const last = Math.max(...windows.keys(), ...byMinute.keys());
  const rows: WindowRow[] = [];
  for (let minute = 0; minute <= last; minute++) {
    const c = windows.get(minute);
    const e = byMinute.get(minute);
    rows.push({
      minute,
      sent: c?.sent ?? 0,
      ok: c?.ok ?? 0,
      throttled: c?.throttled ?? 0,
      requests: e?.requests ?? 0,
      tokens: e?.chargedTokens ?? 0,
    });
  }
  const result: Omit<OnlineRun, 'peakRss'> = {
    scenario,
    requests: files.length === 0 ? 0 : stats.answered,
    factor,
    makespanMs,
    realMs,
    chargedTokens: stats.windows.reduce((n, w) => n + w.chargedTokens, 0),
    charged: stats.windows.reduce((n, w) => n + w.requests, 0),
    byStatus: stats.byStatus,
    answered: stats.answered,
    bodiesAnsweredTwice: stats.bodiesAnsweredTwice,
    peakConcurrency: stats.peakConcurrency,
    failed,
    windows: rows,
    peakHeap,
  };
  await writeFile(out, JSON.stringify(result));
}

// ---------------------------------------------------------------------------------------------
// The benchmark: prepare each size once, one child per (size, scenario).
// ---------------------------------------------------------------------------------------------

export interface OnlineBench {
  started: string;
  command: string;
  load?: { start: number; end: number };
  /** What a reader must know about this run (written by hand into bench/online.json, kept by --render). */
  note?: string;
  limits: typeof LIMITS;
  latency: typeof LATENCY;
  maxConcurrency: number;
  /** Mean prompt tokens and token cost (prompt + max_tokens) per request of the full job. */
  meanCost: number;
  runs: OnlineRun[];
}

/** `sizes`: records per subject (undefined = the real test-split sizes, 14,042 in all). */
export async function benchOnline(opts: {
  sizes: (number | undefined)[];
  factor: number;
  command: string;
  scenarios?: Scenario[];
  /** Scenarios run at the sizes other than the last (the memory comparison). */
  smallScenarios?: Scenario[];
}): Promise<OnlineBench> {
  const started = new Date().toISOString();
  const loadStart = os.loadavg()[0]!;
  const runs: OnlineRun[] = [];
  let meanCost = 0;
  for (const [i, size] of opts.sizes.entries()) {
    const prepared = await prepare(size);
    const isLast = i === opts.sizes.length - 1;
    try {
      if (isLast) meanCost = await meanTokenCost(path.join(prepared.dir, 'requests'));
      const scenarios = isLast
        ? (opts.scenarios ?? ['configured', 'learned', 'cookbook'])
        : (opts.smallScenarios ?? ['configured', 'cookbook']);
      for (const scenario of scenarios) {
        const dir = await mkdtemp(path.join(os.tmpdir(), `pipeline-bench-online-${scenario}-`));
        try {
          await cp(prepared.dir, dir, { recursive: true });
          const out = path.join(dir, 'run.json');
          const r = await run(
            process.execPath,
            [
              '--import',
              'tsx',
              path.join(REPO, 'bench/online.ts'),
              '--child',
              scenario,
              '--dir',
              dir,
              '--factor',
              String(opts.factor),
              '--out',
              out,
            ],
            { cwd: REPO, rss: true },
          );
          if (r.code !== 0) throw new Error(`online ${scenario} run exited ${r.code}: ${r.stderr.slice(-2000)}`);
          const child = JSON.parse(await readFile(out, 'utf8')) as Omit<OnlineRun, 'peakRss'>;
          runs.push({ ...child, peakRss: r.peakRss ?? 0 });
          const s = share(runs.at(-1)!);
          process.stderr.write(
            `online: ${scenario}, ${int(child.requests)} requests: ${(s.binding * 100).toFixed(1)}% of the limit, ${child.byStatus['429'] ?? 0} × 429, ${secs(child.realMs)} real\n`,
          );
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      }
    } finally {
      await rm(prepared.dir, { recursive: true, force: true });
    }
  }
  return {
    started,
    command: opts.command,
    load: { start: loadStart, end: os.loadavg()[0]! },
    limits: LIMITS,
    latency: LATENCY,
    maxConcurrency: MAX_CONCURRENCY,
    meanCost,
    runs,
  };
}

async function meanTokenCost(dir: string): Promise<number> {
  const { countChatPromptTokens, loadTokenizers } = await import('../src/tokens/count.ts');
  await loadTokenizers();
  let n = 0;
  let total = 0;
  for (const f of await readdir(dir))
    for (const line of (await readFile(path.join(dir, f), 'utf8')).split('\n')) {
      if (!line) continue;
      const body = (JSON.parse(line) as { body: { messages: { role: string; content: string }[]; max_tokens: number } })
        .body;
      total += countChatPromptTokens('gpt-4.1', body.messages) + body.max_tokens;
      n += 1;
    }
  return total / n;
}

/** Shares of the two limits over the whole run (from the client's start to its last answer). */
export function share(r: OnlineRun): { requests: number; tokens: number; binding: number } {
  const minutes = r.makespanMs / MINUTE;
  const requests = r.charged / (LIMITS.requestsPerMinute * minutes);
  const tokens = r.chargedTokens / (LIMITS.tokensPerMinute * minutes);
  return { requests, tokens, binding: Math.max(requests, tokens) };
}

/** Per full minute (the first and last, partial, left out): the binding limit's share. */
function windowShares(r: OnlineRun): number[] {
  return r.windows
    .slice(1, -1)
    .map((w) => Math.max(w.requests / LIMITS.requestsPerMinute, w.tokens / LIMITS.tokensPerMinute));
}

/** Minutes from the first 429 until a full minute at ≥ 90% with no 429 (undefined: no 429). */
function recovery(r: OnlineRun): string {
  const first = r.windows.findIndex((w) => w.throttled > 0);
  if (first === -1) return 'no 429';
  const ok = r.windows.findIndex(
    (w, i) =>
      i > first &&
      i < r.windows.length - 1 &&
      w.throttled === 0 &&
      Math.max(w.requests / LIMITS.requestsPerMinute, w.tokens / LIMITS.tokensPerMinute) >= 0.9,
  );
  return ok === -1 ? 'never' : `${ok - first} window${ok - first === 1 ? '' : 's'} after minute ${first}`;
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

export function onlineMarkdown(b: OnlineBench): string {
  const full = Math.max(...b.runs.map((r) => r.requests));
  const big = b.runs.filter((r) => r.requests === full);
  const small = b.runs.filter((r) => r.requests !== full);
  const factor = b.runs[0]?.factor ?? 1;
  const perMinute = Math.min(b.limits.requestsPerMinute, b.limits.tokensPerMinute / b.meanCost);
  const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] ?? 0;
  return [
    `The MMLU job's ${int(full)} request lines (the requests stage, pipeline.config.ts's template: gpt-4.1, max_tokens 1024) sent to the emulator's \`/v1/chat/completions\` with limits of ${int(b.limits.requestsPerMinute)} requests/min and ${int(b.limits.tokensPerMinute)} tokens/min (continuously refilled buckets, full at the start, as OpenAI describes its limits), answers after ${b.latency.baseLatencyMs} ms + ${b.latency.latencyPerOutputTokenMs} ms per output token, no concurrency cap on the server. A request costs its prompt plus max_tokens against the token limit: ${b.meanCost.toFixed(0)} tokens on average, so **the token limit binds**, at ≈ ${perMinute.toFixed(0)} requests/min (${pct(perMinute / b.limits.requestsPerMinute)} of the request limit), so ${int(full)} requests need ≈ ${((full * b.meanCost) / b.limits.tokensPerMinute).toFixed(0)} minutes at best, and the whole 14,042-request job ≈ ${((14_042 * b.meanCost) / b.limits.tokensPerMinute).toFixed(0)} (not the 23 that 600 requests/min suggests).`,
    ...(b.note ? ['', b.note] : []),
    '',
    `**Accelerated clock.** Each row is one child process holding the emulator and one client on one shared clock running ${factor}× faster than the system clock (\`now()\` = start + ${factor} × elapsed real time; \`sleep(ms)\` lasts ms / ${factor} real ms). The emulator takes it as its \`clock\` (its buckets, latency and minute windows); \`pipeline build\` runs in-process through \`main(argv, io)\` with \`io.clock\` (the online stage's limiter, cool-downs and back-offs use it); the cookbook client reads it for \`time.time()\` and \`asyncio.sleep\`. No src/ change. Side effects, the same for every row: each real millisecond of CPU or I/O counts as ${factor} emulated ones (slower answers, never lost budget: buckets keep refilling), and a 1 ms timer is ${factor} emulated ms (the cookbook's 1 ms loop sleep becomes ≈ ${factor} ms, still ≥ ${Math.floor(60_000 / factor)} sends/min of room).`,
    '',
    `**The comparison.** OpenAI's cookbook \`api_request_parallel_processor.py\` re-implemented over fetch (\`cookbookRun\` in bench/online.ts): capacities start full at the per-minute limits and refill continuously, a request costs its prompt (the script's count: 4 per message + role + content tokens, + 2, with gpt-4.1's o200k_base encoding) + n × max_tokens, one send per loop turn with a 1 ms sleep, a 15 s pause of all sends after a rate-limit error, retries first, max_attempts 5, results appended per answer. Settings: max_requests_per_minute ${b.limits.requestsPerMinute}, max_tokens_per_minute ${int(b.limits.tokensPerMinute)} — the real limits. The script's docstring says to "leave headroom by setting this to 50% or 75% of your limit"; doing so caps its share at 50% or 75% by construction, so the real limits are its best case. Its rate-limit test is the original one ("Rate limit" in the error message); today's script compares \`error.code\` with \`'429'\`, which OpenAI's 429s (code \`rate_limit_exceeded\`) never match, so it would never pause. The online stage: maxConcurrency ${b.maxConcurrency} (the cookbook has no cap; ${b.maxConcurrency} is well above rate × latency), the rest defaults; "configured" sets requestsPerMinute ${b.limits.requestsPerMinute} and tokensPerMinute ${int(b.limits.tokensPerMinute)}, "learned" sets none and learns them from the \`x-ratelimit-*\` headers.`,
    '',
    `"Share of the limit" is the binding (token) limit's share over the whole run: tokens charged by the emulator ÷ (limit × time from the client's start to its last answer). The emulator's bucket starts with a full minute's worth, so a client that spends it at once can exceed 100% over a short run; the online stage starts with a tenth of a minute's worth (a fixed-window server would refuse the full burst), a cost of ≈ 0.9 minute of budget over the run. "Per minute" is the share in each full emulated minute (first and last left out): min / median. 429s and "recovery" (minutes from the first 429 to a full minute at ≥ 90% with no 429) are counted at the client.`,
    '',
    markdownTable(
      [
        'client',
        'requests',
        'emulated time',
        'share of the limit (tokens; requests)',
        'per minute min / median',
        '429s',
        'recovery',
        'rows without an answer',
        'answered twice',
        'peak in flight',
        'real time',
        'peak RSS',
      ],
      big.map((r) => {
        const s = share(r);
        const w = windowShares(r);
        return [
          SCENARIO_NAMES[r.scenario],
          int(r.requests),
          `${(r.makespanMs / MINUTE).toFixed(1)} min`,
          `**${pct(s.tokens)}**; ${pct(s.requests)}`,
          `${pct(Math.min(...w))} / ${pct(median(w))}`,
          int(r.byStatus['429'] ?? 0),
          recovery(r),
          int(r.failed),
          int(r.bodiesAnsweredTwice),
          int(r.peakConcurrency),
          secs(r.realMs),
          mb(r.peakRss),
        ];
      }),
    ),
    '',
    small.length
      ? `Memory as the job grows (peak RSS of the whole child: Node, tsx, the emulator and the client; heap = peak \`heapUsed\` sampled every 100 ms): ${[
          ...new Set(b.runs.map((r) => r.scenario)),
        ]
          .map((sc) => {
            const rs = b.runs.filter((r) => r.scenario === sc).sort((x, y) => x.requests - y.requests);
            if (rs.length < 2) return '';
            const [a, z] = [rs[0]!, rs.at(-1)!];
            const per1000 = ((z.peakRss - a.peakRss) / (z.requests - a.requests)) * 1000;
            return `${SCENARIO_NAMES[sc]}: ${rs.map((r) => `${int(r.requests)} requests ${mb(r.peakRss)} RSS, ${mb(r.peakHeap)} heap`).join(' → ')} (${(per1000 / 2 ** 20).toFixed(1)} MB RSS per 1,000 more requests)`;
          })
          .filter(Boolean)
          .join('; ')}.`
      : '',
  ]
    .filter((l, i, all) => l !== '' || all[i - 1] !== '')
    .join('\n')
    .trim();
}

export const ONLINE_HEADING = '## Online runner: share of the rate limits used, 429s, memory';

/** The whole section: heading, how it was run (machine, load, command), the tables. */
export function onlineSection(b: OnlineBench): string {
  const load = b.load
    ? `; 1-minute load average ${b.load.start.toFixed(1)} at the start, ${b.load.end.toFixed(1)} at the end`
    : '';
  return `${ONLINE_HEADING}\n\n${machineLine()}; ${b.started.slice(0, 16).replace('T', ' ')} UTC${load}; \`${b.command}\`.\n\n${onlineMarkdown(b)}\n`;
}

/** Replaces the online section of a RESULTS.md text (or puts it before the Emulator section, or at the end). */
export function withOnlineSection(old: string, section: string): string {
  const start = old.indexOf(ONLINE_HEADING);
  if (start !== -1) {
    const next = old.indexOf('\n## ', start + 1);
    return `${old.slice(0, start)}${section.trimEnd()}\n${next === -1 ? '' : old.slice(next)}`;
  }
  const emulator = old.indexOf('## Emulator: ');
  if (emulator === -1) return `${old.trimEnd()}\n\n${section}`;
  return `${old.slice(0, emulator)}${section.trimEnd()}\n\n${old.slice(emulator)}`;
}

/** The online section of a RESULTS.md text, if any (a full `npm run bench` keeps it when it does not measure it). */
export function onlineSectionOf(text: string): string {
  const start = text.indexOf(ONLINE_HEADING);
  if (start === -1) return '';
  const next = text.indexOf('\n## ', start + 1);
  return text.slice(start, next === -1 ? undefined : next).trim();
}

if (isMain(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      child: { type: 'string' },
      dir: { type: 'string' },
      out: { type: 'string' },
      factor: { type: 'string', default: String(DEFAULT_FACTOR) },
      sizes: { type: 'string', default: DEFAULT_SIZES.join(',') },
      quick: { type: 'boolean', default: false },
      render: { type: 'boolean', default: false },
    },
  });
  if (values.render) {
    // Redo the section from the last run's raw figures (bench/online.json) without measuring.
    const result = JSON.parse(await readFile(path.join(REPO, 'bench', 'online.json'), 'utf8')) as OnlineBench;
    const resultsFile = path.join(REPO, 'bench', 'RESULTS.md');
    await writeFile(resultsFile, withOnlineSection(await readFile(resultsFile, 'utf8'), onlineSection(result)));
    process.exit(0);
  }
  if (values.child) {
    await runChild(values.child as Scenario, values.dir!, Number(values.factor), values.out!);
    process.exit(0);
  }
  // Sizes are records per subject; 0 = the real test-split sizes (14,042 requests).
  const sizes = values.quick ? QUICK_SIZES : numbers(values.sizes);
  const result = await benchOnline({
    sizes: sizes.map((s) => (s > 0 ? s : undefined)),
    factor: Number(values.factor),
    command: `npx tsx bench/online.ts${values.quick ? ' --quick' : ` --sizes ${sizes.join(',')}`} --factor ${values.factor}`,
  });
  process.stdout.write(`${onlineMarkdown(result)}\n`);
  // A quick run writes to bench/quick/ (ignored by git), a real one replaces its section in bench/RESULTS.md.
  const outDir = path.join(REPO, 'bench', values.quick ? 'quick' : '');
  await mkdir(outDir, { recursive: true });
  await writeFile(path.join(outDir, 'online.json'), `${JSON.stringify(result, null, 1)}\n`);
  const resultsFile = path.join(outDir, 'RESULTS.md');
  const old = await readFile(resultsFile, 'utf8').catch(() => '# Benchmarks\n');
  await writeFile(resultsFile, withOnlineSection(old, onlineSection(result)));
}
