/**
 * Online runner, a fleet: the MMLU job's request lines sent to three emulated servers of different
 * speeds (600, 300 and 100 requests a minute, OpenAI-style `x-ratelimit-*` headers, 0.5 s + 15 ms
 * per output token) named by PIPELINE_ONLINE_SERVERS, the rule saying nothing of their limits (it
 * learns them from the headers). Rows: all three up; the 300-a-minute one killed once a third of
 * the rows are answered. Figures: the share of the summed capacity used (rows ÷ the capacity
 * integrated from the first send to the last answer, a killed server's counted until its death),
 * the share per full minute, 429s, rows per server, bodies a server answered twice.
 *
 * Time: as bench/online.ts, the emulators and the build share one clock running `factor` times
 * faster than the system clock; the build runs in-process through `main(argv, io)` with `io.clock`.
 * Run: `npx tsx bench/online-fleet.ts [--records 53] [--factor 4]`; replaces its section of bench/RESULTS.md.
 */
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { main } from '../src/cli/main.ts';
import type { Output } from '../src/report/terminal.ts';
import { startEmulator, type RunningEmulator } from '../src/emulator/index.ts';
import type { Clock } from '../src/util/clock.ts';
import { acceleratedClock, LATENCY, prepare } from './online.ts';
import { int, machineLine, markdownTable, REPO } from './lib.ts';

const HEADING = '## Online runner: a fleet of three servers';
/** Requests per minute of each server. */
const SPEEDS = [600, 300, 100];
/** The rule's requests in flight per server: above rate × latency (10/s × ~3 s) for the fastest. */
const MAX_CONCURRENCY = 64;
const MINUTE = 60_000;

type Scenario = 'all-up' | 'one-killed';

interface FleetRun {
  scenario: Scenario;
  requests: number;
  code: number;
  /** Emulated ms from the first send to the last answer. */
  spanMs: number;
  /** Requests a minute the fleet could serve over that span (a killed server's counted until its death). */
  capacityRows: number;
  /** Answers (200s) per full emulated minute from the first send, first and last minutes left out. */
  perMinute: number[];
  /** Capacity per minute at each of those minutes. */
  capacityPerMinute: number[];
  servers: { rpm: number; answered: number; throttled: number; answeredTwice: number; killedAtMs?: number }[];
  resultRows: number;
  realMs: number;
}

/** The online rule alone over requests/{name}.jsonl (the requests stage already wrote them). */
function onlineOnlyConfig(): string {
  const rule = {
    name: 'online',
    inputs: ['requests/{name}.jsonl'],
    output: 'results/{name}.jsonl',
    marker: 'journal/{name}.jsonl',
    stage: { kind: 'online', maxConcurrency: MAX_CONCURRENCY },
  };
  return `export default ${JSON.stringify({ root: '.', rules: [rule] }, null, 1)};\n`;
}

const sink = (): Output & { text: string } => {
  const o = { text: '', isTTY: false, color: false, columns: 120, write: (t: string) => void (o.text += t) };
  return o;
};

async function runFleet(scenario: Scenario, records: number, factor: number): Promise<FleetRun> {
  const { dir, requests } = await prepare(records);
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
  // One request file (the 57 subjects' lines in one): the figures are the runner's, not the engine
  // starting and finishing 57 small targets (four at a time) on a loaded machine.
  const folder = path.join(dir, 'requests');
  const files = (await readdir(folder)).sort();
  const text = (await Promise.all(files.map((f) => readFile(path.join(folder, f), 'utf8')))).join('');
  await rm(folder, { recursive: true });
  await mkdir(folder);
  await writeFile(path.join(folder, 'mmlu.jsonl'), text);
  await writeFile(path.join(dir, 'pipeline.config.ts'), onlineOnlyConfig());
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
  const stdout = sink();
  const stderr = sink();
  let code: number;
  try {
    code = await main(['build'], {
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
  const realMs = performance.now() - realStart;
  if (code !== 0) process.stderr.write(stdout.text.slice(-3000) + stderr.text.slice(-3000));
  const start = firstSend ?? 0;
  const end = answers.length > 0 ? Math.max(...answers) : start;
  const alive = (i: number, at: number) => !(i === 1 && killedAt !== undefined && at >= killedAt);
  const capacityAt = (at: number) => SPEEDS.reduce((sum, rpm, i) => sum + (alive(i, at) ? rpm : 0), 0);
  // The capacity integral: constant but for the kill.
  const capacityRows =
    killedAt === undefined
      ? (capacityAt(start) * (end - start)) / MINUTE
      : (capacityAt(start) * (killedAt - start) + capacityAt(end) * (end - killedAt)) / MINUTE;
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
    resultRows: await countResultRows(dir),
    realMs,
  };
  await Promise.all(servers.map((s) => s.close()));
  await rm(dir, { recursive: true, force: true });
  return run;
}

/** Result lines with a 200, over every results file: each row once when the job is done. */
async function countResultRows(dir: string): Promise<number> {
  let rows = 0;
  const folder = path.join(dir, 'results');
  for (const file of await readdir(folder).catch(() => [] as string[]))
    for (const line of (await readFile(path.join(folder, file), 'utf8')).split('\n'))
      if (line.includes('"status_code":200')) rows += 1;
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
      'result rows',
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
        int(r.resultRows),
      ];
    }),
  );
  return `${HEADING}

${machineLine()}; ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC; 1-minute load average ${load.toFixed(1)} at the start; \`${command}\`.

The MMLU job's request lines (gpt-4.1, max_tokens 1024; the requests stage's 57 files joined in one) sent by \`pipeline build\` (in-process) to three emulators given by PIPELINE_ONLINE_SERVERS, limited to ${SPEEDS.join(', ')} requests a minute (no token limit), answering in 0.5 s + 15 ms per output token, with OpenAI's \`x-ratelimit-*\` headers; the rule sets maxConcurrency ${MAX_CONCURRENCY} (per server) and no rate limits, so the runner learns each server's from its headers. Emulators and build share one clock running faster than the system clock (as in *Online runner: share of the rate limits used*). "Share of summed capacity": rows ÷ (the servers' summed requests a minute × the time from the first send to the last answer), the killed server's capacity counted until its death; the emulators' buckets start full, as OpenAI's do, so over a short run the first minute's allowance lifts the share. "Per full minute": answers in each whole minute after the first ÷ that minute's capacity. 429s are the emulators' (all avoidable: every limit is in the headers). "Rows per server" are the requests each emulator worked on and billed, lost replies included (the killed one's rows in flight at its death were not billed: the client had left); a row is never answered twice by one server, and every row has exactly one result.

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
