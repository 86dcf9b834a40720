/**
 * The online runner end to end: the real CLI in a subprocess against the emulator's online
 * endpoints. Done means exit 0 with every row in request order; re-runs send nothing; an edited
 * request is the only one sent again; a refused row is reported with file, line and custom id;
 * `--max-time` stops with 75 and the next build finishes; rate-limit and 503 storms end with
 * every row answered once.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { bodyHash, journal, requestLines, startOnlineRig, statuses, until, type OnlineRig } from './online-helpers.ts';

let r: OnlineRig | undefined;
afterEach(async () => {
  await r?.dispose();
  r = undefined;
});

describe('online runner', () => {
  it('answers every request once, in request order; a re-run sends nothing; an edit re-sends one row', async () => {
    const lines = requestLines(30);
    r = await startOnlineRig({
      files: {
        a: lines,
        b: requestLines(5, (i, l) => ({ ...l, custom_id: `b-${i}`, body: { ...l.body, temperature: 0.2 } })),
      },
    });
    const first = await r.build();
    expect(first.code, first.stderr).toBe(0);
    const results = await r.results('a');
    expect(results.map((l) => l.custom_id)).toEqual(lines.map((l) => l.custom_id));
    expect(Object.values(statuses(results)).every((s) => s === 200)).toBe(true);
    let stats = (await r.emulator.stats()).online;
    expect(stats.answered).toBe(35);
    expect(stats.bodiesAnsweredTwice).toBe(0);

    const again = await r.build();
    expect(again.code).toBe(0);
    expect((await r.emulator.stats()).online.received).toBe(35);

    const edited = requestLines(30, (i, l) =>
      i === 7
        ? {
            ...l,
            body: { ...l.body, messages: [{ role: 'user', content: 'Paraphrase: <text>Row 7, edited.</text>' }] },
          }
        : l,
    );
    await r.rig.write({ 'data/requests/a.jsonl': edited });
    const third = await r.build();
    expect(third.code, third.stderr).toBe(0);
    stats = (await r.emulator.stats()).online;
    expect(stats.received).toBe(36);
    expect(stats.answersByBody[bodyHash(edited[6]!)]).toBe(1);
    expect(stats.bodiesAnsweredTwice).toBe(0);
  });

  it('reports a refused row with its file, line and custom id, and answers the others', async () => {
    const lines = requestLines(10, (i, l) => (i === 4 ? { ...l, body: { ...l.body, messages: [] } } : l));
    r = await startOnlineRig({ files: { a: lines } });
    const run = await r.build();
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(
      /results\/a\.jsonl .*9 results, 1 failed in requests\/a\.jsonl: row-4 \(line 4\): HTTP 400: .*empty array.*needs a change/,
    );
    const results = statuses(await r.results('a'));
    expect(results['row-4']).toBe(400);
    expect(Object.values(results).filter((s) => s === 200)).toHaveLength(9);
    // A refusal is final: the next build does not send it again.
    const received = (await r.emulator.stats()).online.received;
    expect((await r.build()).code).toBe(0);
    expect((await r.emulator.stats()).online.received).toBe(received);
  });

  it('--max-time stops sending with exit 75 and what is left; the next build sends only the rest', async () => {
    const lines = requestLines(40);
    // 1 s per answer at 2 at a time: the whole file needs 20 s, the budget is 5 s. The budget runs
    // from the command's start, so it must outlast start-up on a loaded machine (0.5 s did not).
    r = await startOnlineRig({ files: { a: lines }, stage: { maxConcurrency: 2 }, online: { baseLatencyMs: 1000 } });
    const stopped = await r.build(['--max-time', '5']);
    expect(stopped.code, stopped.stderr).toBe(75);
    expect(stopped.stdout).toMatch(/answered; \d+ left \(time budget \(--max-time\) spent\)/);
    const status = await r.status(['--json']);
    const described = JSON.stringify(JSON.parse(status.stdout));
    expect(described).toMatch(
      /\d+\/40 answered, [\d.]+ requests\/s, [\d,]+ tokens\/s, stopped by --max-time with \d+ left/,
    );
    const answeredBefore = (await r.emulator.stats()).online.answered;
    expect(answeredBefore).toBeLessThan(40);

    const done = await r.build();
    expect(done.code, done.stderr).toBe(0);
    const stats = (await r.emulator.stats()).online;
    expect(stats.answered).toBe(40);
    expect(stats.bodiesAnsweredTwice).toBe(0);
    expect((await r.results('a')).map((l) => l.custom_id)).toEqual(lines.map((l) => l.custom_id));
  });

  it('429 and 503 storms: backs off globally and finishes with every row answered exactly once', async () => {
    const lines = requestLines(60);
    r = await startOnlineRig({
      files: {
        a: lines,
        b: requestLines(20, (i, l) => ({ ...l, custom_id: `b-${i}`, body: { ...l.body, temperature: 0.5 } })),
      },
      stage: { maxConcurrency: 8, maxAttempts: 10 },
      // Limits the runner is not told: it learns them from the headers of the first answers.
      online: { requestsPerMinute: 1200, maxConcurrency: 4, maxQueue: 2, baseLatencyMs: 50 },
    });
    const running = r.build();
    // The storm starts once the build is under way (the CLI's start-up time varies).
    await until(r, (s) => s.answered >= 10);
    r.emulator.setFaults({
      online: {
        errors: [
          { status: 503, rate: 0.15, retryAfterSeconds: 0.05 },
          { status: 500, rate: 0.05 },
          { status: 529, rate: 0.05, retryAfterSeconds: 0.1 },
        ],
        rateLimitStorms: [{ afterMs: 0, durationMs: 1000 }],
      },
    });
    const run = await running;
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    const stats = (await r.emulator.stats()).online;
    expect(stats.byStatus['429']).toBeGreaterThan(0);
    expect(stats.byStatus['503']).toBeGreaterThan(0);
    expect(stats.byStatus['500']).toBeGreaterThan(0);
    expect(stats.answered).toBe(80);
    expect(stats.bodiesAnsweredTwice).toBe(0);
    expect(Object.values(statuses(await r.results('a'))).every((s) => s === 200)).toBe(true);
    const j = await journal(r.rig, 'a');
    expect(j.filter((l) => l.t === 'err' && l.throttled).length).toBeGreaterThan(0);
  });

  it('a remote server needs OPENAI_API_KEY (exit 2 with the --offline hint); a local one does not', async () => {
    r = await startOnlineRig({ files: { a: requestLines(3) } });
    const remote = await r.rig.run(['build'], { env: { OPENAI_BASE_URL: 'https://api.example.org/v1' } });
    expect(remote.code).toBe(2);
    expect(remote.stderr).toContain('OPENAI_API_KEY environment variable is not set');
    expect(remote.stderr).toContain('--offline');
    const local = await r.rig.run(['build'], { env: { OPENAI_BASE_URL: r.emulator.url } });
    expect(local.code, local.stderr).toBe(0);
    expect(local.stderr).toContain('no OPENAI_API_KEY');
  });
});
