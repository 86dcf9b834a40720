/**
 * The online runner killed with SIGKILL at random moments (issue #13): a build of a few request
 * files against the emulator's online endpoints (with latency, so requests are in flight), killed
 * once the emulator has received a random number of further requests, again and again, then run
 * to the end. Counted from the emulator's books (answers per request body) and the journal:
 *
 * - duplicates: bodies answered more often than their request was lost in flight by a kill (an
 *   answer the server sent while the process died is lost and the request is sent again — that is
 *   the only allowed second answer, counted apart as `lostInFlight`);
 * - rows lost: requests without a 200 line in the results file, or out of order.
 */
import { readFile } from 'node:fs/promises';
import { requestHash } from '../../src/providers/shared/line-tools.ts';
import { bodyHash, requestLines, startOnlineRig, until, type RequestLine } from '../e2e/online-helpers.ts';

export interface OnlineCrashFigures {
  kills: number;
  runs: number;
  requests: number;
  /** Answers beyond one per body that no kill explains. */
  duplicates: number;
  /** Second answers explained by a kill while the request was in flight. */
  reanswered: number;
  lostInFlight: number;
  rowsLost: number;
  finished: boolean;
}

export async function onlineCrashCampaign(opts: {
  kills: number;
  seed: number;
  files?: number;
  requestsPerFile?: number;
  log?: (line: string) => void;
}): Promise<OnlineCrashFigures> {
  const fileCount = opts.files ?? 3;
  const perFile = opts.requestsPerFile ?? 40;
  const files: Record<string, RequestLine[]> = {};
  for (let f = 0; f < fileCount; f++)
    files[`f${f}`] = requestLines(perFile, (i, l) => ({
      ...l,
      custom_id: `f${f}-${i}`,
      body: { ...l.body, messages: [{ role: 'user', content: `Paraphrase: <text>File ${f}, row ${i}.</text>` }] },
    }));
  const all = Object.values(files).flat();
  const r = await startOnlineRig({
    files,
    stage: { maxConcurrency: 6 },
    online: { baseLatencyMs: 40, latencyPerOutputTokenMs: 1 },
  });
  let random = opts.seed >>> 0 || 1;
  const next = () => {
    random = (Math.imul(random, 1103515245) + 12345) >>> 0;
    return random / 2 ** 32;
  };
  try {
    let kills = 0;
    let runs = 0;
    while (kills < opts.kills) {
      const before = (await r.emulator.stats()).online.received;
      if (before >= all.length * 3) break; // nothing left to interrupt
      const run = r.buildProcess();
      runs += 1;
      // A random moment: after 1–12 more requests have reached the server (start-up time varies too much to use a delay).
      const target = before + 1 + Math.floor(next() * 12);
      const reached = await Promise.race([
        until(r, (s) => s.received >= target).then(() => true),
        run.then(() => false),
      ]);
      if (reached && run.child.pid) {
        try {
          process.kill(-run.child.pid, 'SIGKILL');
          kills += 1;
        } catch {
          // it had just finished
        }
      }
      const result = await run;
      opts.log?.(`run ${runs}: ${result.signal ?? `exit ${result.code}`} after ${target} requests received`);
      if (result.code === 0) break;
    }
    let finished = false;
    for (let i = 0; i < 5 && !finished; i++) {
      runs += 1;
      finished = (await r.build()).code === 0;
    }
    // The books: every body's answers against the times a kill lost its request in flight.
    const lost = new Map<string, number>();
    for (const name of Object.keys(files)) {
      const text = await readFile(r.rig.path(`data/journal/${name}.jsonl`), 'utf8').catch(() => '');
      let pending = new Set<string>();
      for (const raw of text.split('\n')) {
        let line: { t?: string; h?: string };
        try {
          line = JSON.parse(raw) as { t?: string; h?: string };
        } catch {
          continue;
        }
        if (line.t === 'run') {
          for (const h of pending) lost.set(h, (lost.get(h) ?? 0) + 1);
          pending = new Set();
        } else if (line.t === 'sent' && line.h) pending.add(line.h);
        else if ((line.t === 'ok' || line.t === 'err') && line.h) pending.delete(line.h);
      }
    }
    const stats = (await r.emulator.stats()).online;
    let duplicates = 0;
    let reanswered = 0;
    for (const line of all) {
      const answers = stats.answersByBody[bodyHash(line)] ?? 0;
      const allowed = lost.get(requestHash(line.method, line.url, line.body)) ?? 0;
      const extra = Math.max(0, answers - 1);
      reanswered += Math.min(extra, allowed);
      duplicates += Math.max(0, extra - allowed);
    }
    let rowsLost = 0;
    for (const [name, lines] of Object.entries(files)) {
      const results = finished ? await r.results(name) : [];
      lines.forEach((line, i) => {
        const got = results[i] as { custom_id?: string; response?: { status_code?: number } } | undefined;
        if (got?.custom_id !== line.custom_id || got.response?.status_code !== 200) rowsLost += 1;
      });
    }
    return {
      kills,
      runs,
      requests: all.length,
      duplicates,
      reanswered,
      lostInFlight: [...lost.values()].reduce((a, b) => a + b, 0),
      rowsLost,
      finished,
    };
  } finally {
    await r.dispose();
  }
}
