/**
 * Azure OpenAI through the same protocol: the v1 endpoint with the `api-key` header, and its
 * fail-fast queue — a create refused with 400 `token_limit_exceeded` plus the
 * `deployment-*-enqueued-tokens` headers — handled as a batch failed on the limit: back off, learn
 * the stated limit, send again within it. Nothing is lost, nothing is created twice.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import OpenAI, { toFile } from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { createBatchApi } from '../../src/providers/shared/openai-batches.ts';
import { providerSpec } from '../../src/providers/registry.ts';
import { parseEnqueuedLimit, readLearned } from '../../src/stages/batch/learned-limits.ts';
import { API_KEY, createHarness, requestLines, type Harness } from './harness.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

function azureURL(harness: Harness): string {
  return `${new URL(harness.emulator.url).origin}/openai/v1/`;
}

function learnedLimit(harness: Harness): number | undefined {
  const learned = readLearned(path.join(harness.root, '.pipeline'));
  return [...learned.values()].find((e) => e.provider === 'azure' && e.model === 'gpt-4.1')?.limit;
}

async function azureHarness(maxEnqueuedTokens: number): Promise<Harness> {
  const harness = await createHarness({
    emulator: { azure: { maxEnqueuedTokens } },
    config: { provider: 'azure' },
  });
  harness.services.api = createBatchApi({
    apiKey: API_KEY,
    baseURL: azureURL(harness),
    defaultHeaders: { 'api-key': API_KEY },
    provider: providerSpec('azure'),
    maxRetries: 0,
    env: {},
  });
  return harness;
}

describe('Azure OpenAI', () => {
  it('the queue headers of an accepted create teach the limit: the next part waits for room, never refused', async () => {
    h = await azureHarness(300); // one subject's file (~235 tokens) fits, two do not
    await h.writeRequests('anatomy', requestLines('anatomy', 5));
    await h.writeRequests('astronomy', requestLines('astronomy', 5));
    const { outcomes, history } = await h.untilSettled(['anatomy', 'astronomy']);
    expect(outcomes.get('anatomy')?.kind).toBe('done');
    expect(outcomes.get('astronomy')?.kind).toBe('done');
    expect(await h.results('astronomy')).toHaveLength(5);
    expect(h.services.api.calls.byRoute['POST /openai/v1/batches']).toBe(2);
    expect(learnedLimit(h)).toBe(300);
    expect(history.some((o) => o !== 'crashed' && o.kind === 'failed')).toBe(false);
  });

  it('a create refused for a full queue backs off, learns the stated limit and goes once there is room', async () => {
    h = await azureHarness(300);
    // Another job's batch holds most of the deployment's queue.
    const other = new OpenAI({
      apiKey: API_KEY,
      baseURL: azureURL(h),
      defaultHeaders: { 'api-key': API_KEY },
      maxRetries: 0,
    });
    const lines = requestLines('other', 5)
      .map((l) => `${JSON.stringify(l)}\n`)
      .join('');
    const file = await other.files.create({ file: await toFile(Buffer.from(lines), 'other.jsonl'), purpose: 'batch' });
    await other.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });

    await h.writeRequests('anatomy', requestLines('anatomy', 5));
    const first = await h.cycle(['anatomy']);
    expect(first.get('anatomy')).toMatchObject({ kind: 'pending' });
    const marker = JSON.parse(await readFile(h.marker('anatomy'), 'utf8')) as {
      parts: { state: string; note?: string }[];
      backoff?: { until: string };
    };
    expect(marker.parts[0]).toMatchObject({
      state: 'abandoned',
      note: expect.stringContaining('refused at create') as string,
    });
    expect(marker.backoff).toBeDefined();
    expect(learnedLimit(h)).toBe(300);

    const { outcomes } = await h.untilSettled(['anatomy']);
    expect(outcomes.get('anatomy')?.kind).toBe('done');
    expect(await h.results('anatomy')).toHaveLength(5);
    expect(h.services.api.calls.byRoute['POST /openai/v1/batches']).toBe(2); // refused once, then created
    const stats = await h.emulator.stats();
    expect(Object.values(stats.azureBatchesByStatus).reduce((a, b) => a + b, 0)).toBe(2); // ours and the other job's
    expect(stats.duplicateExecutions).toBe(0);
  });

  it('reads results of a deployment named on every line, with the api-key header', async () => {
    h = await azureHarness(1_000_000);
    await h.writeRequests('anatomy', requestLines('anatomy', 3));
    const { outcomes } = await h.untilSettled(['anatomy']);
    expect(outcomes.get('anatomy')?.kind).toBe('done');
    expect((await h.results('anatomy')).map((r) => r.custom_id)).toEqual(['anatomy-1', 'anatomy-2', 'anatomy-3']);
  });
});

describe("Azure's wording of the limit", () => {
  it('is read from the refusal when no header states it', () => {
    const message =
      "The number of enqueued tokens has surpassed the configured limit of 30K for the deployment 'gpt-4.1'. Please wait (token_limit_exceeded).";
    expect(parseEnqueuedLimit(message)).toBe(30_000);
    expect(parseEnqueuedLimit('… the configured limit of 1.5M for the deployment …')).toBe(1_500_000);
    expect(parseEnqueuedLimit('Enqueued token limit reached for gpt-4.1. Limit: 200,000 enqueued tokens.')).toBe(
      200_000,
    );
  });
});
