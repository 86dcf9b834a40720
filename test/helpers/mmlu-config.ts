/**
 * The MMLU job's config for a test's temp dir, on a chosen provider: OpenAI is the repository's
 * own pipeline.config.ts; Anthropic is the same job from examples/mmlu-paraphrase.ts (the one
 * examples/anthropic.config.ts declares); Gemini, Mistral and Bedrock are the same job with the
 * model, params and rule options of their test profile (test-providers.ts). All write the same
 * paths, so every check of files holds for each. Imports are made absolute (the config lives
 * outside the repository).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { REPO } from './rig.ts';
import { testProfile, type BatchProvider } from './test-providers.ts';

export type ConfigProvider = BatchProvider;

/** `batchOptions`: extra `batch({…})` options, as source text (e.g. `maxAttempts: 2`); they win over the config's own. */
export async function mmluConfig(provider: ConfigProvider, batchOptions = ''): Promise<string> {
  const from = (rel: string) => JSON.stringify(path.join(REPO, rel));
  if (provider === 'anthropic')
    return `import { batch, definePipeline } from ${from('src/config/define.ts')};
import { mmluParaphraseRules } from ${from('examples/mmlu-paraphrase.ts')};

export default definePipeline({
  root: 'results/mmlu',
  rules: mmluParaphraseRules({
    provider: 'anthropic',
    model: 'claude-sonnet-4-5',
    batchDir: 'paraphrase_batch',
    outDir: 'paraphrased',
    runner: batch({ ${["provider: 'anthropic'", 'maxAttempts: 3', batchOptions].filter(Boolean).join(', ')} }),
    params: { max_tokens: 1024 },
  }),
});
`;
  if (provider !== 'openai') return profileConfig(provider, batchOptions);
  const config = (await readFile(path.join(REPO, 'pipeline.config.ts'), 'utf8')).replace(
    "'./src/config/define.ts'",
    from('src/config/define.ts'),
  );
  return config.replace(
    /stage: batch\(\{ ?(.*?) ?\}\)/,
    (_, own: string) => `stage: batch({ ${[own, batchOptions].filter(Boolean).join(', ')} })`,
  );
}

/** The MMLU job (examples/mmlu-paraphrase.ts's prompt) with a test profile's model, params and rule options. */
function profileConfig(provider: ConfigProvider, batchOptions: string): string {
  const from = (rel: string) => JSON.stringify(path.join(REPO, rel));
  const profile = testProfile(provider);
  const options = [`provider: '${provider}'`, 'maxAttempts: 3', profile.ruleOptions, batchOptions].filter(Boolean);
  return `import { batch, definePipeline, merge, requests, rule } from ${from('src/config/define.ts')};
import { MMLU_PROMPT, MMLU_SYSTEM } from ${from('examples/mmlu-paraphrase.ts')};

export default definePipeline({
  root: 'results/mmlu',
  rules: [
    rule({
      name: 'requests',
      inputs: ['original/{subject}.jsonl'],
      output: 'paraphrase_batch/{subject}.jsonl',
      stage: requests({
        provider: '${provider}',
        model: ${JSON.stringify(profile.model)},
        system: MMLU_SYSTEM,
        prompt: MMLU_PROMPT,
        params: ${JSON.stringify(profile.params)},
        customId: '{subject}-{question_number}',
      }),
    }),
    rule({
      name: 'batch',
      inputs: ['paraphrase_batch/{subject}.jsonl'],
      output: 'paraphrase_batch/results/{subject}.jsonl',
      marker: 'paraphrase_batch/{subject}.batch.json',
      stage: batch({ ${options.join(', ')} }),
    }),
    rule({
      name: 'merge',
      inputs: ['original/{subject}.jsonl', 'paraphrase_batch/results/{subject}.jsonl'],
      output: 'paraphrased/{subject}.jsonl',
      stage: merge({
        customId: '{subject}-{question_number}',
        outputField: 'paraphrased_analysis',
        tokensField: 'paraphrase_tokens',
      }),
    }),
  ],
});
`;
}
