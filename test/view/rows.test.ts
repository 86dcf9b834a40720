/**
 * The rows service: pages of a merged file streamed from disk (a ~100 MB file included), search
 * that carries on where a page stopped, and, when there is no merged file, source records joined
 * with their raw results — each row without an answer with its reason.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { PipelineFiles } from '../../src/view/pipeline-files.ts';
import { RowsService, type RowsPage, type RowsQuery } from '../../src/view/rows.ts';
import type { Rig } from '../helpers/rig.ts';
import { answered, mmluRig, projectOf, refused, source } from './fixture.ts';

let rig: Rig | undefined;
let service: RowsService | undefined;
afterEach(async () => {
  await service?.close();
  await rig?.dispose();
  service = undefined;
  rig = undefined;
});

async function rowsOf(r: Rig): Promise<RowsService> {
  const project = await projectOf(r);
  service = new RowsService(project, new PipelineFiles(project.root));
  return service;
}

async function page(rows: RowsService, query: Partial<RowsQuery> & { target: string }): Promise<RowsPage> {
  const result = await rows.page({ from: 0, limit: 10, ...query });
  if (!result.ok) throw new Error(result.error.message);
  return result.value;
}

describe('a merged file', () => {
  it('pages its records: source beside answer, differences, tokens, other fields; structured answers as fields', async () => {
    rig = await mmluRig();
    const merged = [1, 2, 3].map((n) => ({
      ...source(n),
      paraphrased_analysis: `Analysis ${n}: the heart moves blood since the muscle contracts.`,
      paraphrase_tokens: { input: 30, output: 20, total: 50 },
    }));
    merged[2]!.paraphrased_analysis = '{"verdict": "B", "confidence": 0.9}';
    await rig.write({
      'results/mmlu/original/anatomy.jsonl': [1, 2, 3].map((n) => source(n)),
      'results/mmlu/paraphrased/anatomy.jsonl': `${merged.map((m) => JSON.stringify(m)).join('\n')}\nnot json\n`,
    });
    const rows = await rowsOf(rig);
    expect(rows.targets()).toEqual(['paraphrased/anatomy.jsonl']);

    const first = await page(rows, { target: 'paraphrased/anatomy.jsonl', limit: 2 });
    expect(first).toMatchObject({
      mode: 'merged',
      file: 'paraphrased/anatomy.jsonl',
      from: 0,
      next: 2,
      fields: {
        idField: 'question_number',
        outputField: 'paraphrased_analysis',
        tokensField: 'paraphrase_tokens',
        sourceFields: ['analysis'],
      },
    });
    const row = first.rows[0]!;
    expect(row).toMatchObject({
      line: 1,
      id: '1',
      status: 'answered',
      source: [{ field: 'analysis', text: source(1).analysis }],
      usage: { input: 30, output: 20, total: 50 },
      other: { subject: 'anatomy', question: 'Q1?' },
    });
    expect(row.diff!.source.filter(([c]) => c).map(([, t]) => t)).toEqual(['pumps', 'because']);
    expect(row.diff!.answer.filter(([c]) => c).map(([, t]) => t)).toEqual(['moves', 'since']);

    const rest = await page(rows, { target: 'paraphrased/anatomy.jsonl', from: first.next! });
    expect(rest.rows.map((r) => r.status)).toEqual(['answered', 'invalid']);
    expect(rest.rows[0]!.answer).toEqual({ field: 'paraphrased_analysis', fields: { verdict: 'B', confidence: 0.9 } });
    expect(rest.rows[1]!.reason).toMatch(/^invalid JSON/);
    expect(rest.next).toBeUndefined();
    expect(rest.total).toBe(4);
  });

  it(
    'a ~100 MB file: any page at once, search carries on where the last page stopped',
    { timeout: 60_000 },
    async () => {
      rig = await mmluRig();
      const lines = 40_000;
      await rig.write({ 'results/mmlu/original/big.jsonl': [source(1, 'big')], 'results/mmlu/paraphrased/.keep': '' });
      const out = createWriteStream(rig.path('results/mmlu/paraphrased/big.jsonl'));
      const filler = 'x'.repeat(2400);
      for (let n = 1; n <= lines; n++) {
        const text = n === 39_001 ? 'the needle is here' : `paraphrase ${n} ${filler}`;
        if (
          !out.write(
            `${JSON.stringify({ question_number: n, analysis: `analysis ${n}`, paraphrased_analysis: text, paraphrase_tokens: { input: 1, output: 1, total: 2 } })}\n`,
          )
        )
          await once(out, 'drain');
      }
      out.end();
      await once(out, 'finish');
      const rows = await rowsOf(rig);

      const started = performance.now();
      const first = await page(rows, { target: 'paraphrased/big.jsonl', limit: 25 });
      expect(performance.now() - started).toBeLessThan(2000);
      expect(first.rows.map((r) => r.id)).toEqual(Array.from({ length: 25 }, (_, i) => String(i + 1)));

      const last = await page(rows, { target: 'paraphrased/big.jsonl', from: lines - 5, limit: 25 });
      expect(last.rows.map((r) => r.line)).toEqual([39_996, 39_997, 39_998, 39_999, 40_000]);
      expect(last.next).toBeUndefined();
      expect(last.total).toBe(lines);

      const found: number[] = [];
      let from: number | undefined = 0;
      let requests = 0;
      while (from !== undefined && requests < 200) {
        const hits = await page(rows, { target: 'paraphrased/big.jsonl', from, search: 'NEEDLE' });
        requests += 1;
        found.push(...hits.rows.map((r) => r.line));
        from = hits.next;
      }
      expect(found).toEqual([39_001]);
    },
  );
});

describe('no merged file', () => {
  it('joins the source records with the raw results: each row without an answer says why', async () => {
    rig = await mmluRig();
    await rig.write({
      'results/mmlu/original/anatomy.jsonl': `${[1, 2, 3, 4].map((n) => JSON.stringify(source(n))).join('\n')}\n{"question_number": 5}\n{broken\n`,
      'results/mmlu/paraphrase_batch/results/anatomy.jsonl': [
        answered('anatomy-1', 'The heart moves blood.'),
        refused('anatomy-2', 'max_tokens is too large'),
        { custom_id: 'anatomy-4', error: { code: 'batch_expired', message: 'expired' } },
      ],
    });
    const rows = await rowsOf(rig);
    const joined = await page(rows, { target: 'paraphrased/anatomy.jsonl' });
    expect(joined).toMatchObject({ mode: 'joined', file: 'original/anatomy.jsonl' });
    expect(joined.note).toContain('is not built yet');
    expect(joined.rows.map((r) => [r.line, r.status, r.customId])).toEqual([
      [1, 'answered', 'anatomy-1'],
      [2, 'failed', 'anatomy-2'],
      [3, 'failed', 'anatomy-3'],
      [4, 'failed', 'anatomy-4'],
      [5, 'failed', 'anatomy-5'],
      [6, 'invalid', undefined],
    ]);
    expect(joined.rows[0]).toMatchObject({
      answer: { field: 'paraphrased_analysis', text: 'The heart moves blood.' },
      usage: { input: 30, output: 20, total: 50 },
    });
    expect(joined.rows[1]!.reason).toBe('HTTP 400: max_tokens is too large — needs a change to the request');
    expect(joined.rows[2]!.reason).toBe('no result in paraphrase_batch/results/anatomy.jsonl');
    expect(joined.rows[3]!.reason).toBe('batch_expired: the request never ran — the next build sends it again');
    expect(joined.rows[5]!.reason).toMatch(/^source line: invalid JSON/);

    const problems = await page(rows, { target: 'paraphrased/anatomy.jsonl', problems: true });
    expect(problems.rows.map((r) => r.line)).toEqual([2, 3, 4, 5, 6]);
  });

  it('before any result: the records, waiting', async () => {
    rig = await mmluRig();
    await rig.write({ 'results/mmlu/original/anatomy.jsonl': [source(1)] });
    const rows = await rowsOf(rig);
    const waiting = await page(rows, { target: 'paraphrased/anatomy.jsonl' });
    expect(waiting.rows).toMatchObject([
      {
        status: 'waiting',
        reason: 'no results yet (paraphrase_batch/results/anatomy.jsonl does not exist)',
        source: [{ field: 'analysis' }],
      },
    ]);
  });

  it('only merge targets have rows', async () => {
    rig = await mmluRig();
    await rig.write({ 'results/mmlu/original/anatomy.jsonl': [source(1)] });
    const rows = await rowsOf(rig);
    for (const target of ['paraphrase_batch/anatomy.jsonl', '../../etc/passwd', 'original/anatomy.jsonl']) {
      const refusedPage = await rows.page({ target, from: 0, limit: 10 });
      expect(!refusedPage.ok && refusedPage.error.status, target).toBe(404);
    }
  });
});
