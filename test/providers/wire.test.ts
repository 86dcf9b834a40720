/**
 * Every provider's line formats (providers/*): a request line written from a prompt reads back to
 * the same body and model; result lines of each format read into the one outcome and never as
 * another format's; re-ask bodies and ids; the request cache's hash stays what it was for the
 * OpenAI and Anthropic lines written before the seam (a changed hash would re-send paid work).
 */
import { describe, expect, it } from 'vitest';
import { anthropic } from '../../src/providers/anthropic.ts';
import { gemini } from '../../src/providers/gemini.ts';
import { mistral } from '../../src/providers/mistral.ts';
import { openai } from '../../src/providers/openai.ts';
import { lineId, readAnyResult, withLineId, wireOfRequest } from '../../src/providers/registry.ts';
import type { LineSettings } from '../../src/providers/spec.ts';
import { requestHash } from '../../src/providers/shared/line-tools.ts';

const schema = {
  type: 'object',
  properties: { label: { type: 'string' } },
  required: ['label'],
  additionalProperties: false,
};
const settings = (endpoint: string, params: Record<string, unknown> = {}): LineSettings => ({
  model: 'm-1',
  endpoint,
  params,
  reply: { name: 'reply', schema },
});

describe('request lines', () => {
  const cases = [
    { spec: openai, endpoint: '/v1/chat/completions', params: { max_tokens: 50 } },
    { spec: anthropic, endpoint: '/v1/messages', params: { max_tokens: 50 } },
    { spec: mistral, endpoint: '/v1/chat/completions', params: { max_tokens: 50 } },
    { spec: gemini, endpoint: 'generateContent', params: { generationConfig: { maxOutputTokens: 50 } } },
  ];
  for (const { spec, endpoint, params } of cases)
    it(`${spec.name}: written, read back, counted, bounded and repaired in its own format`, () => {
      const line = spec.wire.writeRequest(settings(endpoint, params), 'row-1', 'Be brief.', 'Label this.');
      expect(line[spec.wire.idField]).toBe('row-1');
      expect(lineId(line)).toBe('row-1');
      const read = spec.wire.readRequest(line)!;
      expect(read.model).toBe('m-1');
      expect(read.endpoint).toBe(endpoint);
      expect(spec.wire.maxOutputTokens(read.body)).toBe(50);
      const prompt = spec.wire.prompt(read.body);
      expect(prompt.map((m) => m.role)).toEqual(['system', 'user']);
      expect(JSON.stringify(prompt)).toContain('Label this.');
      const repaired = spec.wire.appendToPrompt(read.body, '\n\nFix it.');
      expect(JSON.stringify(spec.wire.prompt(repaired))).toContain('Fix it.');
      const again = spec.wire.withBody(withLineId(line, 'row-1__r1'), repaired);
      expect(lineId(again)).toBe('row-1__r1');
      expect(spec.wire.hash(again)).not.toBe(spec.wire.hash(line));
      expect(wireOfRequest(line)?.name).toBe(spec.wire.name);
    });

  it('keeps the cache keys of lines written before the seam (OpenAI: method, url, body; Anthropic: its params)', () => {
    const body = { model: 'gpt-4.1', messages: [{ role: 'user', content: 'x' }] };
    const o = { custom_id: 'a', method: 'POST', url: '/v1/chat/completions', body };
    expect(openai.wire.hash(o)).toBe(requestHash('POST', '/v1/chat/completions', body));
    expect(anthropic.wire.hash({ custom_id: 'a', params: body })).toBe(requestHash('POST', '/v1/messages', body));
  });

  it('reads a Mistral line under either spec with the same hash, but an OpenAI rule wants its url', () => {
    const line = mistral.wire.writeRequest(settings('/v1/chat/completions'), 'r', undefined, 'hi');
    expect(line).not.toHaveProperty('url');
    expect(openai.wire.readRequest(line)).toBeUndefined();
    expect(openai.wire.requestProblem(line)).toMatch(/missing "url"/);
    expect(mistral.wire.hash(line)).toBe(openai.wire.hash(line));
  });

  it('Gemini: the reply schema goes in generationConfig with the JSON MIME type, beside the rule params', () => {
    const line = gemini.wire.writeRequest(
      settings('generateContent', { generationConfig: { temperature: 0.2 } }),
      'k',
      undefined,
      'u',
    );
    expect(line.request).toMatchObject({
      model: 'models/m-1',
      generationConfig: { temperature: 0.2, responseMimeType: 'application/json', responseJsonSchema: schema },
    });
  });
});

describe('result lines', () => {
  it('each format reads only its own lines, into the one outcome', () => {
    const openaiOk = {
      custom_id: 'a',
      response: {
        status_code: 200,
        body: {
          choices: [{ message: { content: 'hi' }, finish_reason: 'stop' }],
          usage: { prompt_tokens: 5, completion_tokens: 2 },
        },
      },
      error: null,
    };
    const anthropicOk = {
      custom_id: 'b',
      result: {
        type: 'succeeded',
        message: {
          content: [{ type: 'text', text: 'yo' }],
          stop_reason: 'max_tokens',
          usage: { input_tokens: 3, output_tokens: 4, cache_read_input_tokens: 2 },
        },
      },
    };
    const geminiOk = {
      key: 'c',
      response: {
        candidates: [{ content: { parts: [{ text: 'he' }, { text: 'y' }] }, finishReason: 'STOP' }],
        usageMetadata: {
          promptTokenCount: '10',
          candidatesTokenCount: 3,
          thoughtsTokenCount: 4,
          cachedContentTokenCount: 6,
          totalTokenCount: 17,
        },
      },
    };
    const geminiErr = { key: 'd', error: { code: 429, message: 'quota', status: 'RESOURCE_EXHAUSTED' } };
    const geminiBad = { key: 'e', error: { code: 400, message: 'bad', status: 'INVALID_ARGUMENT' } };
    expect(readAnyResult(openaiOk)).toMatchObject({
      kind: 'succeeded',
      customId: 'a',
      text: 'hi',
      usage: { input: 5, output: 2 },
    });
    expect(readAnyResult(anthropicOk)).toMatchObject({
      kind: 'succeeded',
      customId: 'b',
      text: 'yo',
      truncated: true,
      usage: { input: 5, cached: 2 },
    });
    expect(readAnyResult(geminiOk)).toMatchObject({
      kind: 'succeeded',
      customId: 'c',
      text: 'hey',
      truncated: false,
      // Thinking is billed as output; the prompt count includes the cached part.
      usage: { input: 10, output: 7, cached: 6, total: 17 },
    });
    expect(readAnyResult(geminiErr)).toMatchObject({ kind: 'errored', retryable: true, status: 429 });
    expect(readAnyResult(geminiBad)).toMatchObject({ kind: 'errored', retryable: false });
    // A google.rpc.Status carries the canonical code, not an HTTP status, and often no name:
    // 14 UNAVAILABLE is Google's trouble (retried), 3 INVALID_ARGUMENT the request's (reported).
    expect(readAnyResult({ key: 'f', error: { code: 14, message: 'try later' } })).toMatchObject({
      kind: 'errored',
      retryable: true,
      code: 'UNAVAILABLE',
    });
    const invalid = readAnyResult({ key: 'g', error: { code: 3, message: 'Request contains an invalid argument.' } });
    expect(invalid).toMatchObject({ kind: 'errored', retryable: false, code: 'INVALID_ARGUMENT' });
    expect(invalid).not.toHaveProperty('status');
    // Mistral's error lines carry its own error bodies: their words, not a bare "HTTP 400".
    const mistralBad = {
      id: 'm',
      custom_id: 'h',
      response: {
        status_code: 400,
        body: { object: 'error', message: 'Invalid model: x', type: 'invalid_model', param: null, code: '1500' },
      },
      error: null,
    };
    expect(readAnyResult(mistralBad)).toMatchObject({
      kind: 'errored',
      retryable: false,
      status: 400,
      code: 'invalid_model',
      message: 'Invalid model: x',
    });
    const unprocessable = {
      custom_id: 'i',
      response: {
        status_code: 422,
        body: { detail: [{ type: 'extra_forbidden', loc: ['body', 'foo'], msg: 'Extra inputs are not permitted' }] },
      },
      error: null,
    };
    expect(readAnyResult(unprocessable)).toMatchObject({ message: 'Extra inputs are not permitted (body.foo)' });
    // An Anthropic line is not an OpenAI "missing" answer, nor the reverse.
    expect(readAnyResult({ custom_id: 'x', result: { type: 'expired' } })).toMatchObject({ kind: 'expired' });
    expect(readAnyResult({ custom_id: 'x', response: null, error: null })).toMatchObject({ kind: 'missing' });
    expect(readAnyResult({ custom_id: 'x' })).toBeUndefined();
  });

  it('Gemini: a row is a google.rpc.Status: its numeric code is named, the transient ones retried, no HTTP status made up', () => {
    const row = (code: number) => readAnyResult({ key: 'r', error: { code, message: 'm' } });
    for (const [code, name] of [
      [8, 'RESOURCE_EXHAUSTED'],
      [14, 'UNAVAILABLE'],
      [4, 'DEADLINE_EXCEEDED'],
      [13, 'INTERNAL'],
      [10, 'ABORTED'],
    ] as const) {
      expect(row(code), name).toMatchObject({ kind: 'errored', code: name, retryable: true });
      expect(row(code)).not.toHaveProperty('status');
    }
    for (const [code, name] of [
      [3, 'INVALID_ARGUMENT'],
      [7, 'PERMISSION_DENIED'],
      [5, 'NOT_FOUND'],
    ] as const)
      expect(row(code), name).toMatchObject({ kind: 'errored', code: name, retryable: false });
    // Google's HTTP envelope (code: the HTTP status, status: the name) reads as it did.
    expect(readAnyResult({ key: 'r', error: { code: 503, message: 'm', status: 'UNAVAILABLE' } })).toMatchObject({
      code: 'UNAVAILABLE',
      status: 503,
      retryable: true,
    });
  });

  it('Gemini: a blocked prompt or a safety stop is a refusal, MAX_TOKENS a cut reply', () => {
    expect(readAnyResult({ key: 'a', response: { promptFeedback: { blockReason: 'SAFETY' } } })).toMatchObject({
      refusal: 'prompt blocked: SAFETY',
    });
    expect(readAnyResult({ key: 'a', response: { candidates: [{ finishReason: 'SAFETY' }] } })).toMatchObject({
      refusal: 'refused: SAFETY',
    });
    expect(
      readAnyResult({
        key: 'a',
        response: { candidates: [{ content: { parts: [{ text: '{"a' }] }, finishReason: 'MAX_TOKENS' }] },
      }),
    ).toMatchObject({
      truncated: true,
    });
  });
});
