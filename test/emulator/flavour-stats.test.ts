/**
 * Stats across the five flavours on one server: each flavour's own counts (`flavours.*`: batches
 * created, requests run, bodies paid twice) beside the totals, each one's batches by status, and
 * the expire control finding a batch of any flavour.
 */
import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import { Mistral } from '@mistralai/mistralai';
import { afterEach, describe, expect, it } from 'vitest';
import { createBatch as createMessageBatch } from './anthropic-helpers.ts';
import { inlined } from './gemini-helpers.ts';
import { startRig, submit, type Rig } from './helpers.ts';
import { chatBody, startMistralRig } from './mistral-helpers.ts';

let rig: Rig;
afterEach(() => rig.close());

describe('per-flavour stats', () => {
  it('counts each flavour apart, and a body paid twice under the flavour that ran it', async () => {
    rig = await startRig();
    const { emulator, clock } = rig;
    // The same OpenAI body twice: the second answer is paid twice.
    await submit(rig.client, 3);
    await submit(rig.client, 3);
    await createMessageBatch(new Anthropic({ apiKey: 'k', baseURL: emulator.anthropicUrl, maxRetries: 0 }), 2);
    const ai = new GoogleGenAI({ apiKey: 'k', httpOptions: { baseUrl: emulator.geminiUrl } });
    const src = [0, 1, 2, 3].map((i) => inlined(i));
    await ai.batches.create({ model: 'gemini-2.5-flash', src, config: { displayName: 'four' } });
    const mistral = new Mistral({ apiKey: 'k', serverURL: emulator.mistralUrl });
    const requests = [0, 1, 2, 3, 4].map((i) => ({ customId: `r${i}`, body: chatBody(i) }));
    const job = await mistral.batch.jobs.create({
      endpoint: '/v1/chat/completions',
      model: 'mistral-small-latest',
      requests,
    });
    clock.advance(60_000);
    const stats = await emulator.stats();
    expect(Object.keys(stats.flavours).sort()).toEqual(['anthropic', 'gemini', 'mistral', 'openai']);
    expect(stats.flavours.openai).toMatchObject({
      batchesCreated: 2,
      filesUploaded: 2,
      requestsExecuted: 6,
      duplicateExecutions: 3,
    });
    expect(stats.flavours.anthropic).toMatchObject({ batchesCreated: 1, requestsExecuted: 2, duplicateExecutions: 0 });
    expect(stats.flavours.gemini).toMatchObject({ batchesCreated: 1, requestsExecuted: 4, duplicateExecutions: 0 });
    expect(stats.flavours.mistral).toMatchObject({ batchesCreated: 1, requestsExecuted: 5, duplicateExecutions: 0 });
    expect(stats).toMatchObject({ batchesCreated: 5, requestsExecuted: 17, duplicateExecutions: 3 });
    expect(stats).toMatchObject({
      batchesByStatus: { completed: 2 },
      messageBatchesByStatus: { ended: 1 },
      azureBatchesByStatus: {},
      geminiBatchesByState: { BATCH_STATE_SUCCEEDED: 1 },
      mistralJobsByStatus: { SUCCESS: 1 },
    });
    const expire = await fetch(`http://127.0.0.1:${emulator.port}/_emulator/batches/${job.id}/expire`, {
      method: 'POST',
    });
    expect(await expire.json()).toMatchObject({ id: job.id, status: 'SUCCESS' });
    expect(
      (await fetch(`http://127.0.0.1:${emulator.port}/_emulator/batches/nope/expire`, { method: 'POST' })).status,
    ).toBe(404);
  });
});

describe('mistral embeddings', () => {
  it('an embeddings job answers vectors in Mistral shape', async () => {
    const m = await startMistralRig();
    try {
      const job = await m.client.batch.jobs.create({
        endpoint: '/v1/embeddings',
        model: 'mistral-embed',
        requests: [{ customId: 'e', body: { input: ['one text', 'two texts'] } }],
      });
      m.clock.advance(5000);
      const got = await m.client.batch.jobs.get({ jobId: job.id, inline: true });
      const body = (got.outputs?.[0] as { response: { body: Record<string, unknown> } }).response.body;
      expect(body).toMatchObject({ object: 'list', model: 'mistral-embed', usage: { completion_tokens: 0 } });
      expect((body.data as { embedding: number[] }[]).map((d) => d.embedding.length)).toEqual([1024, 1024]);
    } finally {
      await m.close();
    }
  });
});
