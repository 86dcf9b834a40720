/** Choosing the provider per rule, as a user does from the CLI: pricing, credentials, config errors, an offline run. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { records, Rig } from '../helpers/rig.ts';

function providerConfig(opts: { provider: string; params?: string; customId?: string; model?: string }): string {
  return `export default {
  root: 'data',
  rules: [
    { name: 'requests', inputs: ['original/{subject}.jsonl'], output: 'requests/{subject}.jsonl',
      stage: { kind: 'requests', provider: '${opts.provider}', model: '${opts.model ?? 'claude-sonnet-4-5'}', system: 'Be brief.',
               prompt: 'Paraphrase: {analysis}', params: ${opts.params ?? '{ max_tokens: 256 }'},
               customId: '${opts.customId ?? '{subject}-{question_number}'}' } },
    { name: 'batch', inputs: ['requests/{subject}.jsonl'], output: 'results/{subject}.jsonl',
      marker: 'requests/{subject}.batch.json', stage: { kind: 'batch', provider: '${opts.provider}' } },
    { name: 'merge', inputs: ['original/{subject}.jsonl', 'results/{subject}.jsonl'], output: 'out/{subject}.jsonl',
      stage: { kind: 'merge', outputField: 'paraphrase' } },
  ],
};
`;
}

let rig: Rig;
beforeAll(async () => {
  rig = await Rig.create();
  await rig.write({
    'pipeline.config.ts': providerConfig({ provider: 'anthropic' }),
    'data/original/anatomy.jsonl': records('anatomy', 3),
  });
});
afterAll(() => rig.dispose());

describe('providers from the CLI', () => {
  it('build -n --compare prices the same job on every model of the price table; --compare alone is a usage error', async () => {
    const dry = await rig.cli(['build', '-n', '--compare']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('would send 3 requests');
    expect(dry.stdout).toMatch(/anthropic\s+claude-sonnet-4-5\s+\$\d/);
    expect(dry.stdout).toMatch(/openai, azure\s+gpt-4\.1\s+\$\d/);
    const json = await rig.cli(['build', '-n', '--compare', '--json']);
    const summary = JSON.parse(json.stdout.trim().split('\n').at(-1)!) as { comparison: { model: string }[] };
    expect(summary.comparison.map((r) => r.model)).toContain('claude-opus-4-5');
    expect(await rig.cli(['build', '--compare'])).toMatchObject({ code: 2 });
  });

  it('a missing ANTHROPIC_API_KEY stops before anything is done, naming the variable and --offline (exit 2)', async () => {
    const run = await rig.cli(['build'], { env: { OPENAI_API_KEY: 'sk-not-for-anthropic' } });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('ANTHROPIC_API_KEY environment variable is not set');
    expect(run.stderr).toContain('--offline');
  });

  it('Anthropic without max_tokens is a config error naming the key (exit 2)', async () => {
    const other = await Rig.create();
    try {
      await other.write({
        'pipeline.config.ts': providerConfig({ provider: 'anthropic', params: '{}' }),
        'data/original/anatomy.jsonl': records('anatomy', 1),
      });
      const run = await other.cli(['build', '-n']);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('rules[0].stage.params.max_tokens');
      expect(run.stderr).toContain('Anthropic requires max_tokens');
    } finally {
      await other.dispose();
    }
  });

  it('a custom id Anthropic would refuse fails the requests target naming file and line', async () => {
    const other = await Rig.create();
    try {
      await other.write({
        'pipeline.config.ts': providerConfig({ provider: 'anthropic', customId: '{subject}/{question_number}' }),
        'data/original/anatomy.jsonl': records('anatomy', 2),
      });
      const run = await other.cli(['build', 'requests']);
      expect(run.code).toBe(1);
      expect(run.stderr + run.stdout).toMatch(
        /original\/anatomy\.jsonl:1.*custom_id "anatomy\/1" is not allowed by Anthropic/,
      );
    } finally {
      await other.dispose();
    }
  });

  it('runs the job on Anthropic offline: merged records, and a re-run sends nothing', async () => {
    const env = { PIPELINE_EMULATOR_SPEED: '2000' };
    const first = await rig.cli(['build', '--offline', '--wait'], { env });
    expect(first.code, first.stderr).toBe(0);
    const merged = (await rig.lines('data/out/anatomy.jsonl')) as { paraphrase?: string }[];
    expect(merged).toHaveLength(3);
    expect(merged.every((r) => typeof r.paraphrase === 'string' && r.paraphrase.length > 0)).toBe(true);
    const again = await rig.cli(['build', '--offline'], { env });
    expect(again.code).toBe(0);
    expect(again.stdout).not.toContain('built');
  });
});
