/**
 * What the stand-in answers a GenerateContentRequest in a Gemini batch: structured output from
 * `responseJsonSchema` or `responseSchema`, `maxOutputTokens` (MAX_TOKENS), the implicit cache of a
 * system instruction, snake_case fields, and failed rows: requests the service refuses, injected
 * errors (transient ones succeed when asked again) and invalid structured replies.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { standInParaphrase } from '../../src/emulator/index.ts';
import { createInline, fileLine, later, raw, startGeminiRig, textOf, type GeminiRig } from './gemini-helpers.ts';

let rig: GeminiRig;
afterEach(() => rig.close());

interface Row {
  metadata?: { key: string };
  response?: { candidates: { finishReason: string }[]; usageMetadata: Record<string, number> };
  error?: { code: number; message: string };
}

/** Runs one inline batch of `n` requests to the end and returns its rows, in input order. */
async function run(n: number, extra: Parameters<typeof createInline>[2]): Promise<Row[]> {
  const job = await createInline(rig, n, extra);
  await later(rig, job.name as string, 60_000);
  const op = await raw(rig, job.name as string);
  return (op.response as { inlinedResponses: { inlinedResponses: Row[] } }).inlinedResponses.inlinedResponses;
}

const SCHEMA = {
  type: 'object',
  properties: { label: { type: 'string', enum: ['yes', 'no'] }, score: { type: 'integer', minimum: 1, maximum: 5 } },
  required: ['label', 'score'],
};

describe('answers', () => {
  it('responseJsonSchema and responseSchema (OpenAPI types) get JSON valid for the schema', async () => {
    rig = await startGeminiRig();
    const rows = await run(2, (i) => ({
      config: {
        responseMimeType: 'application/json',
        ...(i === 0
          ? { responseJsonSchema: SCHEMA }
          : {
              responseSchema: {
                type: 'OBJECT',
                properties: { label: { type: 'STRING', enum: ['yes', 'no'] }, score: { type: 'INTEGER' } },
              },
            }),
      },
    }));
    for (const row of rows) {
      const value = JSON.parse(textOf(row.response)) as { label: string; score: number };
      expect(['yes', 'no']).toContain(value.label);
      expect(Number.isInteger(value.score)).toBe(true);
    }
  });

  it('maxOutputTokens cuts the answer with MAX_TOKENS; a system instruction is cached for most requests', async () => {
    rig = await startGeminiRig();
    const [cut] = await run(1, () => ({ config: { maxOutputTokens: 2 } }));
    expect(cut?.response?.candidates[0]?.finishReason).toBe('MAX_TOKENS');
    expect(cut?.response?.usageMetadata.candidatesTokenCount).toBe(2);
    const rows = await run(8, () => ({ config: { systemInstruction: 'You rewrite sentences in plain English.' } }));
    const cached = rows.map((r) => r.response?.usageMetadata.cachedContentTokenCount ?? 0);
    expect(cached.filter((c) => c > 0).length).toBeGreaterThan(3);
    expect(cached.filter((c) => c === 0).length).toBeGreaterThan(0);
    for (const r of rows) {
      const u = r.response?.usageMetadata ?? {};
      expect(u.totalTokenCount).toBe((u.promptTokenCount ?? 0) + (u.candidatesTokenCount ?? 0));
      expect(u.promptTokenCount).toBeGreaterThanOrEqual(u.cachedContentTokenCount ?? 0);
    }
    expect((await rig.emulator.stats()).flavours.gemini?.cachedTokens).toBe(cached.reduce((a, b) => a + b, 0));
  });

  it('takes a file line written with proto field names (generation_config, max_output_tokens)', async () => {
    rig = await startGeminiRig();
    const line = JSON.stringify({
      key: 'snake',
      request: {
        contents: [{ parts: [{ text: 'one two three four five' }] }],
        generation_config: { max_output_tokens: 1 },
      },
    });
    const job = await rig.ai.batches.create({
      model: 'gemini-2.5-flash-lite',
      src: await rig.upload(`${line}\n`),
      config: { displayName: 'snake' },
    });
    await later(rig, job.name as string, 5000);
    const res = await fetch(
      `${rig.emulator.geminiUrl}/v1beta/files/batch-${(job.name as string).slice(8)}:download?alt=media`,
      {
        headers: { 'x-goog-api-key': 'k' },
      },
    );
    const row = JSON.parse(await res.text()) as Row & { key: string };
    expect(row.key).toBe('snake');
    expect(row.response?.candidates[0]?.finishReason).toBe('MAX_TOKENS');
  });
});

describe('failed rows', () => {
  it('a request the service refuses, and injected errors, are rows with an error status', async () => {
    rig = await startGeminiRig({ faults: { requestErrors: { customIds4xx: ['q1'], customIds5xx: ['q2'] } } });
    const input = [
      fileLine(0),
      fileLine(1),
      fileLine(2),
      JSON.stringify({ key: 'empty', request: { contents: [] } }),
      fileLine(4, { generationConfig: { temperature: 7 } }),
      JSON.stringify({ key: 'odd', request: { contents: [{ parts: [{ text: 'x' }] }], nonsense: 1 } }),
    ];
    const job = await rig.ai.batches.create({
      model: 'gemini-2.5-flash',
      src: await rig.upload(input.join('\n') + '\n'),
      config: { displayName: 'errors' },
    });
    await later(rig, job.name as string, 5000);
    expect((await raw(rig, job.name as string)).metadata).toMatchObject({
      batchStats: { requestCount: '6', successfulRequestCount: '1', failedRequestCount: '5' },
      state: 'BATCH_STATE_SUCCEEDED',
    });
    const id = (job.name as string).slice('batches/'.length);
    const res = await fetch(`${rig.emulator.geminiUrl}/v1beta/files/batch-${id}:download?alt=media`, {
      headers: { 'x-goog-api-key': 'k' },
    });
    const rows = (await res.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Row & { key: string });
    expect(rows.map((r) => r.key)).toEqual(['q0', 'q1', 'q2', 'empty', 'q4', 'odd']);
    expect(Object.keys(rows[1] ?? {})).toEqual(['key', 'error']);
    expect(rows[1]?.error).toEqual({ code: 3, message: 'Request contains an invalid argument.' });
    expect([13, 14]).toContain(rows[2]?.error?.code);
    expect(rows[3]?.error).toEqual({
      code: 3,
      message: '* GenerateContentRequest.contents: contents is not specified\n',
    });
    expect(rows[4]?.error?.message).toMatch(/temperature value of 7/);
    expect(rows[5]?.error?.message).toBe(
      'Invalid JSON payload received. Unknown name "nonsense" at \'request\': Cannot find field.',
    );
  });

  it('an injected 5xx row succeeds when the same request is sent again; a third answer is paid twice', async () => {
    rig = await startGeminiRig({ faults: { requestErrors: { customIds5xx: ['q0'] } } });
    const [first] = await run(1, () => ({}));
    expect([13, 14]).toContain(first?.error?.code); // INTERNAL, UNAVAILABLE
    const [again] = await run(1, () => ({}));
    expect(textOf(again?.response)).toBe(standInParaphrase('A big quick question number 0.'));
    const [third] = await run(1, () => ({}));
    expect(third?.response).toBeDefined();
    expect((await rig.emulator.stats()).flavours.gemini?.duplicateExecutions).toBe(1);
  });

  it('a structured reply answered invalidly (the invalid-replies fault) is valid when asked again', async () => {
    rig = await startGeminiRig({ faults: { invalidReplies: { customIds: ['q0'], kinds: ['refusal'] } } });
    const config = { responseMimeType: 'application/json', responseJsonSchema: SCHEMA };
    const [refused] = await run(1, () => ({ config }));
    expect(refused?.response?.candidates[0]).toEqual({ finishReason: 'SAFETY', index: 0 });
    const [valid] = await run(1, () => ({ config }));
    expect(JSON.parse(textOf(valid?.response))).toHaveProperty('label');
    expect(await rig.emulator.stats()).toMatchObject({ invalidReplies: 1, duplicateExecutions: 0 });
  });
});
