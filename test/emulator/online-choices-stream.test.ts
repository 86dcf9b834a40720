/**
 * Online chat completions as the SDK uses them beyond one plain answer: `n` choices (usage counting
 * every one, also in batch lines), and `stream: true` read by the SDK's own stream helpers —
 * `create({stream: true})` iterated chunk by chunk, and `chat.completions.stream()` assembling the
 * final completion — with `stream_options.include_usage`.
 */
import { zodResponseFormat } from 'openai/helpers/zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { after, chatLine, download, jsonl, startRig, upload, type Rig } from './helpers.ts';
import { chatBody, onlineStats, post } from './online-helpers.ts';
import { SdkTypes } from './sdk-types.ts';

const types = new SdkTypes(['resources/chat/completions/completions.d.ts', 'resources/completions.d.ts']);
const SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: { word: { type: 'string' }, score: { type: 'integer', minimum: 0, maximum: 1000 } },
  required: ['word', 'score'],
};
const structured = { type: 'json_schema', json_schema: { name: 'x', strict: true, schema: SCHEMA } } as const;

let rig: Rig;
beforeAll(async () => {
  rig = await startRig();
});
afterAll(() => rig.close());

describe('n > 1', () => {
  it('returns n choices, usage counting each, online and in a batch line', async () => {
    const one = await rig.client.chat.completions.create(chatBody(3));
    const three = await rig.client.chat.completions.create(chatBody(3, { n: 3 }));
    expect(three.choices.map((c) => c.index)).toEqual([0, 1, 2]);
    for (const c of three.choices) expect(c.message.content).toBe(one.choices[0]?.message.content);
    expect(three.usage?.completion_tokens).toBe(3 * (one.usage?.completion_tokens ?? 0));
    expect(three.usage?.prompt_tokens).toBe(one.usage?.prompt_tokens);

    const samples = await rig.client.chat.completions.create(chatBody(3, { n: 4, response_format: structured }));
    const answers = samples.choices.map((c) => JSON.parse(c.message.content ?? '') as { score: number });
    expect(new Set(answers.map((a) => a.score)).size).toBeGreaterThan(1);

    const file = await upload(rig.client, jsonl([chatLine(0, { extra: { n: 2 } })]));
    const batch = await rig.client.batches.create({
      input_file_id: file.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
    });
    const done = await after(rig, batch.id, 60_000);
    const [line] = await download(rig.client, done.output_file_id);
    const body = (line?.response as { body: { choices: unknown[]; usage: { completion_tokens: number } } }).body;
    expect(body.choices).toHaveLength(2);
    expect(types.missingKeys(body, 'ChatCompletion')).toEqual([]);
  });

  it('refuses n outside 1–128 as the API does', async () => {
    expect(await post(rig, '/chat/completions', chatBody(1, { n: 0 }))).toMatchObject({
      status: 400,
      body: { error: { param: 'n', code: 'integer_below_min_value' } },
    });
    expect(await post(rig, '/chat/completions', chatBody(1, { n: 129 }))).toMatchObject({
      status: 400,
      body: { error: { param: 'n', code: 'integer_above_max_value' } },
    });
  });
});

describe('stream: true', () => {
  it('streams chunks the SDK iterates, with the usage chunk last when asked', async () => {
    const plain = await rig.client.chat.completions.create(chatBody(5, { n: 2 }));
    const stream = await rig.client.chat.completions.create({
      ...chatBody(5, { n: 2 }),
      stream: true,
      stream_options: { include_usage: true },
    });
    const texts = ['', ''];
    const finishes: (string | null)[] = [];
    let usage: unknown = undefined;
    let chunks = 0;
    for await (const chunk of stream) {
      chunks++;
      expect(types.missingKeys(chunk, 'ChatCompletionChunk')).toEqual([]);
      expect(chunk.object).toBe('chat.completion.chunk');
      for (const c of chunk.choices) {
        texts[c.index] += c.delta.content ?? '';
        if (c.finish_reason) finishes[c.index] = c.finish_reason;
      }
      if (chunk.usage) {
        expect(chunk.choices).toEqual([]);
        usage = chunk.usage;
      } else expect(chunk.usage).toBeNull();
    }
    expect(chunks).toBeGreaterThan(6);
    expect(texts).toEqual(plain.choices.map((c) => c.message.content));
    expect(finishes).toEqual(['stop', 'stop']);
    expect(usage).toEqual(plain.usage);
  });

  it('works with the SDK’s stream() helper: events as they come, then the final completion', async () => {
    const format = zodResponseFormat(z.object({ word: z.string(), score: z.number().int().min(0).max(9) }), 'x');
    const plain = await rig.client.chat.completions.create({ ...chatBody(6), response_format: format });
    const runner = rig.client.chat.completions.stream({
      ...chatBody(6),
      response_format: format,
      stream_options: { include_usage: true },
    });
    const deltas: string[] = [];
    runner.on('content', (delta) => deltas.push(delta));
    const final = await runner.finalChatCompletion();
    expect(final.choices[0]?.message.content).toBe(plain.choices[0]?.message.content);
    expect(final.choices[0]?.message.parsed).toEqual(JSON.parse(plain.choices[0]?.message.content ?? ''));
    expect(final.choices[0]?.finish_reason).toBe('stop');
    expect(final.usage).toEqual(plain.usage);
    expect(deltas.join('')).toBe(plain.choices[0]?.message.content);
    expect(deltas.length).toBeGreaterThan(1);
  });

  it('without include_usage sends no usage; stream_options alone is refused; only chat streams', async () => {
    const stream = await rig.client.chat.completions.create({ ...chatBody(7), stream: true });
    for await (const chunk of stream) expect(chunk).not.toHaveProperty('usage');
    expect(
      await post(rig, '/chat/completions', chatBody(7, { stream_options: { include_usage: true } })),
    ).toMatchObject({
      status: 400,
      body: { error: { param: 'stream_options' } },
    });
    await expect(
      rig.client.responses.create({ model: 'gpt-4.1-mini', input: 'Hi.', stream: true }),
    ).rejects.toMatchObject({ status: 400, param: 'stream' });
    expect((await onlineStats(rig)).byStatus['200']).toBeGreaterThan(0);
  });
});
