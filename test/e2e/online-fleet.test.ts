/**
 * Issue 34 item 4, a fleet of servers for the online runner: the real CLI in a subprocess and the
 * real openai SDK against several emulator instances on loopback. Rows go to whichever server has
 * room (so they spread by capacity), a server killed mid-run is drained and its rows answered by
 * the others, a server that ran a row without the reply reaching us never gets that row again,
 * PIPELINE_ONLINE_SERVERS replaces the config's list, and --max-cost holds over the whole fleet.
 * The journal names the server that answered each row: it must agree with each emulator's count.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  startEmulator,
  standInParaphrase,
  type OnlineFaults,
  type OnlineOptions,
  type OnlineStats,
  type RunningEmulator,
} from '../../src/emulator/index.ts';
import { countChatPromptTokens, countTextTokens, loadTokenizers } from '../../src/tokens/count.ts';
import { Rig, type CliResult } from '../helpers/rig.ts';
import { FAKE_KEY } from './helpers.ts';
import { journal, requestLines, statuses, type RequestLine } from './online-helpers.ts';

interface Fleet {
  rig: Rig;
  servers: RunningEmulator[];
  build(args?: string[], env?: NodeJS.ProcessEnv): Promise<CliResult>;
  stats(): Promise<OnlineStats[]>;
  dispose(): Promise<void>;
}

let fleet: Fleet | undefined;
afterEach(async () => {
  await fleet?.dispose();
  fleet = undefined;
});

/**
 * One `online` rule over `lines`, and one emulator per entry of `servers` (its online limits and
 * faults). `listed`: the servers the config names, with their own limits (default: all of them).
 */
async function startFleet(opts: {
  lines: RequestLine[];
  servers: { online?: OnlineOptions; faults?: OnlineFaults }[];
  stage?: Record<string, unknown>;
  listed?: (urls: string[]) => Record<string, unknown>[] | undefined;
}): Promise<Fleet> {
  const rig = await Rig.create('pipeline-fleet-');
  const servers = await Promise.all(
    opts.servers.map((s, i) =>
      startEmulator({
        stateDir: rig.path(`emulator-${i}`),
        speed: 1,
        ...(s.online ? { online: s.online } : {}),
        ...(s.faults ? { faults: { online: s.faults } } : {}),
      }),
    ),
  );
  const urls = servers.map((s) => s.url);
  const listed = opts.listed ? opts.listed(urls) : urls.map((baseURL) => ({ baseURL }));
  const stage = { kind: 'online', ...opts.stage, ...(listed ? { servers: listed } : {}) };
  await rig.write({
    'pipeline.config.ts': `export default {
  root: 'data',
  rules: [
    { name: 'online', inputs: ['requests/{name}.jsonl'], output: 'results/{name}.jsonl', marker: 'journal/{name}.jsonl',
      stage: ${JSON.stringify(stage)} },
  ],
};
`,
    'data/requests/a.jsonl': opts.lines,
  });
  // No OPENAI_BASE_URL: every request must go to a server the config (or the variable) names.
  const env = { OPENAI_API_KEY: FAKE_KEY };
  return {
    rig,
    servers,
    build: (args = [], extra = {}) => rig.cli(['build', ...args], { env: { ...env, ...extra } }),
    stats: () => Promise.all(servers.map(async (s) => (await s.stats()).online)),
    async dispose() {
      await Promise.all(servers.map((s) => s.close()));
      await rig.dispose();
    },
  };
}

/** Answers per server as the journal records them (`s` of its `ok` lines). */
async function answeredBy(f: Fleet): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const line of await journal(f.rig, 'a'))
    if (line.t === 'ok') counts[String(line.s)] = (counts[String(line.s)] ?? 0) + 1;
  return counts;
}

/** Waits (polling the emulators, not sleeping a guessed time) until their stats reach a state. */
async function until(f: Fleet, ready: (s: OnlineStats[]) => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ready(await f.stats())) {
    if (Date.now() > deadline) throw new Error(`the fleet did not reach the awaited state within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function expectEveryRowOnce(results: Record<string, unknown>[], lines: RequestLine[]): void {
  expect(results.map((l) => l.custom_id)).toEqual(lines.map((l) => l.custom_id));
  expect(Object.values(statuses(results)).every((s) => s === 200)).toBe(true);
}

describe('online fleet', () => {
  it('spreads rows by capacity; the journal names the server that answered each row', async () => {
    const lines = requestLines(90);
    // Same speed per request (100 ms); 6, 3 and 1 requests at once: capacities 60, 30 and 10 a second.
    fleet = await startFleet({
      lines,
      servers: [0, 1, 2].map(() => ({ online: { baseLatencyMs: 100 } })),
      listed: (urls) => [
        { baseURL: urls[0], maxConcurrency: 6 },
        { baseURL: urls[1], maxConcurrency: 3 },
        { baseURL: urls[2], maxConcurrency: 1 },
      ],
    });
    const run = await fleet.build();
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expectEveryRowOnce(
      await fleet.rig.lines('data/results/a.jsonl').then((l) => l as Record<string, unknown>[]),
      lines,
    );
    const stats = await fleet.stats();
    const answered = stats.map((s) => s.answered);
    expect(answered.reduce((a, b) => a + b, 0)).toBe(90);
    // The shares follow the capacities (6:3:1), with room for a loaded machine.
    expect(answered[0]!).toBeGreaterThan(answered[1]!);
    expect(answered[1]!).toBeGreaterThan(answered[2]!);
    expect(answered[2]!).toBeGreaterThan(0);
    expect(answered[0]!).toBeGreaterThanOrEqual(35);
    // Each server is kept busy with several rows at once, never more than its own limit.
    expect(stats[0]!.peakConcurrency).toBeGreaterThanOrEqual(3);
    expect(stats.map((s) => s.peakConcurrency)).toEqual([
      expect.toSatisfy((n: number) => n <= 6),
      expect.toSatisfy((n: number) => n <= 3),
      1,
    ]);
    // The journal agrees with each server's own count.
    const byServer = await answeredBy(fleet);
    expect(fleet.servers.map((s) => byServer[s.url] ?? 0)).toEqual(answered);
  }, 60_000);

  it('a server killed mid-run is drained: the job finishes, every row answered once, none twice by a server', async () => {
    const lines = requestLines(120);
    fleet = await startFleet({
      lines,
      servers: [0, 1, 2].map(() => ({ online: { baseLatencyMs: 150 } })),
      stage: { maxConcurrency: 4 },
    });
    const running = fleet.build();
    // Killed while it holds requests in flight (4 at a time, each 150 ms).
    await until(fleet, (s) => s[1]!.answered >= 10);
    await fleet.servers[1]!.close();
    const run = await running;
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expectEveryRowOnce(
      await fleet.rig.lines('data/results/a.jsonl').then((l) => l as Record<string, unknown>[]),
      lines,
    );
    const stats = await fleet.stats();
    for (const s of stats) expect(s.bodiesAnsweredTwice).toBe(0);
    const byServer = await answeredBy(fleet);
    // The journal's answers are each server's, each row once; the rows the killed one held went elsewhere.
    expect(Object.values(byServer).reduce((a, b) => a + b, 0)).toBe(120);
    expect(byServer[fleet.servers[1]!.url]).toBeLessThanOrEqual(stats[1]!.answered);
    expect(byServer[fleet.servers[0]!.url]).toBe(stats[0]!.answered);
    expect(byServer[fleet.servers[2]!.url]).toBe(stats[2]!.answered);
    expect(stats[0]!.answered + stats[2]!.answered).toBeGreaterThanOrEqual(120 - stats[1]!.answered);
    // The rows in flight on it at the kill failed there (no answer) and were sent again elsewhere.
    const j = await journal(fleet.rig, 'a');
    const lostThere = j.filter((l) => l.t === 'err' && l.status === undefined).length;
    expect(lostThere).toBeGreaterThan(0);
  }, 90_000);

  it('a row a server ran without its reply reaching us is sent to another server, never again to that one', async () => {
    const lines = requestLines(60);
    // Server 0 loses a fifth of its replies after doing (and billing) the work; server 1 loses none.
    fleet = await startFleet({
      lines,
      servers: [{ online: { baseLatencyMs: 20 }, faults: { lostReplyRate: 0.2 } }, { online: { baseLatencyMs: 20 } }],
      stage: { maxConcurrency: 3 },
    });
    const run = await fleet.build();
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expectEveryRowOnce(
      await fleet.rig.lines('data/results/a.jsonl').then((l) => l as Record<string, unknown>[]),
      lines,
    );
    const [lossy, sound] = await fleet.stats();
    expect(lossy!.lostReplies).toBeGreaterThan(0);
    // Alone, the lossy server would answer those rows a second time (the single-server behaviour).
    expect(lossy!.bodiesAnsweredTwice).toBe(0);
    expect(sound!.bodiesAnsweredTwice).toBe(0);
    // Every reply it lost was answered by the other server. Three failures in a row drain the
    // lossy server, aborting what it had in flight: a request it finished after we let go is
    // answered there but not taken from there (sent to the other server instead), so its count in
    // the journal may fall short of its replies that were not lost, never exceed them.
    const byServer = await answeredBy(fleet);
    expect(byServer[fleet.servers[0]!.url] ?? 0).toBeLessThanOrEqual(lossy!.answered - lossy!.lostReplies);
    expect(byServer[fleet.servers[1]!.url]).toBe(sound!.answered);
    expect((byServer[fleet.servers[0]!.url] ?? 0) + byServer[fleet.servers[1]!.url]!).toBe(60);
  }, 60_000);

  it('PIPELINE_ONLINE_SERVERS replaces the configured servers; a listed one keeps its limits', async () => {
    const lines = requestLines(40);
    fleet = await startFleet({
      lines,
      servers: [0, 1, 2].map(() => ({ online: { baseLatencyMs: 50 } })),
      // The config names only server 0, and server 2's limit (one at a time).
      listed: (urls) => [{ baseURL: urls[0] }, { baseURL: urls[2], maxConcurrency: 1 }],
      stage: { maxConcurrency: 4 },
    });
    const variable = `${fleet.servers[1]!.url}, ${fleet.servers[2]!.url}`;
    const run = await fleet.build([], { PIPELINE_ONLINE_SERVERS: variable });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expectEveryRowOnce(
      await fleet.rig.lines('data/results/a.jsonl').then((l) => l as Record<string, unknown>[]),
      lines,
    );
    const stats = await fleet.stats();
    expect(stats[0]!.received).toBe(0);
    expect(stats[1]!.answered + stats[2]!.answered).toBe(40);
    expect(stats[2]!.peakConcurrency).toBe(1);
    expect(stats[1]!.answered).toBeGreaterThan(stats[2]!.answered);

    // A value that is not a list of URLs is a usage error naming the variable.
    await fleet.rig.write({ 'data/requests/a.jsonl': requestLines(41) });
    const bad = await fleet.build([], { PIPELINE_ONLINE_SERVERS: 'gpu-1:8000' });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("PIPELINE_ONLINE_SERVERS has 'gpu-1:8000', which is not an http(s) URL");
  }, 60_000);

  it('--max-cost holds over the whole fleet', async () => {
    const words = 'each step keeps its meaning and the final choice is the only one consistent with every fact';
    const lines = requestLines(48, (i, l) => ({
      ...l,
      body: {
        ...l.body,
        messages: [{ role: 'user', content: `Paraphrase: <text>Row ${i}: ${words}.</text>` }],
        max_tokens: 120,
      },
    }));
    await loadTokenizers();
    const whole = lines.reduce((sum, l) => {
      const messages = l.body.messages as { role: string; content: string }[];
      const text = /<text>([\s\S]*)<\/text>/.exec(messages[0]!.content)![1]!;
      const out = countTextTokens('gpt-4.1-mini', standInParaphrase(text));
      return sum + (countChatPromptTokens('gpt-4.1-mini', messages) * 0.4 + out * 1.6) / 1e6;
    }, 0);
    const budget = Number((whole * 0.5).toFixed(6));
    fleet = await startFleet({
      lines,
      servers: [0, 1, 2].map(() => ({ online: { baseLatencyMs: 50 } })),
      stage: { maxConcurrency: 4 },
    });
    const run = await fleet.build(['--max-cost', String(budget)]);
    expect(run.code, run.stdout + run.stderr).toBe(1);
    expect(run.stdout).toMatch(/held back by --max-cost/);
    // What the three servers billed together, at gpt-4.1-mini's price, stays within the budget.
    const billed = (await Promise.all(fleet.servers.map((s) => s.stats()))).reduce(
      (sum, s) => sum + ((s.inputTokens - s.cachedTokens) * 0.4 + s.cachedTokens * 0.1 + s.outputTokens * 1.6) / 1e6,
      0,
    );
    expect(billed).toBeLessThanOrEqual(budget);
    const answered = (await fleet.stats()).map((s) => s.answered);
    expect(answered.filter((n) => n > 0).length).toBeGreaterThan(1);
    expect(answered.reduce((a, b) => a + b, 0)).toBeGreaterThan(12);
  }, 60_000);
});
