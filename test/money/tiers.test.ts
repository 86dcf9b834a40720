/**
 * Every price tier against bills computed by hand: batch vs standard, cached input (OpenAI's
 * `cached_tokens`, Anthropic's cache reads and writes), the long-context tier, per-model
 * overrides; what is still to go; and that every model the examples use has a price.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { PipelineOptions } from '../../src/config/options.ts';
import { answer, inputTokensOf } from '../../src/emulator/anthropic/message.ts';
import { PROVIDER_NAMES } from '../../src/providers/registry.ts';
import { readResultLine } from '../../src/stages/result-line.ts';
import { loadTokenizers } from '../../src/tokens/count.ts';
import { billOf, billRequest } from '../../src/tokens/bill.ts';
import { DEFAULT_PRICES, PRICE_TABLE, priceFor, withOverrides } from '../../src/tokens/prices.ts';
import { baseModelName } from '../../src/tokens/price-table.ts';
import { stalePrices } from '../../src/tokens/rule-prices.ts';
import { toGo } from '../../src/tokens/to-go.ts';
import { REPO, runCliAuto } from '../helpers/rig.ts';

const price = (model: string) => DEFAULT_PRICES[model]!;
const usageOf = (line: unknown) => {
  const r = readResultLine(line);
  if (r?.kind !== 'succeeded') throw new Error('not a success');
  return r.usage;
};

describe('tiers, by hand', () => {
  it('OpenAI cached input: gpt-4.1, 10,000 prompt tokens of which 4,000 cached, 2,000 output', () => {
    const usage = usageOf({
      custom_id: 'a',
      response: {
        status_code: 200,
        body: {
          choices: [{ message: { content: 'x' } }],
          usage: {
            prompt_tokens: 10_000,
            completion_tokens: 2_000,
            total_tokens: 12_000,
            prompt_tokens_details: { cached_tokens: 4_000 },
          },
        },
      },
    });
    expect(usage).toMatchObject({ input: 10_000, cached: 4_000, cacheWrite: 0, output: 2_000 });
    // standard: 6,000 × $2 + 4,000 × $0.50 + 2,000 × $8 per 1M = $0.012 + $0.002 + $0.016
    expect(billRequest(price('gpt-4.1'), usage, 'standard')).toBeCloseTo(0.03, 12);
    expect(billRequest(price('gpt-4.1'), usage, 'batch')).toBeCloseTo(0.015, 12);
  });

  it('the Responses API names them input_tokens_details.cached_tokens', () => {
    const usage = usageOf({
      custom_id: 'a',
      response: {
        status_code: 200,
        body: {
          output_text: 'x',
          usage: { input_tokens: 2_000, input_tokens_details: { cached_tokens: 1_024 }, output_tokens: 10 },
        },
      },
    });
    // gpt-5-mini standard: 976 × $0.25 + 1,024 × $0.025 + 10 × $2 per 1M
    expect(billRequest(price('gpt-5-mini'), usage, 'standard')).toBeCloseTo(
      (976 * 0.25 + 1024 * 0.025 + 10 * 2) / 1e6,
      12,
    );
  });

  it('Anthropic cache reads and writes: claude-sonnet-4-5, 2,000 uncached + 3,000 read + 1,000 written, 500 output', () => {
    const usage = usageOf({
      custom_id: 'a',
      result: {
        type: 'succeeded',
        message: {
          content: [{ type: 'text', text: 'x' }],
          usage: {
            input_tokens: 2_000,
            cache_read_input_tokens: 3_000,
            cache_creation_input_tokens: 1_000,
            output_tokens: 500,
          },
        },
      },
    });
    expect(usage).toMatchObject({ input: 6_000, cached: 3_000, cacheWrite: 1_000, output: 500 });
    // standard: 2,000 × $3 + 3,000 × $0.30 + 1,000 × $3.75 + 500 × $15 per 1M = $0.01815
    expect(billRequest(price('claude-sonnet-4-5'), usage, 'standard')).toBeCloseTo(0.01815, 12);
    expect(billRequest(price('claude-sonnet-4-5'), usage, 'batch')).toBeCloseTo(0.009075, 12);
  });

  it('the long-context tier applies above the threshold only', () => {
    const sonnet = price('claude-sonnet-4-5');
    // 250,000 input × $6 + 1,000 output × $22.50 per 1M
    expect(billRequest(sonnet, { input: 250_000, output: 1_000 }, 'standard')).toBeCloseTo(1.5225, 12);
    expect(billRequest(sonnet, { input: 250_000, output: 1_000 }, 'batch')).toBeCloseTo(0.76125, 12);
    // exactly 200,000: the ordinary rates, 200,000 × $3 + 1,000 × $15
    expect(billRequest(sonnet, { input: 200_000, output: 1_000 }, 'standard')).toBeCloseTo(0.615, 12);
    // cached reads above the threshold: 10% of the long-context input rate ($0.60)
    expect(billRequest(sonnet, { input: 300_000, cached: 100_000, output: 0 }, 'standard')).toBeCloseTo(
      (200_000 * 6 + 100_000 * 0.6) / 1e6,
      12,
    );
  });

  it("OpenAI's long-context tier (gpt-5.5): above 272K input tokens, 2× input and cached input, 1.5× output", () => {
    const gpt55 = price('gpt-5.5');
    // 300,000 input of which 100,000 cached, 2,000 output: 200,000 × $10 + 100,000 × $1 + 2,000 × $45 per 1M
    const long = (200_000 * 10 + 100_000 * 1 + 2_000 * 45) / 1e6;
    expect(billRequest(gpt55, { input: 300_000, cached: 100_000, output: 2_000 }, 'standard')).toBeCloseTo(long, 12);
    expect(billRequest(gpt55, { input: 300_000, cached: 100_000, output: 2_000 }, 'batch')).toBeCloseTo(long / 2, 12);
    // exactly 272,000: the ordinary rates, 272,000 × $5 + 2,000 × $30
    expect(billRequest(gpt55, { input: 272_000, output: 2_000 }, 'standard')).toBeCloseTo(1.42, 12);
  });

  it("a rule's pricing overrides and extends the table; a model with no cached rate bills cached input at the input rate", () => {
    const table = withOverrides({
      'gpt-4.1': { input: 1, output: 1 },
      'my-model': { input: 1, output: 2, cachedInput: 0.1 },
    });
    expect(billOf('gpt-4.1-2025-04-14', { input: 1e6, cached: 5e5, output: 0 }, table, 'standard')?.usd).toBeCloseTo(
      1,
      12,
    );
    expect(billOf('my-model', { input: 1e6, cached: 5e5, output: 1e6 }, table, 'batch')).toEqual({
      usd: (5e5 * 1 + 5e5 * 0.1 + 1e6 * 2) / 1e6 / 2,
      standardUsd: (5e5 * 1 + 5e5 * 0.1 + 1e6 * 2) / 1e6,
    });
    expect(billOf('unknown-model', { input: 1, output: 1 }, table, 'batch')).toBeUndefined();
  });

  it('to go: 100 requests left, 50,000 input, max_tokens 1,024 each, 0.8 output per input (gpt-4.1 batch)', () => {
    const left = [{ model: 'gpt-4.1', requests: 100, inputTokens: 50_000, maxOutputTokens: 102_400 }];
    const t = toGo(left, () => 0.8, DEFAULT_PRICES, 'batch');
    // expected: 50,000 × $1 + 40,000 × $4 per 1M; at most: 50,000 × $1 + 102,400 × $4
    expect(t.expectedUsd).toBeCloseTo(0.21, 12);
    expect(t.maxUsd).toBeCloseTo(0.4596, 12);
    // a reply cannot be expected past its max_tokens: ratio 5 → 2,500 per request, capped at 1,024
    expect(toGo(left, () => 5, DEFAULT_PRICES, 'batch').expectedUsd).toBeCloseTo(0.4596, 12);
    expect(toGo([{ ...left[0]!, uncapped: 1 }], () => 0.8, DEFAULT_PRICES, 'batch').maxUsd).toBe(Infinity);
  });
});

describe('the price table', () => {
  it('names the provider, its source page and the date the rates were read, for every model', () => {
    for (const [model, entry] of Object.entries(PRICE_TABLE)) {
      expect(PROVIDER_NAMES, model).toContain(entry.provider);
      expect(entry.page, model).toMatch(/^https:\/\//);
      expect(entry.readAt, model).toMatch(/^\d{4}-\d{2}(-\d{2})?$/);
      expect(Number.isFinite(Date.parse(entry.readAt)), model).toBe(true);
    }
  });

  it('has a price for every model that pipeline.config.ts and examples/*.config.ts use', async () => {
    const configs = [
      path.join(REPO, 'pipeline.config.ts'),
      ...(await readdir(path.join(REPO, 'examples')))
        .filter((f) => f.endsWith('.config.ts'))
        .map((f) => path.join(REPO, 'examples', f)),
    ];
    const models = new Set<string>();
    for (const file of configs) {
      const config = ((await import(pathToFileURL(file).href)) as { default: PipelineOptions }).default;
      for (const rule of config.rules)
        if (rule.stage.kind === 'requests' && rule.stage.model) models.add(rule.stage.model);
    }
    expect(models.size).toBeGreaterThanOrEqual(2);
    for (const model of models) expect(priceFor(model), model).toBeDefined();
  });
});

describe("the emulator's prompt cache", () => {
  it('Anthropic: a system prompt marked cache_control is read (or written) from the cache, billed at those rates', async () => {
    await loadTokenizers();
    const kinds = new Set<string>();
    for (let i = 0; i < 8; i++) {
      const params = {
        model: 'claude-sonnet-4-5',
        max_tokens: 256,
        system: [{ type: 'text', text: 'You rewrite explanations. '.repeat(20), cache_control: { type: 'ephemeral' } }],
        messages: [{ role: 'user', content: `Paraphrase <text>answer ${i} follows from the definitions</text>` }],
      };
      const { message } = answer(params, 'msgbatch_x', i);
      const usage = usageOf({ custom_id: `r${i}`, result: { type: 'succeeded', message } });
      expect(usage.input).toBe(inputTokensOf(params));
      expect(usage.cached + usage.cacheWrite).toBeGreaterThan(50);
      kinds.add(usage.cached > 0 ? 'read' : 'written');
      const plain = usage.input - usage.cached - usage.cacheWrite;
      const byHand = (plain * 3 + usage.cached * 0.3 + usage.cacheWrite * 3.75 + usage.output * 15) / 1e6 / 2;
      expect(billRequest(price('claude-sonnet-4-5'), usage, 'batch')).toBeCloseTo(byHand, 12);
    }
    expect([...kinds].sort()).toEqual(['read', 'written']);
    // Unmarked: never cached.
    const plain = answer(
      { model: 'claude-sonnet-4-5', max_tokens: 256, system: 'x', messages: [{ role: 'user', content: 'hi' }] },
      'msgbatch_x',
      0,
    );
    expect(plain.message.usage).toMatchObject({ cache_read_input_tokens: 0, cache_creation_input_tokens: 0 });
  });
});

describe('pipeline prices', () => {
  it('prints every model with its provider, source and date, batch and standard rates and every tier; --json, --provider', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'prices-'));
    try {
      const human = await runCliAuto(['prices'], { cwd: dir });
      expect(human.code, human.stderr).toBe(0);
      for (const [model, entry] of Object.entries(PRICE_TABLE)) {
        expect(human.stdout).toContain(`  ${model} `);
        expect(human.stdout).toContain(entry.readAt);
        expect(human.stdout).toContain(entry.page);
      }
      expect(human.stdout).toMatch(/above 200,000 input/);

      const json = await runCliAuto(['prices', '--json', '--provider', 'anthropic'], { cwd: dir });
      const rows = JSON.parse(json.stdout) as {
        model: string;
        provider: string;
        readAt: string;
        standard: { input: number; cacheWrite: number };
        batch: { input: number; output: number };
        longContext?: { aboveInputTokens: number };
      }[];
      expect(rows.every((r) => r.provider === 'anthropic')).toBe(true);
      const sonnet = rows.find((r) => r.model === 'claude-sonnet-4-5')!;
      expect(sonnet).toMatchObject({ standard: { input: 3, cacheWrite: 3.75 }, batch: { input: 1.5, output: 7.5 } });
      expect(sonnet.longContext?.aboveInputTokens).toBe(200_000);

      const unknown = await runCliAuto(['prices', '--provider', 'nobody'], { cwd: dir });
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toMatch(/no prices for provider 'nobody'/);
      expect((await runCliAuto(['prices', '--help'], { cwd: dir })).stdout).toMatch(/Usage: pipeline prices/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('entries read long ago', () => {
  it('are named for the models a rule prices from them, not for its own pricing; deployments by their model', () => {
    const day = 86_400_000;
    const models = ['gpt-4.1-2025-04-14', 'claude-sonnet-4-5', 'my-gpt', 'unknown-model'];
    const rule = { pricing: { 'claude-sonnet-4-5': { input: 3, output: 15 } }, deployments: { 'my-gpt': 'gpt-4o' } };
    expect(stalePrices(models, rule, Date.parse('2025-08-07') + 180 * day)).toEqual([]);
    const later = stalePrices(models, rule, Date.parse('2025-08-07') + 181 * day);
    expect(later.map((s) => [s.model, s.ageDays])).toEqual([
      ['gpt-4.1', 181],
      ['gpt-4o', 181],
    ]);
    expect(later[0]).toMatchObject({ readAt: '2025-08-07', page: 'https://openai.com/api/pricing/' });
  });
});

describe('the name a model is priced under', () => {
  it.each([
    ['gpt-4.1-2025-04-14', 'gpt-4.1'],
    ['claude-sonnet-4-5-20250929', 'claude-sonnet-4-5'],
    ['us.anthropic.claude-sonnet-4-5-20250929-v1:0', 'anthropic.claude-sonnet-4-5'],
    ['anthropic.claude-3-5-haiku-20241022-v1:0', 'anthropic.claude-3-5-haiku'],
    ['arn:aws:bedrock:us-east-1:123456789012:inference-profile/eu.amazon.nova-lite-v1:0', 'amazon.nova-lite'],
    ['mistral-large-latest', 'mistral-large'],
    ['mistral-small-2503', 'mistral-small'],
    ['gemini-2.5-flash', 'gemini-2.5-flash'],
  ])('%s → %s', (model, base) => {
    expect(baseModelName(model)).toBe(base);
    expect(priceFor(model), model).toBeDefined();
  });
});
