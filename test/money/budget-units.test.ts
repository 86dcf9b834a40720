/**
 * The pieces of the budget promise, one by one: the bound each request shape sets, a request's
 * worst case (its bound, the cache-write rate where it writes the cache, an estimate where it has
 * no bound), what was spent (a line logged without a price priced now, or named), and the job's
 * budget (room for a key, reservations, the work a build follows, waking those waiting for room).
 */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { providerSpec } from '../../src/providers/registry.ts';
import { Budget, spentIn } from '../../src/stages/budget.ts';
import { costModel, UNBOUNDED_MARGIN } from '../../src/stages/cost-model.ts';
import { parseSpend } from '../../src/stages/spend-log.ts';
import { loadTokenizers } from '../../src/tokens/count.ts';
import { DEFAULT_PRICES } from '../../src/tokens/prices.ts';
import { promptTokens } from '../../src/tokens/request-tokens.ts';
import { rulePrices } from '../../src/tokens/rule-prices.ts';

beforeAll(() => loadTokenizers());

const OPENAI = providerSpec('openai').wire;
const ANTHROPIC = providerSpec('anthropic').wire;
const GEMINI = providerSpec('gemini').wire;

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

const spendLine = (key: string, model: string, costUsd?: number) => ({
  key,
  at: '2026-12-01T00:00:00.000Z',
  target: 't',
  rule: 'batch',
  provider: 'openai',
  model,
  requests: 1,
  usage: { input: 1_000_000, output: 0, cached: 0, cacheWrite: 0 },
  ...(costUsd !== undefined ? { costUsd } : {}),
});

describe('the bound a request sets on its output', () => {
  it("in each provider's line format, times the choices it asks for", () => {
    expect(OPENAI.maxOutputTokens({ max_tokens: 100 })).toBe(100);
    expect(OPENAI.maxOutputTokens({ max_completion_tokens: 300, max_tokens: 100 })).toBe(300);
    expect(OPENAI.maxOutputTokens({ max_output_tokens: 50 })).toBe(50);
    expect(OPENAI.maxOutputTokens({ max_tokens: 100, n: 3 })).toBe(300);
    expect(OPENAI.maxOutputTokens({ temperature: 0.7 })).toBeUndefined();
    expect(ANTHROPIC.maxOutputTokens({ max_tokens: 64 })).toBe(64);
    expect(GEMINI.maxOutputTokens({ generationConfig: { maxOutputTokens: 64, candidateCount: 2 } })).toBe(128);
    expect(GEMINI.maxOutputTokens({ generationConfig: { temperature: 0 } })).toBeUndefined();
  });
});

describe("a request's worst case", () => {
  const messages = [{ role: 'user', content: 'Paraphrase <text>the answer follows from the definitions</text>' }];

  it('is its input and its bound at the tier; with no bound, the ratio with a margin', () => {
    const model = costModel({ outputRatio: 0.5, prices: DEFAULT_PRICES, tier: 'batch' });
    const body = { model: 'gpt-4.1', messages, max_tokens: 1000 };
    const input = promptTokens({ model: 'gpt-4.1', wire: OPENAI, body });
    const c = model.of({ model: 'gpt-4.1', wire: OPENAI, body });
    expect(c.usd!.worst).toBeCloseTo((input * 1 + 1000 * 4) / 1e6, 12);
    expect(c.usd!.expected).toBeCloseTo((input * 1 + Math.round(input * 0.5) * 4) / 1e6, 12);
    const open = model.of({ model: 'gpt-4.1', wire: OPENAI, body: { model: 'gpt-4.1', messages } });
    expect(open.maxOutput).toBeUndefined();
    expect(open.usd!.worst).toBeCloseTo((input + Math.ceil(input * 0.5 * UNBOUNDED_MARGIN) * 4) / 1e6, 12);
  });

  it('prices its input at the cache-write rate where the request writes the prompt cache', () => {
    const model = costModel({ outputRatio: 0.5, prices: DEFAULT_PRICES, tier: 'batch' });
    const cached = {
      model: 'claude-haiku-4-5',
      system: [{ type: 'text', text: 'You rewrite explanations.', cache_control: { type: 'ephemeral' } }],
      messages,
      max_tokens: 10,
    };
    const plain = { ...cached, system: 'You rewrite explanations.' };
    const worstOf = (body: Record<string, unknown>) =>
      model.of({ model: 'claude-haiku-4-5', wire: ANTHROPIC, body }).usd!.worst;
    // Writes at 1.25 × $1 per 1M input tokens, output $5 (both halved at batch price).
    const input = promptTokens({ model: 'claude-haiku-4-5', wire: ANTHROPIC, body: cached });
    expect(worstOf(plain)).toBeCloseTo((input * 1 + 10 * 5) / 2e6, 12);
    expect(worstOf(cached)).toBeCloseTo((input * 1.25 + 10 * 5) / 2e6, 12);
  });

  it('has no dollars for a model with no price: unknown, not free; a deployment is priced as its model', () => {
    const body = { model: 'my-gpt41', messages, max_tokens: 10 };
    expect(
      costModel({ outputRatio: 0.5, prices: DEFAULT_PRICES, tier: 'batch' }).of({
        model: 'my-gpt41',
        wire: OPENAI,
        body,
      }).usd,
    ).toBeUndefined();
    const prices = rulePrices({ deployments: { 'my-gpt41': 'gpt-4.1' } });
    const deployed = costModel({ outputRatio: 0.5, prices, tier: 'batch' }).of({
      model: 'my-gpt41',
      wire: OPENAI,
      body,
    });
    const direct = costModel({ outputRatio: 0.5, prices, tier: 'batch' }).of({ model: 'gpt-4.1', wire: OPENAI, body });
    expect(deployed.usd).toEqual(direct.usd);
  });
});

describe('what was spent', () => {
  it('counts logged dollars, prices a line logged without a price if the rule knows the model now, names it otherwise', () => {
    const lines = parseSpend(
      [spendLine('a', 'gpt-4.1', 0.25), spendLine('b', 'my-model'), spendLine('c', 'other-model')]
        .map((l) => JSON.stringify(l))
        .join('\n'),
    );
    const prices = rulePrices({ pricing: { 'my-model': { input: 2, output: 2 } } });
    // 1M input tokens of my-model at half of $2 (batch).
    expect(spentIn(lines, prices)).toEqual({ usd: 1.25, unpriced: ['other-model'] });
  });
});

describe("the job's budget", () => {
  it('room for a key: the limit less what was spent and what every other key reserved', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'budget-'));
    await mkdir(path.join(dir, '.pipeline'));
    await writeFile(path.join(dir, '.pipeline/spend.jsonl'), `${JSON.stringify(spendLine('a', 'gpt-4.1', 2))}\n`);
    const budget = new Budget(10);
    budget.set('t1', 3);
    budget.set('t2', 1);
    budget.follow(['t1']);
    expect(budget.roomFor('t2', path.join(dir, '.pipeline'), DEFAULT_PRICES)).toMatchObject({
      limit: 10,
      others: 3,
      followed: 3,
      left: 5,
    });
    expect(budget.roomFor('t1', path.join(dir, '.pipeline'), DEFAULT_PRICES)).toMatchObject({
      others: 1,
      followed: 0,
      left: 7,
    });
    expect(new Budget(undefined).roomFor('t1', path.join(dir, '.pipeline'), DEFAULT_PRICES)).toBeUndefined();

    // A bill appended is seen at once (the log is read as it is now, not as it was).
    await writeFile(path.join(dir, '.pipeline/spend.jsonl'), `${JSON.stringify(spendLine('b', 'gpt-4.1', 3))}\n`, {
      flag: 'a',
    });
    expect(budget.roomFor('t2', path.join(dir, '.pipeline'), DEFAULT_PRICES)!.left).toBe(2);
  });

  it('wakes those waiting for room when a reservation shrinks, not when it grows', async () => {
    const budget = new Budget(10);
    let woken = 0;
    void budget.released().then(() => (woken += 1));
    budget.set('k', 4);
    await Promise.resolve();
    expect(woken).toBe(0);
    budget.add('k', -1);
    await Promise.resolve();
    expect(woken).toBe(1);
    expect(budget.reserved('k')).toBe(3);
    budget.set('k', 0);
    expect(budget.reserved('k')).toBe(0);
  });
});
