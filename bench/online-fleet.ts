/**
 * Online runner, a fleet (issue #34's "done when"): the online example, examples/online.config.ts
 * as the repository ships it (its requests, online and merge rules over the 57 MMLU subjects,
 * `maxConcurrency: 8`), given three emulated servers through PIPELINE_ONLINE_SERVERS, of different
 * speeds (600, 300 and 100 requests a minute, OpenAI-style `x-ratelimit-*` headers, the rule
 * saying nothing of their rates: it learns them from the headers). Rows: all three up; the
 * 300-a-minute one killed once a third of the rows are answered. Figures: the share of the summed
 * capacity used (rows ÷ the most the servers could answer from the first send to the last answer:
 * their full buckets, then their rates, a killed server's until its death), the share per full
 * minute, 429s, rows per server, bodies a server answered twice, merged rows, and the CPU the
 * process used (build and emulators).
 *
 * Time: as bench/online.ts, the emulators and the build share one clock running `factor` times
 * faster than the system clock; the build runs in-process through `main(argv, io)` with `io.clock`.
 * Run: `npx tsx bench/online-fleet.ts [--records 53] [--factor 2]`; replaces its section of bench/RESULTS.md.
 */
import { mkdtemp, readdir, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { main } from '../src/cli/main.ts';
import { generateMmluDataset } from '../src/data/generate-mmlu.ts';
import type { Output } from '../src/report/terminal.ts';
import { startEmulator, type RunningEmulator } from '../src/emulator/index.ts';
import type { Clock } from '../src/util/clock.ts';
import { acceleratedClock } from './online.ts';
import { int, machineLine, markdownTable, REPO } from './lib.ts';

const HEADING = '## Online runner: a fleet of three servers';
/** Requests per minute of each server. */
const SPEEDS = [600, 300, 100];
/**
 * How fast each server answers: a fast local server (0.1 s + 1 ms per output token, ≈ 0.4 s for
 * these replies), so the example's 8 requests in flight per server can carry 600 a minute and the
 * servers' rate limits, not its slots, are what bounds the job.
 */
const LATENCY = { baseLatencyMs: 100, latencyPerOutputTokenMs: 1 };
const EXAMPLE = 'examples/online.config.ts';
const MINUTE = 60_000;

type Scenario = 'all-up' | 'one-killed';

interface FleetRun {
  scenario: Scenario;
  requests: number;
  code: number;
  /** Emulated ms from the first send to the last answer. */
  spanMs: number;
  /** Requests the fleet could serve over that span: full buckets at the start, then each server's rate (a killed one's until its death). */
  capacityRows: number;
  /** Answers (200s) per full emulated minute from the first send, first and last minutes left out. */
  perMinute: number[];
  /** Capacity per minute at each of those minutes. */
  capacityPerMinute: number[];
  servers: { rpm: number; answered: number; throttled: number; answeredTwice: number; killedAtMs?: number }[];
  resultRows: number;
  mergedRows: number;
  realMs: number;
  /** CPU of this process (build and the three emulators), user + system. */
  cpuMs: number;
}

/** The example as a user has it, its imports pointed back at the repository, and the MMLU sources it reads. */
async function exampleProject(records: number): Promise<{ dir: string; requests: number }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'pipeline-bench-fleet-'));
  const to = (p: string) => JSON.stringify(path.join(REPO, p)).slice(1, -1);
  const text = (await readFile(path.join(REPO, EXAMPLE), 'utf8'))
    .replaceAll("'../src/", `'${to('src')}/`)
    .replaceAll("'../pipeline.config.ts'", `'${to('pipeline.config.ts')}'`);
  await mkdir(path.join(dir, 'examples'));
  await writeFile(path.join(dir, EXAMPLE), text);
  const made = await generateMmluDataset({
    outDir: path.join(dir, 'results/mmlu/original'),
    recordsPerSubject: records,
  });
  return { dir, requests: made.records };
}

const sink = (): Output & { text: string } => {
  const o = { text: '', isTTY: false, color: false, columns: 120, write: (t: string) => void (o.text += t) };
  return o;
};

async function runFleet(scenario: Scenario, records: number, factor: number): Promise<FleetRun> {
  const { dir, requests } = await exampleProject(records);
  const clock: Clock = acceleratedClock(factor);
  const servers: RunningEmulator[] = [];
  for (const [i, rpm] of SPEEDS.entries())
    servers.push(
      await startEmulator({
        stateDir: path.join(dir, `emulator-${i}`),
        clock,
        speed: 1,
        online: { requestsPerMinute: rpm, ...LATENCY },
      }),
    );
  // When each answer arrived (emulated), from the client's side; and the kill.
  const answers: number[] = [];
  let firstSend: number | undefined;
  let killedAt: number | undefined;
  const realFetch = globalThis.fetch;
  globalThis.fetch = async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (!url.endsWith('/chat/completions')) return realFetch(input, init);
    firstSend ??= clock.now();
    const res = await realFetch(input, init);
    if (res.status === 200) {
      answers.push(clock.now());
      if (scenario === 'one-killed' && killedAt === undefined && answers.length >= requests / 3) {
        killedAt = clock.now();
        void servers[1]!.close();
      }
    }
    return res;
  };
  const realStart = performance.now();
  const cpuStart = process.cpuUsage();
  const stdout = sink();
  const stderr = sink();
  let code: number;
  try {
    code = await main(['build', '-C', EXAMPLE], {
      stdout,
      stderr,
      cwd: dir,
      env: { OPENAI_API_KEY: 'bench-key', PIPELINE_ONLINE_SERVERS: servers.map((s) => s.url).join(',') },
      signal: new AbortController().signal,
      clock,
    });
  } finally {
    globalThis.fetch = realFetch;
  }
  const cpu = process.cpuUsage(cpuStart);
  const realMs = performance.now() - realStart;
  if (code !== 0) process.stderr.write(stdout.text.slice(-3000) + stderr.text.slice(-3000));
  const start = firstSend ?? 0;
  const end = answers.length > 0 ? Math.max(...answers) : start;
  const alive = (i: number, at: number) => !(i === 1 && killedAt !== undefined && at >= killedAt);
  const capacityAt = (at: number) => SPEEDS.reduce((sum, rpm, i) => sum + (alive(i, at) ? rpm : 0), 0);
  // The capacity integral (constant but for the kill), plus each server's bucket, full at the start:
  // the most answers the servers could have given over the span.
  const capacityRows =
    SPEEDS.reduce((sum, rpm) => sum + rpm, 0) +
    (killedAt === undefined
      ? (capacityAt(start) * (end - start)) / MINUTE
      : (capacityAt(start) * (killedAt - start) + capacityAt(end) * (end - killedAt)) / MINUTE);
  const minutes = Math.floor((end - start) / MINUTE);
  const perMinute: number[] = [];
  const capacityPerMinute: number[] = [];
  for (let m = 1; m < minutes; m++) {
    const from = start + m * MINUTE;
    perMinute.push(answers.filter((t) => t >= from && t < from + MINUTE).length);
    // A minute the kill falls in counts the capacity each server had for its part of it.
    capacityPerMinute.push(
      SPEEDS.reduce((sum, rpm, i) => {
        if (i !== 1 || killedAt === undefined || killedAt >= from + MINUTE) return sum + rpm;
        return sum + (killedAt <= from ? 0 : (rpm * (killedAt - from)) / MINUTE);
      }, 0),
    );
  }
  // A closed emulator still reports what it did (its counters live in this process).
  const stats = await Promise.all(servers.map(async (s) => (await s.stats()).online));
  const run: FleetRun = {
    scenario,
    requests,
    code,
    spanMs: end - start,
    capacityRows,
    perMinute,
    capacityPerMinute,
    servers: SPEEDS.map((rpm, i) => ({
      rpm,
      answered: stats[i]!.answered,
      throttled: stats[i]!.byStatus['429'] ?? 0,
      answeredTwice: stats[i]!.bodiesAnsweredTwice,
      ...(i === 1 && killedAt !== undefined ? { killedAtMs: killedAt - start } : {}),
    })),
    resultRows: await countRows(path.join(dir, 'results/mmlu/paraphrase_online/results'), '"status_code":200'),
    mergedRows: await countRows(path.join(dir, 'results/mmlu/paraphrased-online'), '"paraphrased_analysis"'),
    realMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
  };
  await Promise.all(servers.map((s) => s.close()));
  await rm(dir, { recursive: true, force: true });
  return run;
}

/** Lines containing `mark` over the folder's files: result lines with a 200, merged records. */
async function countRows(folder: string, mark: string): Promise<number> {
  let rows = 0;
  for (const file of await readdir(folder).catch(() => [] as string[]))
    for (const line of (await readFile(path.join(folder, file), 'utf8')).split('\n'))
      if (line.includes(mark)) rows += 1;
  return rows;
}

const pct = (n: number) => `${(n * 100).toFixed(1)}%`;

function render(runs: FleetRun[], command: string, load: number): string {
  const table = markdownTable(
    [
      'scenario',
      'requests',
      'exit',
      'first send → last answer',
      'share of summed capacity',
      'per full minute (min / median)',
      '429s',
      'rows per server (600 / 300 / 100 rpm)',
      'bodies answered twice by one server',
      'result rows / merged rows',
      'CPU (build + emulators)',
    ],
    runs.map((r) => {
      const shares = r.perMinute.map((n, i) => n / r.capacityPerMinute[i]!).sort((a, b) => a - b);
      const median = shares.length ? shares[Math.floor(shares.length / 2)]! : NaN;
      return [
        r.scenario === 'all-up'
          ? 'three servers up'
          : `300-rpm server killed at ${(r.servers[1]!.killedAtMs! / 1000).toFixed(0)} s`,
        int(r.requests),
        String(r.code),
        `${(r.spanMs / 1000).toFixed(0)} s`,
        pct(r.requests / r.capacityRows),
        shares.length ? `${pct(shares[0]!)} / ${pct(median)}` : '–',
        String(r.servers.reduce((n, s) => n + s.throttled, 0)),
        r.servers.map((s) => int(s.answered)).join(' / '),
        String(r.servers.reduce((n, s) => n + s.answeredTwice, 0)),
        `${int(r.resultRows)} / ${int(r.mergedRows)}`,
        `${(r.cpuMs / 1000).toFixed(1)} s in ${(r.realMs / 1000).toFixed(0)} s (${(r.cpuMs / r.requests).toFixed(1)} ms a request)`,
      ];
    }),
  );
  return `${HEADING}

${machineLine()}; ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC; 1-minute load average ${load.toFixed(1)} at the start; \`${command}\`.

The online example as shipped (\`pipeline build -C ${EXAMPLE}\`, in-process: its requests, online and merge rules over the 57 MMLU subjects, gpt-4.1, max_tokens 1024, \`maxConcurrency: 8\`, no rate limits) given three emulators through PIPELINE_ONLINE_SERVERS, limited to ${SPEEDS.join(', ')} requests a minute (no token limit), with OpenAI's \`x-ratelimit-*\` headers, so the runner learns each server's rate from its headers. They answer in ${LATENCY.baseLatencyMs / 1000} s + ${LATENCY.latencyPerOutputTokenMs} ms per output token (≈ 0.4 s for these replies: a fast local server), so the example's 8 requests in flight per server can carry 600 a minute: the rate limits bind, not the slots (a slower server needs more in flight: \`servers: [{ baseURL, maxConcurrency }]\`). Emulators and build share one clock running faster than the system clock (as in *Online runner: share of the rate limits used*). "Share of summed capacity": rows ÷ the most the servers could have answered from the first send to the last answer: their buckets, full at the start as OpenAI's are (a minute's worth each), then their summed requests a minute over the span, the killed server's counted until its death. The full buckets are a bound no client reaches (they are drained at most as fast as 8 requests in flight allow, and the last rows' answers are waited for). "Per full minute": answers in each whole minute after the first ÷ that minute's capacity, the steady state. 429s are the emulators' (all avoidable: every limit is in the headers). "Rows per server" are the requests each emulator worked on and billed, lost replies included (the killed one's rows in flight at its death were not billed: the client had left). CPU: this process's user + system time, the three emulators' included.

${table}
`;
}

const { values } = parseArgs({
  options: { records: { type: 'string', default: '53' }, factor: { type: 'string', default: '2' } },
});
const records = Number(values.records);
const factor = Number(values.factor);
const load = os.loadavg()[0]!;
const runs: FleetRun[] = [];
for (const scenario of ['all-up', 'one-killed'] as const) {
  const run = await runFleet(scenario, records, factor);
  process.stderr.write(`${JSON.stringify(run)}\n`);
  runs.push(run);
}
const section = render(runs, `npx tsx bench/online-fleet.ts --records ${records} --factor ${factor}`, load);
const file = path.join(REPO, 'bench', 'RESULTS.md');
const old = await readFile(file, 'utf8');
const at = old.indexOf(HEADING);
const next = at < 0 ? -1 : old.indexOf('\n## ', at + HEADING.length);
await writeFile(
  file,
  at < 0 ? `${old.trimEnd()}\n\n${section}` : `${old.slice(0, at)}${section}${next < 0 ? '' : old.slice(next + 1)}`,
);
process.stdout.write(section);
