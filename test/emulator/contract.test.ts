/**
 * Contract: every object, list and file line the emulator returns validates against the schemas
 * of the OpenAI spec excerpt copied into ./fixtures (MIT, licence beside it), so the check runs in
 * every clone. Two deliberate loosenings, both because the spec under-describes the live API:
 * optional properties may be null (the live API sends explicit nulls, fact sheet §2.1), and the
 * files list's first_id/last_id, which the spec requires as strings, may be null on an empty page
 * (there is no id to give). The batches list's cursors are optional there, so they are not loosened:
 * an empty page must leave them out.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { after, chatLine, download, jsonl, startRig, submit, upload, type Rig } from './helpers.ts';

const specPath = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'openai-files-batches.json');

type Schema = Record<string, unknown> & { properties?: Record<string, Schema>; required?: string[] };

/** Optional properties may also be null; list cursors may only where the spec requires them (files). */
function nullable(schemaName: string, prop: string, required: boolean): boolean {
  if (prop === 'first_id' || prop === 'last_id') return schemaName === 'ListFilesResponse';
  return !required;
}

/** Applies `nullable` recursively (`name` is the schema's name, or the property's for nested objects). */
function loosen(schema: Schema, name: string): Schema {
  if (!schema.properties) return schema;
  const properties: Record<string, Schema> = {};
  for (const [prop, inner] of Object.entries(schema.properties)) {
    const loosened = loosen(inner, prop);
    properties[prop] = nullable(name, prop, (schema.required ?? []).includes(prop))
      ? { anyOf: [loosened, { type: 'null' }] }
      : loosened;
  }
  return { ...schema, properties };
}

function compile(): (name: string) => ValidateFunction {
  const spec = JSON.parse(readFileSync(specPath, 'utf8')) as {
    schemas: Record<string, Schema>;
    lineSchemas: Record<string, Schema>;
  };
  const ajv = new Ajv({ strict: false, allErrors: true });
  const addFormats = addFormatsModule as unknown as (a: Ajv) => Ajv;
  addFormats(ajv);
  ajv.addFormat('unixtime', { type: 'number', validate: (n: number) => Number.isInteger(n) && n > 1e9 });
  const schemas = Object.fromEntries(
    Object.entries({ ...spec.schemas, ...spec.lineSchemas }).map(([k, v]) => [k, loosen(v, k)]),
  );
  ajv.addSchema({ $id: 'spec', components: { schemas } });
  return (name) => ajv.getSchema(`spec#/components/schemas/${name}`) as ValidateFunction;
}

function check(validate: ValidateFunction, value: unknown): void {
  const ok = validate(value);
  expect(ok ? [] : validate.errors).toEqual([]);
}

describe('contract with the OpenAPI excerpt', () => {
  let rig: Rig;
  let schema: (name: string) => ValidateFunction;
  beforeAll(async () => {
    schema = compile();
    rig = await startRig({ faults: { requestErrors: { customIds5xx: ['req-3'] } } });
  });
  afterAll(() => rig.close());

  it('the schemas do reject wrong shapes (the check is not vacuous)', () => {
    expect(schema('Batch')({ id: 'batch_1', object: 'batch', status: 'done' })).toBe(false);
    expect(schema('ErrorResponse')({ error: { message: 'x' } })).toBe(false);
  });

  it('files: object, list (empty and full), delete response', async () => {
    check(schema('ListFilesResponse'), await (await rig.client.files.list().asResponse()).json());
    const f = await upload(rig.client, jsonl([chatLine(1)]));
    check(schema('OpenAIFile'), f);
    check(schema('OpenAIFile'), await upload(rig.client, 'x', 'x.txt', 'user_data'));
    check(schema('ListFilesResponse'), await (await rig.client.files.list().asResponse()).json());
    check(schema('DeleteFileResponse'), await rig.client.files.delete(f.id));
  });

  it('batches in every state, lists (empty and full), and output/error lines', async () => {
    check(schema('ListBatchesResponse'), await (await rig.client.batches.list().asResponse()).json());
    const b = await submit(rig.client, 10);
    const cancelled = await submit(rig.client, 10);
    check(schema('Batch'), b);
    check(schema('Batch'), await after(rig, b.id, 1100));
    check(schema('Batch'), await rig.client.batches.cancel(cancelled.id));
    const bad = await upload(rig.client, jsonl(['{oops']));
    const failed = await rig.client.batches.create({
      input_file_id: bad.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
    });
    const done = await after(rig, b.id, 5000);
    expect(done.status).toBe('completed');
    for (const x of [
      done,
      await rig.client.batches.retrieve(cancelled.id),
      await rig.client.batches.retrieve(failed.id),
    ])
      check(schema('Batch'), x);
    check(schema('ListBatchesResponse'), await (await rig.client.batches.list().asResponse()).json());
    const lines = [
      ...(await download(rig.client, done.output_file_id)),
      ...(await download(rig.client, done.error_file_id)),
    ];
    const c = await rig.client.batches.retrieve(cancelled.id);
    const cancelLines = [
      ...(await download(rig.client, c.output_file_id)),
      ...(await download(rig.client, c.error_file_id)),
    ];
    expect(lines.length + cancelLines.length).toBe(20);
    for (const line of [...lines, ...cancelLines]) check(schema('BatchRequestOutput'), line);
    check(schema('OpenAIFile'), await rig.client.files.retrieve(done.output_file_id as string));
  });

  it('errors use the ErrorResponse envelope', async () => {
    const bodies = [
      await fetch(`${rig.emulator.url}/batches/nope`, { headers: { authorization: 'Bearer t' } }),
      await fetch(`${rig.emulator.url}/files/nope`, { headers: { authorization: 'Bearer t' } }),
      await fetch(`${rig.emulator.url}/batches`, {
        method: 'POST',
        headers: { authorization: 'Bearer t' },
        body: '{"completion_window":"1h"}',
      }),
      await fetch(`${rig.emulator.url}/unknown`),
    ];
    for (const res of bodies) {
      expect(res.status).toBeGreaterThanOrEqual(400);
      check(schema('ErrorResponse'), await res.json());
    }
  });
});
