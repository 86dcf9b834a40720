/**
 * Issue 32, tokens as each provider counts them: the structured-output schema and the tool
 * definitions are counted where providers bill them (and Anthropic's tool system prompt and
 * system blocks); for a model whose tokenizer is not public the estimate is corrected by the input
 * ratio its billed requests show, stated with its basis, and a budget counts it with a margin.
 */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { providerSpec } from '../../src/providers/registry.ts';
import { promptTokens } from '../../src/stages/work/request-file.ts';
import { batchStage } from '../../src/stages/batch/stage.ts';
import { ruleCosts } from '../../src/stages/rule-costs.ts';
import { readSpend } from '../../src/stages/spend-log.ts';
import { countTextTokens, loadTokenizers } from '../../src/tokens/count.ts';
import { describeInputBasis } from '../../src/tokens/input-ratio.ts';
import { createHarness, expectDone, type Harness } from '../batch/harness.ts';

beforeAll(() => loadTokenizers());

const OPENAI = providerSpec('openai').wire;
const ANTHROPIC = providerSpec('anthropic').wire;

let h: Harness | undefined;
let dir: string | undefined;
afterEach(async () => {
  await h?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
  h = undefined;
  dir = undefined;
});

const messages = [{ role: 'user', content: 'Classify <text>the answer follows from the definitions</text>' }];
const schema = {
  name: 'reply',
  strict: true,
  schema: {
    type: 'object',
    properties: { label: { type: 'string', enum: ['yes', 'no'] }, reason: { type: 'string' } },
    required: ['label', 'reason'],
    additionalProperties: false,
  },
};

describe('what a request is billed for besides its messages', () => {
  it('OpenAI: the response_format schema (chat) and text.format (Responses), and function tools', () => {
    const plain = promptTokens({ model: 'gpt-4.1', wire: OPENAI, body: { model: 'gpt-4.1', messages } });
    const structured = promptTokens({
      model: 'gpt-4.1',
      wire: OPENAI,
      body: { model: 'gpt-4.1', messages, response_format: { type: 'json_schema', json_schema: schema } },
    });
    expect(structured - plain).toBe(countTextTokens('gpt-4.1', JSON.stringify(schema)));
    const responses = promptTokens({
      model: 'gpt-4.1',
      wire: OPENAI,
      body: { model: 'gpt-4.1', input: messages, text: { format: { type: 'json_schema', ...schema } } },
    });
    expect(responses).toBeGreaterThan(plain + 30);
    const tools = [{ type: 'function', function: { name: 'reply', parameters: schema.schema } }];
    const withTools = promptTokens({ model: 'gpt-4.1', wire: OPENAI, body: { model: 'gpt-4.1', messages, tools } });
    expect(withTools - plain).toBe(countTextTokens('gpt-4.1', JSON.stringify(tools)));
  });

  it('Anthropic: tool definitions plus the tool-use system prompt, and a system prompt given as blocks', () => {
    const model = 'claude-sonnet-4-5';
    const plain = promptTokens({ model, wire: ANTHROPIC, body: { model, messages, max_tokens: 64 } });
    const tools = [{ name: 'reply', description: 'the reply', input_schema: schema.schema }];
    const withTools = promptTokens({ model, wire: ANTHROPIC, body: { model, messages, max_tokens: 64, tools } });
    expect(withTools - plain).toBe(countTextTokens(model, JSON.stringify(tools)) + 346);
    const system = 'You classify explanations of exam questions. '.repeat(10);
    const asString = promptTokens({ model, wire: ANTHROPIC, body: { model, system, messages, max_tokens: 64 } });
    const asBlocks = promptTokens({
      model,
      wire: ANTHROPIC,
      body: {
        model,
        system: [{ type: 'text', text: system, cache_control: { type: 'ephemeral' } }],
        messages,
        max_tokens: 64,
      },
    });
    expect(asBlocks).toBe(asString);
    expect(asString).toBeGreaterThan(plain + 50);
  });
});

describe('the input ratio learned from billed requests', () => {
  it('corrects estimates for a model whose tokenizer is not public, never for an OpenAI model', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'input-ratio-'));
    await mkdir(path.join(dir, '.pipeline'));
    const line = (key: string, model: string, counted: number, billed: number) =>
      JSON.stringify({
        key,
        at: '2026-12-01T00:00:00.000Z',
        target: 't',
        rule: 'batch',
        provider: 'anthropic',
        model,
        requests: 10,
        usage: { input: billed, output: 500, cached: 0, cacheWrite: 0 },
        costUsd: 0.01,
        estimatedInput: counted,
      });
    await writeFile(
      path.join(dir, '.pipeline/spend.jsonl'),
      [
        line('b1', 'claude-sonnet-4-5', 1000, 1200),
        line('b2', 'claude-sonnet-4-5', 1000, 1300),
        line('b3', 'gpt-4.1', 1000, 1300),
      ].join('\n'),
    );
    const costs = await ruleCosts(dir, 'batch', { outputTokenRatio: 0.5 }, 'batch');
    const claude = costs.input.basisOf('claude-sonnet-4-5');
    expect(claude).toMatchObject({ ratio: 1.25, answered: 20, exact: false });
    expect(describeInputBasis(claude)).toBe(
      "claude-sonnet-4-5: input counted with OpenAI's tokenizer × 1.25, learned from 20 billed requests (its tokenizer is not public)",
    );
    expect(costs.input.basisOf('gpt-4.1')).toMatchObject({ ratio: 1, exact: true });

    const body = { model: 'claude-sonnet-4-5', messages, max_tokens: 100 };
    const counted = promptTokens({ model: body.model, wire: ANTHROPIC, body });
    const c = costs.model.of({ model: body.model, wire: ANTHROPIC, body });
    expect(c.input).toBe(Math.round(counted * 1.25));
    // Worst case: the learned ratio with a 10% margin, every reply at max_tokens, at batch price ($1.50 / $7.50 per 1M).
    expect(c.usd!.worst).toBeCloseTo((Math.ceil(counted * 1.25 * 1.1) * 1.5 + 100 * 7.5) / 1e6, 12);
  });

  it('Anthropic batches on the emulator: each spend line carries our count, and the dry run states the basis', async () => {
    h = await createHarness({ provider: 'anthropic' });
    await h.writeRequests('a', h.lines('a', 6));
    await h.writeRequests('b', h.lines('b', 6));
    const before = await batchStage.estimate!(h.ctx('b'), h.config);
    expect(before.inputBasis?.[0]).toMatchObject({ model: 'claude-sonnet-4-5', answered: 0, exact: false });
    const { outcomes } = await h.untilSettled(['a'], { stepMs: 5_000 });
    expectDone(outcomes.get('a'));
    const spend = await readSpend(h.root);
    expect(spend).toHaveLength(1);
    expect(spend[0]!.estimatedInput).toBeGreaterThan(0);
    const after = await batchStage.estimate!(h.ctx('b'), h.config);
    const basis = after.inputBasis?.[0];
    expect(basis).toMatchObject({ model: 'claude-sonnet-4-5', answered: 6, exact: false });
    // The emulator counts Claude's input as our tokenizer does, less the system prompt's message framing.
    expect(basis!.ratio).toBeCloseTo(spend[0]!.usage.input / spend[0]!.estimatedInput!, 9);
    expect(basis!.ratio).toBeGreaterThan(0.8);
    expect(basis!.ratio).toBeLessThan(1);
  });
});
