/**
 * Message Batches conformance, driven by the real @anthropic-ai/sdk: the batch object, its life
 * (in_progress → ended), results streamed by `results()`, list paging both ways, cancel, delete.
 */
import { BadRequestError, NotFoundError } from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { standInParaphrase } from '../../src/emulator/index.ts';
import { byCustomId, createBatch, later, results, startAnthropicRig, type AnthropicRig } from './anthropic-helpers.ts';
import { download, submit } from './helpers.ts';

let rig: AnthropicRig;
afterEach(() => rig.close());

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

describe('message batch lifecycle', () => {
  it('in_progress with every request counted as processing, then ended with results and a results_url', async () => {
    rig = await startAnthropicRig();
    const b = await createBatch(rig.client, 100, (i) => ({ custom_id: `q${i}` }));
    expect(b).toEqual({
      id: expect.stringMatching(/^msgbatch_01[A-Za-z0-9]{22}$/) as string,
      type: 'message_batch',
      processing_status: 'in_progress',
      request_counts: { processing: 100, succeeded: 0, errored: 0, canceled: 0, expired: 0 },
      ended_at: null,
      created_at: new Date(rig.clock.now()).toISOString(),
      expires_at: new Date(rig.clock.now() + 86_400_000).toISOString(),
      archived_at: null,
      cancel_initiated_at: null,
      results_url: null,
    });
    expect(b.created_at).toMatch(RFC3339);
    // Half-way: the counts still say nothing (Anthropic reports no progress until the end).
    expect((await later(rig, b.id, 2000)).request_counts).toEqual({
      processing: 100,
      succeeded: 0,
      errored: 0,
      canceled: 0,
      expired: 0,
    });
    await expect(rig.client.messages.batches.results(b.id)).rejects.toThrow(/No batch `results_url`/);
    expect((await later(rig, b.id, 1499)).processing_status).toBe('in_progress');
    const ended = await later(rig, b.id, 1);
    expect(ended).toMatchObject({
      processing_status: 'ended',
      request_counts: { processing: 0, succeeded: 100, errored: 0, canceled: 0, expired: 0 },
      ended_at: new Date(rig.clock.now()).toISOString(),
      results_url: `${rig.emulator.anthropicUrl}/v1/messages/batches/${b.id}/results`,
    });
    const lines = await results(rig.client, b.id);
    expect(lines).toHaveLength(100);
    const ids = lines.map((l) => l.custom_id);
    expect(new Set(ids).size).toBe(100);
    expect(ids).not.toEqual([...ids].sort((a, z) => Number(a.slice(1)) - Number(z.slice(1))));
    const q7 = byCustomId(lines).q7;
    expect(q7).toEqual({
      type: 'succeeded',
      message: {
        id: expect.stringMatching(/^msg_01[A-Za-z0-9]{22}$/) as string,
        type: 'message',
        role: 'assistant',
        model: 'claude-haiku-4-5',
        content: [{ type: 'text', text: standInParaphrase('A big quick question number 7.') }],
        stop_reason: 'end_turn',
        stop_sequence: null,
        usage: {
          input_tokens: expect.any(Number) as number,
          output_tokens: expect.any(Number) as number,
          cache_creation_input_tokens: 0,
          cache_read_input_tokens: 0,
          service_tier: 'batch',
        },
      },
    });
    const stats = await rig.emulator.stats();
    expect(stats).toMatchObject({ batchesCreated: 1, requestsExecuted: 100, duplicateExecutions: 0 });
    expect(stats.messageBatchesByStatus).toEqual({ ended: 1 });
    expect(stats.routeCalls['POST /v1/messages/batches']).toBe(1);
    expect(stats.routeCalls['GET /v1/messages/batches/{message_batch_id}/results']).toBe(1);
    // results() reads the batch first: 4 retrieves by the test, 2 by results().
    expect(stats.routeCalls['GET /v1/messages/batches/{message_batch_id}']).toBe(5);
    const usage = lines.map((l) => (l.result.type === 'succeeded' ? l.result.message.usage : null));
    expect(usage.reduce((n, u) => n + (u?.input_tokens ?? 0), 0)).toBe(stats.inputTokens);
  });

  it('answers a prompt with the same text as the OpenAI routes of the same server', async () => {
    rig = await startAnthropicRig();
    const openai = new OpenAI({ apiKey: 'test', baseURL: rig.emulator.url, maxRetries: 0 });
    const content = 'Paraphrase: <text>It is important to choose the correct answer quickly.</text>';
    const a = await createBatch(rig.client, 1, () => ({ content }));
    const o = await submit(openai, 1, () => ({ content }));
    rig.clock.advance(5000);
    await rig.client.messages.batches.retrieve(a.id);
    const [line] = await results(rig.client, a.id);
    const done = await openai.batches.retrieve(o.id);
    const [openaiLine] = await download(openai, done.output_file_id);
    const openaiText = (openaiLine?.response as { body: { choices: { message: { content: string } }[] } }).body
      .choices[0]?.message.content;
    expect(line?.result.type === 'succeeded' && line.result.message.content).toEqual([
      { type: 'text', text: 'It is significant to select the right reply rapidly.' },
    ]);
    expect(openaiText).toBe('It is significant to select the right reply rapidly.');
  });
});

describe('list', () => {
  it('pages newest first with after_id (auto-paging) and before_id, with first_id/last_id/has_more', async () => {
    rig = await startAnthropicRig();
    const made: string[] = [];
    for (let i = 0; i < 5; i++) {
      made.push((await createBatch(rig.client, 1)).id);
      rig.clock.advance(1000);
    }
    const newestFirst = [...made].reverse();
    const first = await rig.client.messages.batches.list({ limit: 2 });
    expect(first.data.map((b) => b.id)).toEqual(newestFirst.slice(0, 2));
    expect(first).toMatchObject({ has_more: true, first_id: newestFirst[0], last_id: newestFirst[1] });
    const all: string[] = [];
    for await (const b of rig.client.messages.batches.list({ limit: 2 })) all.push(b.id);
    expect(all).toEqual(newestFirst);
    const older = await rig.client.messages.batches.list({ limit: 2, after_id: newestFirst[3] as string });
    expect(older).toMatchObject({ data: [{ id: newestFirst[4] }], has_more: false });
    const newer = await rig.client.messages.batches.list({ limit: 2, before_id: newestFirst[3] as string });
    expect(newer.data.map((b) => b.id)).toEqual(newestFirst.slice(1, 3));
    expect(newer.has_more).toBe(true);
    const newest = await rig.client.messages.batches.list({ limit: 2, before_id: newestFirst[1] as string });
    expect(newest).toMatchObject({ data: [{ id: newestFirst[0] }], has_more: false });
    const empty = await rig.client.messages.batches.list({ before_id: newestFirst[0] as string });
    expect(empty).toMatchObject({ data: [], has_more: false, first_id: null, last_id: null });
    // Each entry is current: the oldest batch has ended by now.
    expect(
      (await rig.client.messages.batches.list({ limit: 1, after_id: newestFirst[3] as string })).data[0],
    ).toMatchObject({ processing_status: 'ended' });
    await expect(rig.client.messages.batches.list({ limit: 1001 })).rejects.toBeInstanceOf(BadRequestError);
  });
});

describe('cancel and delete', () => {
  it('cancel: canceling, then ended with the processed requests kept and the rest canceled', async () => {
    rig = await startAnthropicRig();
    const b = await createBatch(rig.client, 100);
    rig.clock.advance(1000 + 600); // 30 requests processed
    const canceling = await rig.client.messages.batches.cancel(b.id);
    expect(canceling).toMatchObject({
      processing_status: 'canceling',
      cancel_initiated_at: new Date(rig.clock.now()).toISOString(),
      request_counts: { processing: 100, canceled: 0 },
      results_url: null,
    });
    expect((await rig.client.messages.batches.cancel(b.id)).processing_status).toBe('canceling');
    expect((await later(rig, b.id, 999)).processing_status).toBe('canceling');
    const ended = await later(rig, b.id, 1);
    expect(ended).toMatchObject({
      processing_status: 'ended',
      request_counts: { processing: 0, succeeded: 30, errored: 0, canceled: 70, expired: 0 },
      ended_at: new Date(rig.clock.now()).toISOString(),
    });
    const lines = await results(rig.client, b.id);
    expect(lines.filter((l) => l.result.type === 'canceled')).toHaveLength(70);
    expect(lines.find((l) => l.result.type === 'canceled')?.result).toEqual({ type: 'canceled' });
    expect((await rig.emulator.stats()).requestsExecuted).toBe(30);
    const again = rig.client.messages.batches.cancel(b.id);
    await expect(again).rejects.toBeInstanceOf(BadRequestError);
    await expect(again).rejects.toMatchObject({ status: 400, type: 'invalid_request_error' });
  });

  it('delete: refused while processing, then removes the batch and its results', async () => {
    rig = await startAnthropicRig();
    const b = await createBatch(rig.client, 2);
    const refused = rig.client.messages.batches.delete(b.id);
    await expect(refused).rejects.toBeInstanceOf(BadRequestError);
    await expect(refused).rejects.toMatchObject({ error: { error: { type: 'invalid_request_error' } } });
    rig.clock.advance(2000);
    expect(await rig.client.messages.batches.delete(b.id)).toEqual({ id: b.id, type: 'message_batch_deleted' });
    await expect(rig.client.messages.batches.retrieve(b.id)).rejects.toBeInstanceOf(NotFoundError);
    const raw = await fetch(`${rig.emulator.anthropicUrl}/v1/messages/batches/${b.id}/results`, {
      headers: { 'x-api-key': 't', 'anthropic-version': '2023-06-01' },
    });
    expect(raw.status).toBe(404);
    expect((await rig.client.messages.batches.list()).data).toEqual([]);
    expect((await rig.emulator.stats()).messageBatchesByStatus).toEqual({});
  });
});

describe('restart', () => {
  it('a batch stopped mid-run continues in a new server on the same state dir, nothing processed twice', async () => {
    rig = await startAnthropicRig();
    const b = await createBatch(rig.client, 100);
    await later(rig, b.id, 1000 + 1000); // 50 processed
    await rig.emulator.close();
    const second = await startAnthropicRig({ stateDir: rig.stateDir, clock: rig.clock });
    const ended = await later(second, b.id, 2000);
    expect(ended.request_counts).toMatchObject({ succeeded: 100 });
    const lines = await results(second.client, b.id);
    expect(new Set(lines.map((l) => l.custom_id)).size).toBe(100);
    expect(await second.emulator.stats()).toMatchObject({ requestsExecuted: 100, duplicateExecutions: 0 });
    await second.close();
  });
});
