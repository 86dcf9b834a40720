/**
 * Issue 32, online rules: `--max-cost` holds while the online runner sends (never more worst-case
 * cost in flight than the budget has left), every answer's bill is in the spend log as soon as the
 * answer is (a SIGKILL loses none, a re-run counts none twice), and `--sample` spends from the same
 * budget. The real CLI against the emulator's online endpoints; the bill is the emulator's.
 */
import { readFile } from 'node:fs/promises';
import { afterEach, expect, it } from 'vitest';
import { standInParaphrase } from '../../src/emulator/index.ts';
import { countChatPromptTokens, countTextTokens, loadTokenizers } from '../../src/tokens/count.ts';
import { requestLines, startOnlineRig, until, type OnlineRig, type RequestLine } from '../e2e/online-helpers.ts';

let r: OnlineRig | undefined;
afterEach(async () => {
  await r?.dispose();
  r = undefined;
});

const WORDS =
  'the answer follows from the definitions because each step keeps its meaning and the final choice is the only one consistent with every fact given in the question';

/** Sixty rows with replies of about 90 tokens, bounded at 200. */
function rows(n = 60): RequestLine[] {
  return requestLines(n, (i, l) => ({
    ...l,
    body: {
      model: 'gpt-4.1-mini',
      messages: [{ role: 'user', content: `Paraphrase: <text>Row ${i}: ${WORDS}; ${WORDS}; ${WORDS}.</text>` }],
      max_tokens: 200,
    },
  }));
}

/** What the emulator billed at gpt-4.1-mini's standard price ($0.40 input, $0.10 cached, $1.60 output per 1M). */
async function bill(job: OnlineRig): Promise<number> {
  const s = await job.emulator.stats();
  return ((s.inputTokens - s.cachedTokens) * 0.4 + s.cachedTokens * 0.1 + s.outputTokens * 1.6) / 1e6;
}

/** What the whole file would cost if every row were answered: the budget is set below it. */
async function wholeJob(lines: RequestLine[]): Promise<number> {
  await loadTokenizers();
  return lines.reduce((sum, l) => {
    const messages = l.body.messages as { role: string; content: string }[];
    const text = /<text>([\s\S]*)<\/text>/.exec(messages[0]!.content)![1]!;
    const out = countTextTokens('gpt-4.1-mini', standInParaphrase(text));
    return sum + (countChatPromptTokens('gpt-4.1-mini', messages) * 0.4 + out * 1.6) / 1e6;
  }, 0);
}

interface SpendLine {
  key: string;
  costUsd: number;
  presumed?: boolean;
}

async function spendLines(job: OnlineRig): Promise<SpendLine[]> {
  const text = await readFile(job.rig.path('data/.pipeline/spend.jsonl'), 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter(Boolean)
    .flatMap((l) => {
      try {
        const line = JSON.parse(l) as Partial<SpendLine>;
        return typeof line.key === 'string' ? [line as SpendLine] : []; // not the state header
      } catch {
        return []; // a line torn by the kill
      }
    });
}

it('holds --max-cost while sending, under SIGKILL; every answer is in the spend log once', async () => {
  const lines = rows();
  const budget = Number(((await wholeJob(lines)) * 0.5).toFixed(6));
  r = await startOnlineRig({
    files: { a: lines },
    stage: { maxConcurrency: 4 },
    online: { baseLatencyMs: 100, latencyPerOutputTokenMs: 2 },
  });
  const job = r;

  // Killed while requests are in flight.
  const killed = job.buildProcess(['--max-cost', String(budget)]);
  await until(job, (s) => s.answered >= 8);
  killed.child.kill('SIGKILL');
  expect((await killed).signal).toBe('SIGKILL');
  expect(await bill(job)).toBeLessThanOrEqual(budget);
  // Every answer the killed run received is on record, each once: at most the 4 in flight at the
  // kill were billed by the server without reaching it.
  const afterKill = await spendLines(job);
  expect(afterKill.length).toBeGreaterThanOrEqual((await job.emulator.stats()).online.answered - 4);
  expect(new Set(afterKill.map((l) => l.key)).size).toBe(afterKill.length);

  // Re-runs until the budget holds the rest back.
  let last = await job.build(['--max-cost', String(budget)]);
  for (let run = 0; run < 10; run++) {
    if (run > 0) last = await job.build(['--max-cost', String(budget)]);
    expect(await bill(job), last.stdout + last.stderr).toBeLessThanOrEqual(budget);
    if (last.code !== 75) break;
  }
  expect(last.code, last.stdout + last.stderr).toBe(1);
  expect(last.stdout).toMatch(
    /held back by --max-cost \$0\.\d+: \$0\.\d+ spent, \$0\.\d+ left; .*a\.jsonl needs \$0\.\d+ more at worst \(~\$0\.\d+ expected\) for its \d+ unsent requests/,
  );
  const stats = (await job.emulator.stats()).online;
  expect(stats.answered).toBeLessThan(60);
  expect(stats.answered).toBeGreaterThan(20); // it filled the budget, not stopped at the first worst case

  // The spend log covers the bill (answers lost to the kill at their worst case), never past the budget.
  const spent = (await spendLines(job)).reduce((sum, l) => sum + l.costUsd, 0);
  expect(spent).toBeGreaterThanOrEqual((await bill(job)) - 1e-9);
  expect(spent).toBeLessThanOrEqual(budget + 1e-9);

  // A re-run sends nothing and records nothing: the budget is spent, and nothing is counted twice.
  const lineCount = (await spendLines(job)).length;
  const again = await job.build(['--max-cost', String(budget)]);
  expect(again.code).toBe(1);
  expect((await job.emulator.stats()).online.received).toBe(stats.received);
  expect((await spendLines(job)).length).toBe(lineCount);
}, 120_000);

it('--sample spends from the same budget: held back once its worst cases no longer fit', async () => {
  const lines = rows(30);
  const budget = Number(((await wholeJob(lines)) * 0.2).toFixed(6)); // about 6 of the 30
  r = await startOnlineRig({ files: { a: lines }, stage: { maxConcurrency: 2 } });
  const sample = await r.build(['--sample', '20', '--max-cost', String(budget)]);
  expect(sample.code, sample.stdout + sample.stderr).toBe(1);
  expect(sample.stdout).toMatch(/sample not finished: held back by --max-cost/);
  expect(await bill(r)).toBeLessThanOrEqual(budget);
  const sent = (await r.emulator.stats()).online.answered;
  expect(sent).toBeGreaterThan(0);
  expect(sent).toBeLessThan(20);
  // What the sample paid counts for the build that follows: it sends nothing more.
  const build = await r.build(['--max-cost', String(budget)]);
  expect(build.code).toBe(1);
  expect((await r.emulator.stats()).online.answered).toBe(sent);
  expect(await bill(r)).toBeLessThanOrEqual(budget);
}, 60_000);
