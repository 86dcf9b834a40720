import { afterEach, describe, expect, it } from 'vitest';
import { after, download, startRig, submit, type Rig } from './helpers.ts';
import { chatBody, onlineStats, post } from './online-helpers.ts';

let rig: Rig;
afterEach(() => rig.close());

describe('online chat completions', () => {
  it('answers like the batch side: same text, same usage, for the same body', async () => {
    rig = await startRig();
    const online = await rig.client.chat.completions.create(chatBody(7));
    expect(online).toMatchObject({
      object: 'chat.completion',
      model: 'gpt-4.1-mini-2025-04-14',
      service_tier: 'default',
      choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant' } }],
    });
    expect(online.id).toMatch(/^chatcmpl-/);
    expect(online.choices[0]?.message.content).toBe('A large fast query number 7.');

    const batch = await submit(rig.client, 8);
    const done = await after(rig, batch.id, 60_000);
    expect(done.status).toBe('completed');
    const line = (await download(rig.client, done.output_file_id)).find((l) => l.custom_id === 'req-7');
    const body = (line?.response as { body: typeof online }).body;
    expect(online.choices[0]?.message.content).toBe(body.choices[0]?.message.content);
    expect(online.usage).toEqual(body.usage);
    expect(online.usage?.prompt_tokens).toBeGreaterThan(5);
  });

  it('honours max_tokens and echoes the flex tier', async () => {
    rig = await startRig();
    const cut = await rig.client.chat.completions.create(chatBody(1, { max_tokens: 2, service_tier: 'flex' }));
    expect(cut.choices[0]?.finish_reason).toBe('length');
    expect(cut.usage?.completion_tokens).toBe(2);
    expect(cut.service_tier).toBe('flex');
    const auto = await rig.client.chat.completions.create(chatBody(1, { service_tier: 'auto' }));
    expect(auto.service_tier).toBe('default');
  });

  it('validates bodies as the batch lines are, in the online wording', async () => {
    rig = await startRig();
    const { messages: _m, ...noMessages } = chatBody(1);
    expect(await post(rig, '/chat/completions', noMessages)).toMatchObject({
      status: 400,
      body: {
        error: {
          message: "Missing required parameter: 'messages'.",
          param: 'messages',
          code: 'missing_required_parameter',
        },
      },
    });
    expect(await post(rig, '/chat/completions', chatBody(1, { messages: [] }))).toMatchObject({
      status: 400,
      body: { error: { code: 'empty_array', param: 'messages' } },
    });
    expect(await post(rig, '/chat/completions', chatBody(1, { model: 'no-such-model' }))).toMatchObject({
      status: 404,
      body: { error: { code: 'model_not_found', type: 'invalid_request_error' } },
    });
    expect(await post(rig, '/chat/completions', chatBody(1, { service_tier: 'cheap' }))).toMatchObject({
      status: 400,
      body: { error: { param: 'service_tier', code: 'invalid_value' } },
    });
    // Chat completions stream (online-choices-stream.test.ts); the Responses endpoint does not.
    await expect(
      rig.client.responses.create({ model: 'gpt-4.1-mini', input: 'x', stream: true }),
    ).rejects.toMatchObject({
      status: 400,
      param: 'stream',
      code: 'invalid_value',
    });
    expect(await post(rig, '/chat/completions', [1, 2])).toMatchObject({ status: 400 });
    const stats = await onlineStats(rig);
    expect(stats.byStatus).toEqual({ '400': 5, '404': 1 });
    expect(stats.received).toBe(0);
  });

  it('asks for a key like the rest of the API', async () => {
    rig = await startRig({ apiKey: 'sk-right' });
    await expect(rig.client.chat.completions.create(chatBody(1))).rejects.toMatchObject({
      status: 401,
      code: 'invalid_api_key',
    });
  });
});

describe('online embeddings', () => {
  it('gives deterministic unit vectors and usage', async () => {
    rig = await startRig();
    const a = await rig.client.embeddings.create({
      model: 'text-embedding-3-small',
      input: ['a good answer', 'another'],
      dimensions: 8,
      encoding_format: 'float',
    });
    expect(a.data).toHaveLength(2);
    expect(a.data[0]?.embedding).toHaveLength(8);
    expect(Math.hypot(...(a.data[0]?.embedding ?? []))).toBeCloseTo(1, 4);
    expect(a.usage.prompt_tokens).toBeGreaterThan(2);
    const b = await rig.client.embeddings.create({
      model: 'text-embedding-3-small',
      input: 'a good answer',
      dimensions: 8,
      encoding_format: 'float',
    });
    expect(b.data[0]?.embedding).toEqual(a.data[0]?.embedding);
    expect(await post(rig, '/embeddings', { model: 'text-embedding-3-small' })).toMatchObject({
      status: 400,
      body: { error: { param: 'input', code: 'missing_required_parameter' } },
    });
  });
});

describe('online billing', () => {
  it('counts answers per body, and a body answered twice as a duplicate execution', async () => {
    rig = await startRig();
    await rig.client.chat.completions.create(chatBody(1));
    await rig.client.chat.completions.create(chatBody(2));
    let stats = await rig.emulator.stats();
    expect(stats.online.answered).toBe(2);
    expect(stats.online.bodiesAnsweredTwice).toBe(0);
    expect(stats.duplicateExecutions).toBe(0);
    expect(stats.requestsExecuted).toBe(2);
    await rig.client.chat.completions.create(chatBody(1));
    stats = await rig.emulator.stats();
    expect(stats.online.bodiesAnsweredTwice).toBe(1);
    expect(Object.values(stats.online.answersByBody).sort()).toEqual([1, 2]);
    expect(stats.duplicateExecutions).toBe(1);
    expect(stats.online.byStatus).toEqual({ '200': 3 });
    expect(stats.online.windows).toHaveLength(1);
    expect(stats.online.windows[0]).toMatchObject({ answered: 3, requests: 3 });
    expect(stats.online.windows[0]?.completionTokens).toBe(stats.outputTokens);
    expect(stats.routeCalls['POST /v1/chat/completions']).toBe(3);
  });
});
