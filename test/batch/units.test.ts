/** Pure pieces: line ranges, splitting, result-line classification, request-file checks. */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readResultLine } from '../../src/stages/result-line.ts';
import { decodeLines, encodeLines } from '../../src/stages/batch/line-ranges.ts';
import { splitIntoParts } from '../../src/stages/batch/plan.ts';
import { writePartFile } from '../../src/stages/batch/part-writer.ts';
import { tokensOf } from '../../src/stages/work/estimate.ts';
import { readRequestFile, type RequestEntry } from '../../src/stages/work/request-file.ts';
import { loadTokenizers } from '../../src/tokens/count.ts';
import { Scheduler } from '../../src/stages/batch/scheduler.ts';
import { partCaps } from '../../src/stages/batch/config.ts';
import { batchStage } from '../../src/stages/batch/stage.ts';
import { requestLines } from './harness.ts';

const dir = await mkdtemp(path.join(os.tmpdir(), 'batch-units-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

async function entries(lines: readonly unknown[]): Promise<RequestEntry[]> {
  const file = path.join(dir, `r${Math.random()}.jsonl`);
  await writeFile(file, lines.map((l) => `${JSON.stringify(l)}\n`).join(''));
  const r = await readRequestFile(file, dir);
  if (!r.ok) throw new Error(r.error.message);
  return r.value.entries;
}

beforeAll(() => loadTokenizers());

describe('batch stage pieces', () => {
  it('encodes line lists compactly and back', () => {
    const lines = [1, 2, 3, 5, 7, 8, 9, 10, 42];
    expect(encodeLines(lines)).toBe('1-3,5,7-10,42');
    expect(decodeLines(encodeLines(lines))).toEqual(lines);
    expect(decodeLines('')).toEqual([]);
  });

  it('splits by requests, bytes and tokens, one model per part, in file order', async () => {
    const base = requestLines('s', 6);
    base[4]!.body.model = 'gpt-4.1-mini';
    const es = await entries(base);
    expect(splitIntoParts(es, { maxRequests: 2, maxBytes: 1e9 }).map((p) => p.entries.map((e) => e.line))).toEqual([
      [1, 2],
      [3, 4],
      [6],
      [5],
    ]);
    const oneLine = Buffer.byteLength(es[0]!.text) + 1;
    expect(splitIntoParts(es, { maxRequests: 100, maxBytes: oneLine * 3 }).map((p) => p.entries.length)).toEqual([
      3, 2, 1,
    ]);
    const t = tokensOf(es[0]!);
    const byTokens = splitIntoParts(es, { maxRequests: 100, maxBytes: 1e9, maxTokens: t * 2 + 1 });
    expect(byTokens.map((p) => p.entries.length)).toEqual([2, 2, 1, 1]);
    expect(byTokens[0]!.inputTokens).toBe(t * 2);
    // The part's local copy is written from the request file: the lines exactly, one per line.
    const written = await writePartFile(path.join(dir, 'parts'), byTokens[0]!.entries);
    const copy = await readFile(path.join(dir, 'parts', `${written.sha256}.jsonl`), 'utf8');
    expect(copy).toBe(`${es[0]!.text}\n${es[1]!.text}\n`);
    expect(written.bytes).toBe(Buffer.byteLength(copy));
    expect(byTokens[0]!.bytes).toBe(written.bytes);
  });

  it('classifies result lines', () => {
    const ok = { custom_id: 'a', response: { status_code: 200, body: {} }, error: null };
    expect(readResultLine(ok)?.kind).toBe('succeeded');
    expect(
      readResultLine({ custom_id: 'a', response: null, error: { code: 'batch_expired', message: 'x' } })?.kind,
    ).toBe('expired');
    expect(
      readResultLine({ custom_id: 'a', response: null, error: { code: 'batch_cancelled', message: 'x' } })?.kind,
    ).toBe('canceled');
    expect(readResultLine({ custom_id: 'a', response: null, error: null })?.kind).toBe('missing');
    expect(
      readResultLine({ custom_id: 'a', response: null, error: { code: 'request_timeout', message: 'x' } }),
    ).toMatchObject({ kind: 'errored', retryable: true });
    for (const status of [429, 500, 503])
      expect(
        readResultLine({ custom_id: 'a', response: { status_code: status, body: {} }, error: null }),
      ).toMatchObject({ kind: 'errored', retryable: true });
    expect(
      readResultLine({
        custom_id: 'a',
        response: { status_code: 400, body: { error: { message: 'bad' } } },
        error: null,
      }),
    ).toMatchObject({ kind: 'errored', retryable: false, status: 400, message: 'bad' });
    expect(readResultLine({ nope: 1 })).toBeUndefined();
  });

  it('reports bad request lines with their line numbers, and hashes bodies canonically', async () => {
    const file = path.join(dir, 'bad.jsonl');
    const good = requestLines('b', 2);
    await writeFile(
      file,
      [JSON.stringify(good[0]), '{not json', JSON.stringify({ custom_id: 'x' }), JSON.stringify(good[0])].join('\n'),
    );
    const r = await readRequestFile(file, dir);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error).toMatchObject({ reason: 'bad-input', file: 'bad.jsonl', line: 2 });
    expect(r.error.details).toEqual([
      expect.stringMatching(/bad\.jsonl:2: invalid JSON/),
      'bad.jsonl:3: missing "body" (an object)',
      'bad.jsonl:4: duplicate custom_id b-1 (first on line 1)',
    ]);

    const reordered = { ...good[1]!, body: Object.fromEntries(Object.entries(good[1]!.body).reverse()) };
    const [a, b] = await entries([good[1], { ...reordered, custom_id: 'other' }]);
    expect(a!.hash).toBe(b!.hash);
  });

  it('admits parts under the per-model limits, and never deadlocks on a single large part', () => {
    const s = new Scheduler();
    const limits = { maxEnqueuedTokens: 100, maxInFlightBatches: 3 };
    expect(s.admit('t1', 'm', 150, limits)).toBe(true); // alone: allowed even though too large
    expect(s.admit('t2', 'm', 10, limits)).toBe(false);
    expect(s.admit('t2', 'other', 10, limits)).toBe(true);
    s.setLoad('t1', []);
    expect(s.admit('t2', 'm', 60, limits)).toBe(true);
    expect(s.admit('t3', 'm', 40, limits)).toBe(true);
    expect(s.admit('t3', 'm', 1, limits)).toBe(false);
  });

  it('without a Batch API connection run() fails clearly, and describe() shows nothing', async () => {
    const ctx = {
      rule: 'batch',
      target: 't.jsonl',
      root: dir,
      stateDir: path.join(dir, '.pipeline'),
      inputs: [path.join(dir, 'bad.jsonl')],
      output: path.join(dir, 't.jsonl'),
      tempOutput: path.join(dir, '.t.tmp'),
      bindings: {},
      fingerprint: '',
      marker: path.join(dir, 't.batch.json'),
      force: false,
      signal: new AbortController().signal,
      clock: { now: () => 0, sleep: () => Promise.resolve() },
      services: {},
    };
    const { schema } = await batchStage.validation();
    const config = schema.parse({ kind: 'batch' });
    expect(await batchStage.run(ctx, config)).toMatchObject({
      kind: 'failed',
      failure: { reason: 'missing-credentials' },
    });
    expect(await batchStage.describe!(ctx, config)).toEqual({ state: 'none' });
    expect(await batchStage.cleanable!(ctx, config)).toEqual([ctx.marker]);
    expect(config).toMatchObject({
      provider: 'openai',
      completionWindow: '24h',
      maxAttempts: 3,
      outputTokenRatio: 0.55,
    });
    expect(partCaps(config)).toEqual({ maxRequests: 50_000, maxBytes: 200 * 1024 * 1024, minRequests: 1 });
    expect(schema.safeParse({ kind: 'batch', maxRequestsPerBatch: 60_000 }).success).toBe(false);
    const anthropic = schema.parse({ kind: 'batch', provider: 'anthropic', maxRequestsPerBatch: 60_000 });
    expect(partCaps(anthropic)).toEqual({ maxRequests: 60_000, maxBytes: 256 * 1024 * 1024, minRequests: 1 });
  });
});
