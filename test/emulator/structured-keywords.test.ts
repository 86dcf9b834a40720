/**
 * Strict `json_schema` replies honour every keyword a schema may constrain them with — `pattern`,
 * `format`, `multipleOf`, exclusive bounds, lengths, item counts, unique items, enums, nested and
 * recursive objects — checked with a real validator (ajv, JSON Schema 2020-12, formats on) over
 * many prompts, through the SDK on both the chat completions and Responses endpoints.
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { after, download, jsonl, startRig, upload, type Rig } from './helpers.ts';

const SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    id: { type: 'string', format: 'uuid' },
    day: { type: 'string', format: 'date' },
    at: { type: 'string', format: 'date-time' },
    clock: { type: 'string', format: 'time' },
    took: { type: 'string', format: 'duration' },
    email: { type: 'string', format: 'email' },
    host: { type: 'string', format: 'hostname' },
    v4: { type: 'string', format: 'ipv4' },
    v6: { type: 'string', format: 'ipv6' },
    sku: { type: 'string', pattern: '^[A-Z]{3}-\\d{4}$' },
    version: { type: 'string', pattern: '^(?:ab|cd)+[x-z]?\\.v\\d{1,2}(-(rc|beta)\\2?)?$' },
    anywhere: { type: 'string', pattern: '[0-9a-f]{6}' },
    long: { type: 'string', minLength: 80, maxLength: 90 },
    short: { type: 'string', minLength: 1, maxLength: 3 },
    ratio: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 0.01 },
    price: { type: 'number', multipleOf: 0.05, minimum: 10, maximum: 20 },
    tenth: { type: 'number', multipleOf: 0.1, exclusiveMinimum: 3, exclusiveMaximum: 4 },
    count: { type: 'integer', multipleOf: 7, minimum: 100 },
    below: { type: 'integer', exclusiveMaximum: -5 },
    halves: { type: 'integer', multipleOf: 2.5, minimum: 1, maximum: 30 },
    tags: {
      type: 'array',
      items: { type: 'string', enum: ['red', 'green', 'blue', 'cyan'] },
      minItems: 2,
      maxItems: 4,
      uniqueItems: true,
    },
    level: { type: ['string', 'null'], enum: ['low', 'mid', 'high', null] },
    contact: { anyOf: [{ type: 'string', format: 'email' }, { type: 'null' }] },
    nested: {
      type: 'object',
      additionalProperties: false,
      properties: { when: { $ref: '#/$defs/stamp' }, points: { type: 'array', items: { $ref: '#/$defs/point' } } },
      required: ['when', 'points'],
    },
    tree: { $ref: '#/$defs/node' },
  },
  required: [] as string[],
  $defs: {
    stamp: { type: 'string', format: 'date-time' },
    point: {
      type: 'object',
      additionalProperties: false,
      properties: { x: { type: 'integer', minimum: -3, maximum: 3 }, label: { type: 'string', pattern: '^p_[a-z]+$' } },
      required: ['x', 'label'],
    },
    node: {
      type: 'object',
      additionalProperties: false,
      properties: { name: { type: 'string' }, children: { type: 'array', items: { $ref: '#/$defs/node' } } },
      required: ['name', 'children'],
    },
  },
};
SCHEMA.required = Object.keys(SCHEMA.properties);

const prompts = Array.from({ length: 40 }, (_, i) => `Describe order number ${i}: a big quick parcel, shipped often.`);

function validator() {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  (addFormatsModule as unknown as (a: Ajv2020) => Ajv2020)(ajv);
  return ajv.compile(SCHEMA);
}

let rig: Rig;
beforeAll(async () => {
  rig = await startRig();
});
afterAll(() => rig.close());

describe('strict json_schema replies validate', () => {
  const validate = validator();
  const problems = (value: unknown) => (validate(value) ? [] : validate.errors);

  it('chat completions, online', async () => {
    const seen = new Set<string>();
    for (const content of prompts) {
      const reply = await rig.client.chat.completions.create({
        model: 'gpt-4.1-mini',
        messages: [{ role: 'user', content }],
        response_format: { type: 'json_schema', json_schema: { name: 'order', strict: true, schema: SCHEMA } },
      });
      const value = JSON.parse(reply.choices[0]?.message.content ?? 'null') as Record<string, unknown>;
      expect(problems(value), JSON.stringify(value)).toEqual([]);
      seen.add(String(value.sku));
    }
    // Drawn from the prompt, not one fixed answer.
    expect(seen.size).toBeGreaterThan(20);
  });

  it('Responses, in a batch', async () => {
    const lines = prompts.slice(0, 10).map((input, i) => ({
      custom_id: `r${i}`,
      method: 'POST',
      url: '/v1/responses',
      body: {
        model: 'gpt-4.1-mini',
        input,
        text: { format: { type: 'json_schema', name: 'order', strict: true, schema: SCHEMA } },
      },
    }));
    const file = await upload(rig.client, jsonl(lines));
    const batch = await rig.client.batches.create({
      input_file_id: file.id,
      endpoint: '/v1/responses',
      completion_window: '24h',
    });
    const done = await after(rig, batch.id, 60_000);
    expect(done.status).toBe('completed');
    const out = await download(rig.client, done.output_file_id);
    expect(out).toHaveLength(10);
    for (const line of out) {
      const body = (line.response as { body: { output: { content: { text: string }[] }[] } }).body;
      const value: unknown = JSON.parse(body.output[0]?.content[0]?.text ?? 'null');
      expect(problems(value), JSON.stringify(value)).toEqual([]);
    }
  });
});
