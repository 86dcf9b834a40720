/**
 * Embeddings as the SDK gets them: the model's documented length, `dimensions` honoured (and
 * refused where the API refuses it), and the base64 encoding the `openai` Node SDK asks for by
 * default, which it decodes into float32 values.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { after, jsonl, startRig, upload, type Rig } from './helpers.ts';

let rig: Rig;
beforeAll(async () => {
  rig = await startRig();
});
afterAll(() => rig.close());

const norm = (v: readonly number[]) => Math.hypot(...v);

describe('embeddings', () => {
  it('have each model’s documented length, through the SDK’s default (base64) and as floats', async () => {
    for (const [model, length] of [
      ['text-embedding-3-small', 1536],
      ['text-embedding-3-large', 3072],
      ['text-embedding-ada-002', 1536],
    ] as const) {
      // No encoding_format: the SDK sends base64 and decodes it.
      const decoded = await rig.client.embeddings.create({ model, input: ['a good answer', 'another'] });
      expect(decoded.data.map((d) => d.embedding.length)).toEqual([length, length]);
      expect(norm(decoded.data[0]?.embedding ?? [])).toBeCloseTo(1, 4);
      const floats = await rig.client.embeddings.create({ model, input: 'a good answer', encoding_format: 'float' });
      expect(floats.data[0]?.embedding).toHaveLength(length);
      // The same vector both ways, up to float32 rounding.
      const diff = Math.max(...floats.data[0]!.embedding.map((x, i) => Math.abs(x - decoded.data[0]!.embedding[i]!)));
      expect(diff).toBeLessThan(1e-6);
      const raw = await rig.client.embeddings
        .create({ model, input: 'a good answer', encoding_format: 'base64' })
        .asResponse();
      const body = (await raw.json()) as { data: { embedding: unknown }[] };
      expect(typeof body.data[0]?.embedding).toBe('string');
      expect(Buffer.from(body.data[0]?.embedding as string, 'base64')).toHaveLength(length * 4);
    }
  });

  it('honour dimensions as the API shortens: a prefix of the full vector, normalized again', async () => {
    const full = await rig.client.embeddings.create({ model: 'text-embedding-3-large', input: 'x y z' });
    const short = await rig.client.embeddings.create({
      model: 'text-embedding-3-large',
      input: 'x y z',
      dimensions: 256,
    });
    const v = short.data[0]!.embedding;
    expect(v).toHaveLength(256);
    expect(norm(v)).toBeCloseTo(1, 4);
    const prefix = full.data[0]!.embedding.slice(0, 256);
    const scale = norm(prefix);
    expect(Math.max(...v.map((x, i) => Math.abs(x - prefix[i]! / scale)))).toBeLessThan(1e-5);
  });

  it('refuse dimensions the model cannot give, online and in a batch line', async () => {
    await expect(
      rig.client.embeddings.create({ model: 'text-embedding-ada-002', input: 'x', dimensions: 256 }),
    ).rejects.toMatchObject({ status: 400, param: 'dimensions' });
    await expect(
      rig.client.embeddings.create({ model: 'text-embedding-ada-002', input: 'x', dimensions: 256 }),
    ).rejects.toThrow('This model does not support specifying dimensions.');
    await expect(
      rig.client.embeddings.create({ model: 'text-embedding-3-small', input: 'x', dimensions: 2000 }),
    ).rejects.toMatchObject({ status: 400, param: 'dimensions', code: 'integer_above_max_value' });
    await expect(
      rig.client.embeddings.create({ model: 'text-embedding-3-small', input: 'x', encoding_format: 'hex' as 'float' }),
    ).rejects.toMatchObject({ status: 400, param: 'encoding_format', code: 'invalid_value' });
    const line = (i: number, body: Record<string, unknown>) => ({
      custom_id: `e${i}`,
      method: 'POST',
      url: '/v1/embeddings',
      body: { model: 'text-embedding-3-small', input: 'x', ...body },
    });
    const file = await upload(rig.client, jsonl([line(0, { dimensions: 64 }), line(1, { dimensions: 0 })]));
    const batch = await rig.client.batches.create({
      input_file_id: file.id,
      endpoint: '/v1/embeddings',
      completion_window: '24h',
    });
    const done = await after(rig, batch.id, 60_000);
    expect(done.status).toBe('failed');
    expect(done.errors?.data?.[0]).toMatchObject({
      line: 2,
      param: 'body.dimensions',
      code: 'integer_below_min_value',
    });
  });
});
