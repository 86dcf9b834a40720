import { PassThrough } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { runEmulatorCommand } from '../../src/emulator/cli.ts';
import { standInParaphrase } from '../../src/emulator/index.ts';
import { replyFor, runModel, snapshotOf } from '../../src/emulator/model.ts';
import { loadTokenizers } from '../../src/tokens/count.ts';

beforeAll(() => loadTokenizers());

describe('stand-in model', () => {
  it('paraphrases deterministically through the synonym table, keeping case and punctuation', () => {
    expect(standInParaphrase('The big car is FAST, but Maybe old.')).toBe(
      'The large automobile is QUICK, however Perhaps aged.',
    );
    expect(standInParaphrase(standInParaphrase('a big quick answer'))).toBe('a big quick answer');
    expect(replyFor('Rewrite this:\n<text>  A good question. </text>\nThanks')).toBe('A fine query.');
    expect(replyFor('no tags: good')).toBe('no tags: fine');
  });

  it('shapes chat completions with usage and honours max_tokens', () => {
    const body = {
      model: 'gpt-4.1',
      messages: [
        { role: 'system', content: 'x' },
        { role: 'user', content: '<text>one two three four five six</text>' },
      ],
      max_tokens: 3,
    };
    const r = runModel('/v1/chat/completions', body, 1, 'k', 20);
    expect(r?.body).toMatchObject({
      object: 'chat.completion',
      model: 'gpt-4.1-2025-04-14',
      choices: [{ finish_reason: 'length', message: { role: 'assistant', content: 'one two three' } }],
      usage: { prompt_tokens: 20, completion_tokens: 3, total_tokens: 23 },
    });
    expect(runModel('/v1/chat/completions', { ...body, max_tokens: undefined }, 1, 'k', 20)?.body).toMatchObject({
      choices: [{ finish_reason: 'stop' }],
    });
    expect(snapshotOf('custom-model')).toBe('custom-model');
  });

  it('shapes responses and embeddings', () => {
    const resp = runModel('/v1/responses', { model: 'gpt-5', input: 'a good answer' }, 1, 'k', 5);
    expect(resp?.body).toMatchObject({
      object: 'response',
      status: 'completed',
      output: [{ type: 'message', content: [{ type: 'output_text', text: 'a fine reply' }] }],
      usage: { input_tokens: 5 },
    });
    const emb = runModel(
      '/v1/embeddings',
      { model: 'text-embedding-3-small', input: ['a', 'b'], dimensions: 8 },
      1,
      'k',
      2,
    );
    const data = (emb?.body as { data: { embedding: number[] }[] }).data;
    expect(data).toHaveLength(2);
    expect(data[0]?.embedding).toHaveLength(8);
    const again = runModel('/v1/embeddings', { model: 'm', input: 'a', dimensions: 8 }, 1, 'z', 1)?.body as {
      data: { embedding: number[] }[];
    };
    expect(again.data[0]?.embedding).toEqual(data[0]?.embedding);
    expect(Math.hypot(...(data[0]?.embedding ?? []))).toBeCloseTo(1, 4);
    expect(runModel('/v1/images/generations', { model: 'x' }, 1, 'k', 0)).toBeNull();
  });
});

describe('emulator CLI flags', () => {
  const run = async (argv: string[]) => {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = '';
    let err = '';
    stdout.on('data', (c: Buffer) => (out += c.toString()));
    stderr.on('data', (c: Buffer) => (err += c.toString()));
    const code = await runEmulatorCommand(argv, { stdout, stderr });
    return { code, out, err };
  };

  it('prints usage for --help and exits 2 on bad flags', async () => {
    const help = await run(['-h']);
    expect(help.code).toBe(0);
    expect(help.out).toContain('Usage: pipeline emulator');
    expect(help.out).toContain('--request-error-rate5xx');
    expect(await run(['--bogus'])).toMatchObject({
      code: 2,
      err: expect.stringContaining("Unknown option '--bogus'") as string,
    });
    expect(await run(['--drop-rate', '2'])).toMatchObject({
      code: 2,
      err: expect.stringContaining('--drop-rate must be a rate between 0 and 1') as string,
    });
    expect((await run(['--fail-status', '404'])).code).toBe(2);
    expect((await run(['--speed', 'fast'])).code).toBe(2);
    expect(help.out).toContain('--api-key');
    expect(help.out).toContain('--clock-skew-ms');
    expect(help.out).toContain('--list-lag-ms');
    expect(help.out).toContain('--cut-download-rate');
    expect((await run(['--cut-download-rate', '1.5'])).code).toBe(2);
    expect(help.out).toContain('--extra-model');
    expect(await run(['--api-key', ' '])).toMatchObject({
      code: 2,
      err: expect.stringContaining('--api-key must not be empty') as string,
    });
    expect((await run(['--clock-skew-ms', '1.5'])).code).toBe(2);
    expect((await run(['--list-lag-ms=-1'])).code).toBe(2);
  });
});
