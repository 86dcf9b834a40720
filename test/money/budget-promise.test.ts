/**
 * Issue 32, done-when: on the 57-subject job with `max_tokens` set, replies to some subjects three
 * times longer than to others, and SIGKILLs during the first builds, the provider's bill never
 * passes `--max-cost` after any number of re-runs, and the tool names what it held back.
 *
 * The replies: every prompt is the same size, but for the first 28 subjects two thirds of each
 * analysis is background outside `<text>…</text>` (the emulator paraphrases only the text), so
 * their replies are a third as long. A guard that admits work at its expected cost learns the
 * short replies' ratio from the first answers and then under-prices the long ones; a guard that
 * admits work at its worst case (every reply at `max_tokens`) cannot be passed.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { REPO } from '../helpers/rig.ts';
import { startE2e, type E2e } from '../e2e/helpers.ts';

let e: E2e | undefined;
afterEach(async () => {
  await e?.dispose();
  e = undefined;
});

const BUDGET = 0.3; // about half of the whole job's bill (~$0.6)
const SHORT_SUBJECTS = 28;
const TERMINAL = new Set(['completed', 'failed', 'expired', 'cancelled']);

const config = (
  define: string,
) => `import { batch, definePipeline, merge, requests, rule } from ${JSON.stringify(define)};

export default definePipeline({
  root: 'results/mmlu',
  rules: [
    rule({
      name: 'requests',
      inputs: ['original/{subject}.jsonl'],
      output: 'paraphrase_batch/{subject}.jsonl',
      stage: requests({
        model: 'gpt-4.1',
        system: 'You rewrite explanations of exam questions. Keep every fact; change only the wording.',
        prompt: 'Background (do not rewrite it): {context}\\n\\nParaphrase the analysis of this MMLU {subject} question.\\n<text>\\n{analysis}\\n</text>',
        params: { temperature: 0.7, max_tokens: 600 },
        customId: '{subject}-{question_number}',
      }),
    }),
    rule({
      name: 'batch',
      inputs: ['paraphrase_batch/{subject}.jsonl'],
      output: 'paraphrase_batch/results/{subject}.jsonl',
      marker: 'paraphrase_batch/{subject}.batch.json',
      stage: batch({ maxAttempts: 3 }),
    }),
    rule({
      name: 'merge',
      inputs: ['original/{subject}.jsonl', 'paraphrase_batch/results/{subject}.jsonl'],
      output: 'paraphrased/{subject}.jsonl',
      stage: merge({ customId: '{subject}-{question_number}', outputField: 'paraphrased_analysis' }),
    }),
  ],
});
`;

/** Same prompt size everywhere; for the short subjects two thirds of the analysis move outside <text>. */
async function shapeReplies(job: E2e): Promise<void> {
  for (const [i, subject] of job.subjects.entries()) {
    const file = job.rig.path(`results/mmlu/original/${subject}.jsonl`);
    const rows = (await readFile(file, 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const shaped = rows.map((r) => {
      const words = String(r.analysis).split(' ');
      if (i >= SHORT_SUBJECTS) return { ...r, context: 'none' };
      const third = Math.ceil(words.length / 3);
      return { ...r, analysis: words.slice(0, third).join(' '), context: words.slice(third).join(' ') };
    });
    await writeFile(file, shaped.map((r) => `${JSON.stringify(r)}\n`).join(''));
  }
}

/** What the emulator billed, at gpt-4.1's batch price (half of $2 input, $0.50 cached input, $8 output per 1M). */
async function bill(job: E2e): Promise<number> {
  const s = await job.emulator.stats();
  return ((s.inputTokens - s.cachedTokens) * 1.0 + s.cachedTokens * 0.25 + s.outputTokens * 4.0) / 1e6;
}

async function batchesRunning(job: E2e): Promise<number> {
  const s = await job.emulator.stats();
  return Object.entries(s.batchesByStatus)
    .filter(([status]) => !TERMINAL.has(status))
    .reduce((sum, [, n]) => sum + n, 0);
}

it('the bill never passes --max-cost: worst cases admitted part by part, replies 3× longer for half the subjects, kills included', async () => {
  e = await startE2e({ subjects: 57, recordsPerSubject: 8 });
  await e.rig.write({ 'pipeline.config.ts': config(path.join(REPO, 'src/config/define.ts')) });
  await shapeReplies(e);
  const build = (extra: NodeJS.ProcessEnv = {}, args: string[] = []) =>
    e!.build(['--max-cost', String(BUDGET), ...args], extra);
  const bills: number[] = [];
  const check = async (what: string) => {
    bills.push(await bill(e!));
    expect(bills.at(-1), `${what}: the bill so far`).toBeLessThanOrEqual(BUDGET);
  };

  // Killed right after a batch is created, then after results are downloaded but before the part
  // is marked collected (its bill is in the spend log or not: never counted twice, never lost).
  // One target at a time (-j 1): the kill never catches a sibling's create in flight.
  expect((await build({ PIPELINE_FAILPOINT: 'after-create' }, ['-j', '1'])).signal).toBe('SIGKILL');
  await check('after the first kill');
  const second = await build();
  expect([1, 75], second.stdout + second.stderr).toContain(second.code);
  await check('after the second build');
  await new Promise((r) => setTimeout(r, 300)); // the emulator finishes the batches
  const third = await build({ PIPELINE_FAILPOINT: 'after-download' });
  expect(third.signal === 'SIGKILL' || [1, 75].includes(third.code!), third.stdout + third.stderr).toBe(true);
  await check('after the second kill');

  // Then re-run as a user would, until a build sends nothing new and nothing is in flight.
  let last = third;
  let created = -1;
  for (let run = 0; run < 80; run++) {
    last = await build();
    expect([1, 75], last.stdout + last.stderr).toContain(last.code);
    await check(`after re-run ${run + 1}`);
    const now = (await e.emulator.stats()).batchesCreated;
    // Settled: nothing new sent, and nothing of the job's in flight (the hint says so otherwise).
    if (last.code === 1 && now === created && !/still running/.test(last.stdout)) break;
    created = now;
    await new Promise((r) => setTimeout(r, 200));
  }
  await new Promise((r) => setTimeout(r, 300));
  await check('when everything is billed');
  expect(await batchesRunning(e)).toBe(0);
  const stats = await e.emulator.stats();
  expect(stats.duplicateExecutions).toBe(0);
  // It filled the budget rather than stopping early: within one subject's worst case of it.
  expect(bills.at(-1), `${last.stdout}\n${bills.join(' ')}`).toBeGreaterThan(BUDGET * 0.8);

  // The replies were as described: per request, three times the output for the later subjects.
  const spend = (await e.rig.read('results/mmlu/.pipeline/spend.jsonl'))
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { key?: string; target: string; requests: number; usage: { output: number } })
    .filter((l) => l.key !== undefined); // the state header is not a spend line
  const perRequest = (short: boolean) => {
    const lines = spend.filter(
      (l) => short === e!.subjects.slice(0, SHORT_SUBJECTS).some((s) => l.target.endsWith(`/${s}.jsonl`)),
    );
    return lines.reduce((a, l) => a + l.usage.output, 0) / lines.reduce((a, l) => a + l.requests, 0);
  };
  expect(perRequest(false) / perRequest(true)).toBeGreaterThan(2.5);
  console.log(`bills after each build: ${bills.map((b) => b.toFixed(4)).join(' ')} (budget ${BUDGET})`);

  // What was held back is named: each target with what it would take, and all of them in one line.
  const held = /held back by the cost limit \((\d+) targets?\): (.*)\n/.exec(last.stdout);
  expect(held, last.stdout).not.toBeNull();
  expect(Number(held![1])).toBeGreaterThan(0);
  expect(last.stdout).toMatch(
    /held back by --max-cost \$0\.30: \$0\.\d+ spent, \$0\.00 in flight, \$0\.\d+ left; .* needs \$0\.\d+ more at worst \(~\$0\.\d+ expected\) for its \d+ requests?/,
  );
  const money = JSON.parse((await e.rig.run(['status', '--json', '--money'], { env: e.env })).stdout) as {
    spentUsd: number;
  };
  expect(Math.abs(money.spentUsd - bills.at(-1)!)).toBeLessThanOrEqual(5e-7 + 1e-12);
}, 900_000);
