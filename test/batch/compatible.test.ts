/**
 * OpenAI-compatible batch servers (Groq and others) send OpenAI's shapes with liberties: `errors`
 * as a bare array, optional fields left out or empty. The client reads them as OpenAI's.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBatchApi } from '../../src/providers/shared/openai-batches.ts';
import { providerSpec } from '../../src/providers/registry.ts';

const looseBatch = {
  id: 'batch_loose',
  object: 'batch',
  endpoint: '/v1/chat/completions',
  input_file_id: 'file_in',
  completion_window: '7d',
  status: 'failed',
  created_at: 1_767_225_600,
  output_file_id: '',
  errors: [{ code: 'invalid_request', message: 'line 2: bad model', line: 2 }],
};

let server: http.Server;
let baseURL: string;
beforeAll(async () => {
  server = http.createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.url?.startsWith('/v1/batches/batch_loose')) res.end(JSON.stringify(looseBatch));
    else if (req.url?.startsWith('/v1/batches')) res.end(JSON.stringify({ object: 'list', data: [looseBatch] }));
    else {
      res.statusCode = 404;
      res.end(JSON.stringify({ error: { message: 'not found' } }));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('an OpenAI-compatible server', () => {
  const api = () =>
    createBatchApi({ apiKey: 'k', baseURL, maxRetries: 0, env: {}, provider: providerSpec('openai-compatible') });

  it('reads a bare-array `errors`, an empty output file id and missing counts', async () => {
    const got = await api().retrieveBatch('batch_loose');
    expect(got.ok && got.value).toMatchObject({
      status: 'failed',
      outputFileId: null,
      errorFileId: null,
      errors: [{ code: 'invalid_request', message: 'line 2: bad model', line: 2 }],
      requestCounts: { total: 0, completed: 0, failed: 0 },
      metadata: {},
    });
  });

  it('reads a list without has_more as the last page', async () => {
    const page = await api().listBatches({ limit: 100 });
    expect(page.ok && page.value.next).toBeUndefined();
    expect(page.ok && page.value.data.map((b) => b.id)).toEqual(['batch_loose']);
  });
});
